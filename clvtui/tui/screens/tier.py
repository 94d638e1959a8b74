"""One tier (pushed from Segments with Enter): its customers, profile with lift and repurchase
drivers (PHReg), retention curve, value across fits, and who moved in or out since the last fit.

Everything comes from one service call (``services.segments.tier_detail``: tiers by today's
rule, as on every screen); a panel whose reading is not available says so rather than
failing the whole screen.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import polars as pl
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, Vertical
from textual.message import Message
from textual.widgets import DataTable, Footer, Header, Static, TabbedContent, TabPane

from clvtui.errors import ClvError
from clvtui.tui.screens.base import FitReader, WorkerErrors
from clvtui.tui.widgets.chart import Axis, Chart, Line, lines
from clvtui.tui.widgets.columns import customer_columns, id_width
from clvtui.tui.widgets.fit_table import FitColumn, FitTable
from clvtui.tui.widgets.fmt import count, money, number, pct
from clvtui.tui.widgets.frame_table import FrameTable
from clvtui.wording import plural


@dataclass
class TierLoaded(Message):
    customers: pl.DataFrame
    trend: list[tuple[int, float, int]]  # run id, clv total, customers
    profile: pl.DataFrame | None = None
    drivers: pl.DataFrame | None = None
    retention: pl.DataFrame | None = None
    moved: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)
    currency: str | None = None


PROFILE_COLUMNS = [
    FitColumn("Attribute", shrink=12),
    FitColumn("Value", shrink=10),
    FitColumn("Share in tier", drop=2, numeric=True),
    FitColumn("Share overall", drop=3, numeric=True),
    FitColumn("Lift", numeric=True),
]
DRIVER_COLUMNS = [  # the plain-words reading stays (shortened with … if it must)
    FitColumn("Attribute", shrink=12),
    FitColumn("Hazard ratio", numeric=True),
    FitColumn("95 % interval", drop=1),
    FitColumn("Reading", shrink=16),
]
MOVED_COLUMNS = [
    FitColumn("Customer"),  # never cut: other columns shrink or go first
    FitColumn("Direction", drop=2),
    FitColumn("From / to", shrink=12, drop=1),
    FitColumn("CLV", numeric=True),
]


TIER_ENTRY_COLUMNS = [
    FitColumn("First product", shrink=12),
    FitColumn("Customers", numeric=True),
    FitColumn("× tier", numeric=True),
    FitColumn("Repeat", drop=1, numeric=True),
]
NEXT_COLUMNS = [
    FitColumn("Next product", shrink=12),
    FitColumn("Customers", numeric=True),
    FitColumn("Mean lift", drop=1, numeric=True),
]


@dataclass
class TierProductsLoaded(Message):
    products: Any  # services.products.TierProducts


class TierScreen(WorkerErrors, FitReader):
    AUTO_FOCUS = "FrameTable"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.back", "Back", id="tier-back"),
        Binding("enter", "open", "Open customer", id="tier-open"),
        Binding("e", "export", "Export", id="tier-export", tooltip="Export the tier's customers"),
        Binding("]", "tab(1)", "Next tab", id="tier-next-tab", tooltip="Next tab"),
        Binding("[", "tab(-1)", "Prev tab", id="tier-prev-tab", tooltip="Previous tab"),
    ]

    def __init__(self, tier: str) -> None:
        super().__init__()
        self.tier = tier
        self.currency: str | None = None

    def compose(self) -> ComposeResult:
        yield Header(icon="◆")
        yield Static(f"[b]{self.tier}[/b]", id="tier-title")
        with TabbedContent(id="tier-tabs"):
            with TabPane("Customers", id="tab-customers"):
                yield FrameTable(customer_columns(), id="tier-customers")
            with TabPane("Profile", id="tab-profile"), Grid(id="tier-profile-grid"):
                profile = FitTable(PROFILE_COLUMNS, id="tier-profile", cursor_type="row",
                                   zebra_stripes=True)  # fmt: skip
                profile.border_title = "What they have in common (lift vs all customers)"
                yield profile
                drivers = FitTable(DRIVER_COLUMNS, id="tier-drivers", cursor_type="row",
                                   zebra_stripes=True)  # fmt: skip
                drivers.border_title = "Repurchase drivers (PHReg hazard ratios)"
                yield drivers
            with TabPane("Retention & value", id="tab-trend"), Grid(id="tier-trend-grid"):
                yield Chart(
                    "Retention: share still buying, by month since first order",
                    id="tier-retention",
                )
                yield Chart(
                    "Tier value across fits",
                    id="tier-value",
                    empty="One fit so far: the trend appears after the next one.",
                )
            with TabPane("Products", id="tab-products"), Vertical():
                yield Static("", id="tier-products-note")
                with Grid(id="tier-products-grid"):
                    entry = FitTable(TIER_ENTRY_COLUMNS, id="tier-entry", cursor_type="row",
                                     zebra_stripes=True)  # fmt: skip
                    entry.border_title = "Their first products (× the tier's average CLV)"
                    yield entry
                    best = FitTable(NEXT_COLUMNS, id="tier-next", cursor_type="row",
                                    zebra_stripes=True)  # fmt: skip
                    best.border_title = "Best next product (not bought yet; highest lift)"
                    yield best
            with TabPane("Moved", id="tab-moved"), Vertical():
                yield Static("", id="tier-moved-note")
                moved = FitTable(MOVED_COLUMNS, id="tier-moved", cursor_type="row",
                                 zebra_stripes=True)  # fmt: skip
                moved.border_title = "Moved in / out since the previous fit"
                yield moved
        yield Footer()

    def on_mount(self) -> None:
        self.load()
        self.load_products()

    @work(thread=True, exclusive=True, exit_on_error=False, group="tier-products")
    def load_products(self) -> None:
        """Products in a worker of their own: reading every order line must not hold up the
        tier's customers and profile."""
        from clvtui.services.products import tier_products
        from clvtui.store.runs import latest_run

        data = self.app.data  # type: ignore[attr-defined]
        try:
            run = latest_run(data.connect())
            if run is not None:
                products = tier_products(data.connect(), int(run["id"]), self.tier)
                self.post_message(TierProductsLoaded(products))
        except ClvError as err:
            self.app.call_from_thread(self.notify, str(err), severity="error")

    def on_tier_products_loaded(self, msg: TierProductsLoaded) -> None:
        report, best = msg.products.report, msg.products.next_products
        note = self.query_one("#tier-products-note", Static)
        if report.message is not None:
            note.update(report.message)
            return
        note.update(
            f"{count(report.customers_with_lines)} of the tier's customers have order lines; "
            "affinity (lift) is measured on the whole shop."
        )
        self.query_one("#tier-entry", FitTable).set_rows([
            ([r["product"], count(r["customers"]), f"{number(r['clv_ratio'], 2)}×",
              pct(r["repeat_rate"])], None)
            for r in report.entry.iter_rows(named=True)
        ])  # fmt: skip
        self.query_one("#tier-next", FitTable).set_rows([
            ([r["next_product"], count(r["customers"]), number(r["mean_lift"], 2)], None)
            for r in best.iter_rows(named=True)
        ])  # fmt: skip

    @work(thread=True, exclusive=True, exit_on_error=False)
    def load(self) -> None:
        from clvtui.services.segments import tier_detail

        data = self.app.data  # type: ignore[attr-defined]
        try:
            db = data.connect()
            run = self.latest_run(db)
            if run is None:
                return
            run_id = int(run["id"])
            d = tier_detail(db, run_id, self.tier, data.customers(db, run_id))
            from clvtui.tui.run_facts import run_currency

            self.post_message(
                TierLoaded(
                    d.customers, d.trend, d.lift, d.drivers, d.retention, d.moved, d.notes,
                    run_currency(run),
                )
            )  # fmt: skip
        except ClvError as err:
            self.app.call_from_thread(self.notify, str(err), severity="error")

    def show_empty(self, message: str) -> None:
        self.query_one("#tier-title", Static).update(f"[b]{self.tier}[/b] · {message}")

    def on_tier_loaded(self, msg: TierLoaded) -> None:
        self.currency = msg.currency
        table = self.query_one("#tier-customers", FrameTable)
        table.set_columns(customer_columns(msg.currency, id_width(msg.customers)))
        table.show(msg.customers)
        total = float(msg.customers["clv"].sum()) if msg.customers.height else 0.0
        self.query_one("#tier-title", Static).update(
            f"[b]{self.tier}[/b] · {plural(msg.customers.height, 'customer')} · CLV "
            f"{money(total, msg.currency)}"
            + ("" if not msg.notes else "  ·  " + "; ".join(msg.notes))
        )
        self._fill_profile(msg.profile, msg.drivers)
        self._plot_retention(msg.retention)
        self._plot_value(msg.trend)
        self._fill_moved(msg.moved)

    def _fill_profile(self, profile: pl.DataFrame | None, drivers: pl.DataFrame | None) -> None:
        rows = [
            ([
                str(r.get("attribute", "")), str(r.get("value", "")),
                pct(r.get("share_in_tier", r.get("share"))),
                pct(r.get("share_overall", r.get("base_share"))),
                number(r.get("lift"), 2),
            ], None)
            for r in (profile.head(40).iter_rows(named=True) if profile is not None else [])
        ]  # fmt: skip
        self.query_one("#tier-profile", FitTable).set_rows(rows)
        rows = [
            ([
                r["attribute"],
                number(r["hazard_ratio"], 2),
                f"{number(r['ci_low'], 2)}–{number(r['ci_high'], 2)}",
                r["reading"].split(": ", 1)[-1],
            ], None)
            for r in (drivers.head(40).iter_rows(named=True) if drivers is not None else [])
        ]  # fmt: skip
        self.query_one("#tier-drivers", FitTable).set_rows(rows)

    def _plot_retention(self, retention: pl.DataFrame | None) -> None:
        chart = self.query_one("#tier-retention", Chart)
        if retention is None or retention.height == 0:
            chart.plot(None)
            return
        months = [float(m) for m in retention["month"]]
        surv = [float(s) for s in retention["survival"]]
        chart.plot(
            lines(
                Line(months, surv),
                x_label="months since first order",
                x_axis=Axis("whole"),
                y_axis=Axis("pct"),
            )
        )

    def _plot_value(self, trend: list[tuple[int, float, int]]) -> None:
        chart = self.query_one("#tier-value", Chart)
        if len(trend) < 2:
            chart.plot(None)
            return
        xs = [float(t[0]) for t in trend]
        ys = [t[1] for t in trend]
        chart.plot(
            lines(
                Line(xs, ys),
                x_label="fit #",
                x_axis=Axis("whole"),
                y_axis=Axis("money", self.currency),
            )
        )

    def _fill_moved(self, moved: dict[str, Any] | None) -> None:
        note = self.query_one("#tier-moved-note", Static)
        table = self.query_one("#tier-moved", FitTable)
        if not moved:
            table.set_rows([])
            note.update("Nothing to compare: moves appear after a second fit.")
            return
        rows = moved.get("rows")
        note.update(str(moved.get("summary", "")))
        shown = []
        if isinstance(rows, pl.DataFrame):
            for r in rows.head(500).iter_rows(named=True):
                shown.append(([
                    str(r.get("customer_id", "")),
                    str(r.get("direction", "")),
                    f"{r.get('tier_before') or '–'} → {r.get('tier_after') or '–'}",
                    money(r.get("clv"), self.currency),
                ], None))  # fmt: skip
        table.set_rows(shown)

    def action_tab(self, step: int) -> None:
        """Move between the tabs from the keyboard (the table keeps the arrow keys)."""
        tabs = self.query_one("#tier-tabs", TabbedContent)
        panes = [pane.id for pane in tabs.query(TabPane) if pane.id]
        tabs.active = panes[(panes.index(tabs.active) + step) % len(panes)]

    def action_open(self) -> None:
        table = self.query_one("#tier-customers", FrameTable)
        customer_id = table.row_value("customer_id")
        if customer_id is not None:
            self.app.open_customer(customer_id)  # type: ignore[attr-defined]

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.data_table.id == "tier-customers":
            self.action_open()

    def action_export(self) -> None:
        from clvtui.tui.screens.segments import export_tier

        frame = self.app.data.cached_customers()  # type: ignore[attr-defined]
        if frame is not None:
            export_tier(self, frame, self.tier)
