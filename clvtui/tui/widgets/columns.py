"""Column sets for per-customer tables (the ranking, a tier's customers)."""

from __future__ import annotations

from rich.text import Text

from clvtui.tui.widgets.frame_table import ColumnSpec, text_cell

RISK_STYLE = {"active": "green", "at risk": "yellow", "likely lost": "red"}


def _money(v: float) -> str:
    return f"{v:,.2f}"


def _pct(v: float | None) -> str:
    return "–" if v is None else f"{v:.0%}"


def _risk(v: str) -> Text:
    return Text(v, style=RISK_STYLE.get(v, ""), no_wrap=True)


CUSTOMER_COLUMNS = [
    ColumnSpec("customer_id", "Customer", 14, text_cell),
    ColumnSpec("name", "Name", 16, text_cell),
    ColumnSpec("email", "E-mail", 22, text_cell),
    ColumnSpec("sources", "Sources", 10, text_cell),
    ColumnSpec("tier", "Tier", 17, text_cell),
    ColumnSpec("risk", "Risk", 11, _risk),
    ColumnSpec("clv", "CLV", 10, _money, numeric=True),
    ColumnSpec("p_alive", "P(alive)", 8, lambda v: f"{v:.0%}", numeric=True),
    ColumnSpec("p_order_90", "Order 90d", 9, _pct, numeric=True),
    ColumnSpec("expected_orders", "Exp. ord", 8, lambda v: f"{v:.2f}", numeric=True),
    ColumnSpec("orders", "Orders", 6, lambda v: f"{v:,}", numeric=True),
    ColumnSpec("spend", "Spent", 10, _money, numeric=True),
]
