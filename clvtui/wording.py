"""Small words of reports shared by the CLI and the TUI: "1 order", "2 orders", and which
value a CLV is (net or revenue)."""

from __future__ import annotations

#: Nouns whose plural is not noun + "s".
_IRREGULAR = {"entry": "entries", "currency": "currencies", "is": "are", "was": "were"}


def plural(n: int, noun: str, many: str | None = None) -> str:
    """``n`` with its noun in the right number and thousands separators: ``1 order``,
    ``1,234 orders``."""
    word = noun if n == 1 else (many or _IRREGULAR.get(noun, noun + "s"))
    return f"{n:,} {word}"


#: Control characters (C0, DEL, C1) as text shows them: a customer id holding a newline or an
#: escape sequence must not break a table's lines or recolour a terminal.
_CONTROL = {c: f"\\x{c:02x}" for c in (*range(0x20), *range(0x7F, 0xA0))} | {
    ord("\n"): "\\n", ord("\r"): "\\r", ord("\t"): "\\t",
}  # fmt: skip


def printable(text: object) -> str:
    """``text`` with control characters written as escapes (``a\\nb``), for text output: one
    row stays one line. JSON and CSV output keep the value as it is (they quote it)."""
    return str(text).translate(_CONTROL)


#: What a CLV is worth in (``Settings.value_kind``): profit when a margin is set, else revenue.
#: Every face says which, in these words, so nobody mistakes revenue for profit.
_BASIS = {"net": "after margin and cost per order", "revenue": "no margin set"}


def value_basis(value_kind: str | None) -> str:
    """``net (after margin and cost per order)`` or ``revenue (no margin set)``."""
    kind = "net" if value_kind == "net" else "revenue"
    return f"{kind} ({_BASIS[kind]})"


def clv_label(value_kind: str | None) -> str:
    """The short label beside CLV figures: ``net CLV`` or ``revenue CLV (no margin set)``."""
    return "net CLV" if value_kind == "net" else f"revenue CLV ({_BASIS['revenue']})"


def clv_label_long(value_kind: str | None) -> str:
    """The label of a report's heading, with what the basis means for the numbers."""
    if value_kind == "net":
        return f"net CLV ({_BASIS['net']})"
    return f"revenue CLV ({_BASIS['revenue']}: values are revenue, not profit)"
