"""Number formatting shared by every screen (one place decides how money and shares look).

Money is always written with its currency's symbol (or code) and thousands separators; a value
that rounds to zero never shows a minus sign (``-0 %`` reads as a loss that is not there).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from clvtui.core.money import SYMBOLS as _SYMBOL_CODES
from clvtui.core.money import minor_exponent

# ISO code → the symbol a shop owner reads (the importer's table, read backwards)
SYMBOLS = {"USD": "$", **{code: symbol for symbol, code in _SYMBOL_CODES.items()}}


def _unknown(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def money(value: float | None, currency: str | None = None, *, decimals: int | None = None) -> str:
    """``$1,234`` style amounts; big totals compact (``$12.3M``) so KPI cards stay narrow.

    Under 1,000 cents matter (``$12.50``); above, whole units read faster (``$22,410``).
    """
    if _unknown(value):
        return "–"
    assert value is not None
    v = abs(value)
    if decimals is None:
        if v >= 10_000_000:
            return _in_currency(value, f"{v / 1e6:,.1f}M", currency)
        decimals = 0 if v >= 1000 else min(2, minor_exponent(currency or "USD"))
    return _in_currency(value, f"{v:,.{decimals}f}", currency)


def _in_currency(value: float, digits: str, currency: str | None) -> str:
    """``-$1,234`` (a known symbol) or ``-1,234 SEK`` (any other code)."""
    symbol = SYMBOLS.get(currency or "", "")
    suffix = "" if symbol or not currency else f" {currency}"
    return f"{_sign(value, digits)}{symbol}{digits}{suffix}"


def _sign(value: float, shown: str) -> str:
    """A minus only when the shown digits are not all zero."""
    return "-" if value < 0 and any(c in "123456789" for c in shown) else ""


def pct(value: float | None, decimals: int = 0) -> str:
    """A share as ``42 %``; ``–`` when unknown; never ``-0 %``."""
    if _unknown(value):
        return "–"
    assert value is not None
    text = f"{abs(value) * 100:.{decimals}f}"
    return f"{_sign(value, text)}{text} %"


def count(value: int | float | None) -> str:
    """Thousands separators, ``–`` when unknown."""
    if value is None:
        return "–"
    return f"{value:,.0f}"


def number(value: float | None, decimals: int = 2) -> str:
    if _unknown(value):
        return "–"
    assert value is not None
    text = f"{abs(value):,.{decimals}f}"
    return f"{_sign(value, text)}{text}"


def nice_ticks(low: float, high: float, most: int = 5, *, whole: bool = False) -> list[float]:
    """Round tick positions (1, 2, 2.5 or 5 × 10^k apart) covering ``low``–``high``.

    ``whole``: steps of at least 1 (fit numbers, weeks, order counts are never 16.7).
    """
    if not (math.isfinite(low) and math.isfinite(high)):
        return []
    if high <= low:
        return [low]
    raw = (high - low) / max(most - 1, 1)
    base = 10 ** math.floor(math.log10(raw))
    # a range a float's noise past a round one (0–100.00000000000001) keeps its round step
    step = next(m * base for m in (1, 2, 2.5, 5, 10) if m * base >= raw * (1 - 1e-9))
    if whole:
        step = max(1.0, float(math.ceil(step)))
    first = math.ceil(low / step - 1e-9) * step
    ticks = []
    tick = first
    while tick <= high + step * 1e-9:
        ticks.append(round(tick, 10))
        tick += step
    return ticks


def tick_labels(ticks: Sequence[float], kind: str, currency: str | None = None) -> list[str]:
    """Axis labels: ``money`` (``$44,754``, compact ``$1.2k``), ``pct`` of 0–1, ``whole``."""
    if kind == "money":
        return [_short_money(t, currency) for t in ticks]
    if kind == "pct":
        return [f"{t * 100:.0f}%" for t in ticks]
    if kind == "pct100":
        return [f"{t:.0f}%" for t in ticks]
    if kind == "whole":
        return [f"{t:,.0f}" for t in ticks]
    spread = (max(ticks) - min(ticks)) if ticks else 0
    decimals = 0 if spread >= 10 else 1 if spread >= 1 else 2
    return [number(t, decimals) for t in ticks]


def _short_money(value: float, currency: str | None) -> str:
    """Axis money: whole units with separators, thousands as ``k`` past 100,000."""
    v = abs(value)
    if v >= 1e6:
        return _in_currency(value, f"{v / 1e6:,.1f}M", currency)
    if v >= 1e5:
        return _in_currency(value, f"{v / 1e3:,.0f}k", currency)
    return _in_currency(value, f"{v:,.{0 if v >= 10 or v == 0 else 2}f}", currency)
