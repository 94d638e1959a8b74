"""Column sets for per-customer tables (the ranking, a tier's customers).

``drop`` orders what goes first on a narrow terminal: sources and e-mail, then the finer
forecasts; the customer and their CLV always stay.
"""

from __future__ import annotations

import polars as pl
from rich.text import Text

from clvtui.tui.widgets.fmt import money, number, pct
from clvtui.tui.widgets.frame_table import ColumnSpec, text_cell

RISK_STYLE = {"active": "green", "at risk": "yellow", "likely lost": "red"}


def _risk(v: str) -> Text:
    return Text(v, style=RISK_STYLE.get(v, ""), no_wrap=True)


#: The id column's width: as wide as the longest id (a customer id cut to ``shopify:rosa.5…``
#: names nobody), within these bounds; on a narrow terminal other columns go first.
ID_WIDTH, ID_WIDTH_MAX = 14, 48


def id_width(frame: pl.DataFrame | None) -> int:
    """The width that shows every ``customer_id`` of ``frame`` whole (one pass over the ids,
    ~20 ms at a million customers: done once per loaded frame)."""
    if frame is None or frame.height == 0 or "customer_id" not in frame.columns:
        return ID_WIDTH
    longest = frame.select(pl.col("customer_id").str.len_chars().max()).item()
    return max(ID_WIDTH, min(ID_WIDTH_MAX, int(longest or 0)))


def customer_columns(currency: str | None = None, ids: int = ID_WIDTH) -> list[ColumnSpec]:
    """The ranking's columns, money in the run's ``currency`` (``$22,410``; cents under 1,000),
    the ids ``ids`` cells wide (:func:`id_width`)."""

    def cash(v: float) -> str:
        # one column, one precision: cents up to 99,999.99, whole units past it
        return money(v, currency, decimals=2 if abs(v) < 100_000 else 0)

    return [
        ColumnSpec("customer_id", "Customer", ids, text_cell),
        ColumnSpec("name", "Name", 16, text_cell, drop=6),
        ColumnSpec("email", "E-mail", 22, text_cell, drop=10),
        ColumnSpec("sources", "Sources", 10, text_cell, drop=11),
        ColumnSpec("tier", "Tier", 17, text_cell, drop=2),
        ColumnSpec("risk", "Risk", 11, _risk, drop=4),
        ColumnSpec("clv", "CLV", 11, cash, numeric=True),
        ColumnSpec("p_alive", "P(alive)", 8, pct, numeric=True, drop=3),
        ColumnSpec("p_order_90", "Order 90d", 9, pct, numeric=True, drop=9),
        ColumnSpec("expected_orders", "Exp. ord", 8, number, numeric=True, drop=8),
        ColumnSpec("orders", "Orders", 6, lambda v: f"{v:,}", numeric=True, drop=7),
        ColumnSpec("spend", "Spent", 11, cash, numeric=True, drop=5),
    ]


CUSTOMER_COLUMNS = customer_columns()
