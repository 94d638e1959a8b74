"""Segments (3): profitability tiers × churn-risk bands; Enter drills into a tier."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import polars as pl
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import DataTable, Static

from clvtui.insights.segments import TIERS
from clvtui.tui.screens.base import MainScreen
from clvtui.tui.widgets.fit_table import FitColumn, FitTable
from clvtui.tui.widgets.fmt import count, money, pct


@dataclass
class SegmentsLoaded(Message):
    matrix: pl.DataFrame | None
    currency: str | None
    note: str = ""


SEGMENT_COLUMNS = [  # narrow: the split by risk goes first; tier, CLV and value at risk stay
    FitColumn("Tier", shrink=10),
    FitColumn("Customers", drop=2, numeric=True),
    FitColumn("Share", drop=5, numeric=True),
    FitColumn("CLV", numeric=True),
    FitColumn("Share of value", drop=4, numeric=True),
    FitColumn("Active", drop=8),
    FitColumn("At risk", drop=7),
    FitColumn("Likely lost", drop=6),
    FitColumn("Value at risk", drop=1, numeric=True),
]


class SegmentsScreen(MainScreen):
    MODE = "segments"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "drill", "Open tier", id="drill", tooltip="Customers and profile"),
        Binding("e", "export", "Export", id="export", tooltip="Export the tier's customers"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.currency: str | None = None

    def compose_body(self) -> ComposeResult:
        table = FitTable(SEGMENT_COLUMNS, id="segments-table", cursor_type="row",
                         zebra_stripes=True)  # fmt: skip
        table.border_title = "Tiers × churn risk (customers · CLV)  —  Enter: open the tier"
        yield table
        yield Static("", id="segments-note")

    def reload(self) -> None:
        self.query_one("#segments-table").loading = True
        self.refresh_bindings()  # a loading table's keys are inactive (Textual sends no signal)
        self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="segments")
    def load(self) -> None:
        from clvtui.services.segments import tier_risk_matrix
        from clvtui.tui.run_facts import run_currency

        self.post_latest(
            lambda db, run: SegmentsLoaded(
                tier_risk_matrix(self.data.customers(db, int(run["id"]))), run_currency(run)
            ),
            lambda error: SegmentsLoaded(None, None, error),
        )

    def show_empty(self, message: str) -> None:
        self.on_segments_loaded(SegmentsLoaded(None, None, message))

    def on_segments_loaded(self, msg: SegmentsLoaded) -> None:
        table = self.query_one("#segments-table", FitTable)
        table.loading = False
        self.refresh_bindings()
        self.currency = msg.currency
        if msg.matrix is None:
            table.set_rows([])
            self.query_one("#segments-note", Static).update(msg.note)
            return
        m = msg.matrix
        n_all = int(m["customers"].sum()) or 1
        equity = float(m["clv_total"].sum()) or 1.0
        rows = []
        for tier in TIERS:
            cells = m.filter(pl.col("tier") == tier)
            by_risk = {
                r: (c, v)
                for r, c, v in zip(
                    cells["risk"], cells["customers"], cells["clv_total"], strict=True
                )
            }

            def cell(risk: str, by_risk: dict = by_risk) -> str:
                c, v = by_risk.get(risk, (0, 0.0))
                return f"{count(c)} · {money(v, self.currency)}"

            n = int(cells["customers"].sum())
            value = float(cells["clv_total"].sum())
            rows.append(([
                tier, count(n), pct(n / n_all), money(value, self.currency), pct(value / equity),
                cell("active"), cell("at risk"), cell("likely lost"),
                money(float(cells["value_at_stake"].sum()), self.currency),
            ], tier))  # fmt: skip
        table.set_rows(rows)
        self.query_one("#segments-note", Static).update(
            "Value at risk = CLV × (1 − P(alive)): what depends on keeping these customers."
        )

    def current_tier(self) -> str | None:
        table = self.query_one("#segments-table", DataTable)
        if table.row_count == 0:
            return None
        return TIERS[table.cursor_row] if table.cursor_row < len(TIERS) else None

    def action_drill(self) -> None:
        tier = self.current_tier()
        if tier is not None:
            from clvtui.tui.screens.tier import TierScreen

            self.app.push_screen(TierScreen(tier))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_drill()

    def action_export(self) -> None:
        tier = self.current_tier()
        frame = self.data.cached_customers()
        if tier is None or frame is None:
            self.notify("Nothing to export yet.")
            return
        export_tier(self, frame, tier)


def export_tier(screen: MainScreen | object, frame: pl.DataFrame, tier: str) -> None:
    """The tier's customers as shown, with the columns of ``clvtui export --tier``."""
    from clvtui.tui.export_dialog import export_customers_shown

    cached = screen.app.data.cached_run_customers()  # type: ignore[attr-defined]
    run_id = cached[0] if cached is not None and cached[1] is frame else None
    ids = frame.filter(pl.col("tier") == tier).get_column("customer_id")
    export_customers_shown(screen, run_id, ids, f"tier-{tier}", f"{tier} customers")
