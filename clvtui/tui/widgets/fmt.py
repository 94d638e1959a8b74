"""Number formatting shared by every screen (one place decides how money and shares look)."""

from __future__ import annotations

import math


def money(value: float | None, currency: str | None = None, *, decimals: int | None = None) -> str:
    """``$1,234`` style amounts; big totals compact (``$1.2M``) so KPI cards stay narrow."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    symbol = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}.get(currency or "", "")
    suffix = "" if symbol or not currency else f" {currency}"
    sign = "-" if value < 0 else ""
    v = abs(value)
    if decimals is None:
        if v >= 10_000_000:
            return f"{sign}{symbol}{v / 1e6:,.1f}M{suffix}"
        decimals = 0 if v >= 1000 else 2
    return f"{sign}{symbol}{v:,.{decimals}f}{suffix}"


def pct(value: float | None, decimals: int = 0) -> str:
    """A share as ``42 %``; ``–`` when unknown."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value * 100:.{decimals}f} %"


def count(value: int | float | None) -> str:
    """Thousands separators, ``–`` when unknown."""
    if value is None:
        return "–"
    return f"{value:,.0f}"


def number(value: float | None, decimals: int = 2) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:,.{decimals}f}"
