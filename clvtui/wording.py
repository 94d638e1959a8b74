"""Small words of reports shared by the CLI and the TUI ("1 order", "2 orders")."""

from __future__ import annotations

#: Nouns whose plural is not noun + "s".
_IRREGULAR = {"entry": "entries", "currency": "currencies", "is": "are", "was": "were"}


def plural(n: int, noun: str, many: str | None = None) -> str:
    """``n`` with its noun in the right number and thousands separators: ``1 order``,
    ``1,234 orders``."""
    word = noun if n == 1 else (many or _IRREGULAR.get(noun, noun + "s"))
    return f"{n:,} {word}"
