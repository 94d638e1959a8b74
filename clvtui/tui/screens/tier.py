"""One tier (pushed from Segments with Enter): its customers, profile with lift and repurchase
drivers (PHReg), retention curve, value across fits, and who moved in or out since the last fit.

Each panel is filled from the insights layer when it offers that reading; a panel whose
reading is not available says so rather than failing the whole screen.
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
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static, TabbedContent, TabPane

from clvtui.errors import ClvError
from clvtui.tui.screens.base import WorkerErrors
from clvtui.tui.widgets.chart import Chart, ChartColors
from clvtui.tui.widgets.columns import CUSTOMER_COLUMNS
from clvtui.tui.widgets.fmt import count, money, number, pct
from clvtui.tui.widgets.frame_table import FrameTable


@dataclass
class TierLoaded(Message):
    customers: pl.DataFrame
    trend: list[tuple[int, float, int]]  # run id, clv total, customers
    profile: pl.DataFrame | None = None
    drivers: pl.DataFrame | None = None
    retention: pl.DataFrame | None = None
    moved: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)


class TierScreen(WorkerErrors, Screen[None]):
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

    def compose(self) -> ComposeResult:
        yield Header(icon="◆")
        yield Static(f"[b]{self.tier}[/b]", id="tier-title")
        with TabbedContent(id="tier-tabs"):
            with TabPane("Customers", id="tab-customers"):
                yield FrameTable(CUSTOMER_COLUMNS, id="tier-customers")
            with TabPane("Profile", id="tab-profile"), Grid(id="tier-profile-grid"):
                profile = DataTable(id="tier-profile", cursor_type="row", zebra_stripes=True)
                profile.border_title = "What they have in common (lift vs all customers)"
                yield profile
                drivers = DataTable(id="tier-drivers", cursor_type="row", zebra_stripes=True)
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
            with TabPane("Moved", id="tab-moved"), Vertical():
                yield Static("", id="tier-moved-note")
                moved = DataTable(id="tier-moved", cursor_type="row", zebra_stripes=True)
                moved.border_title = "Moved in / out since the previous fit"
                yield moved
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#tier-profile", DataTable).add_columns(
            "Attribute", "Value", "Share in tier", "Share overall", "Lift"
        )
        self.query_one("#tier-drivers", DataTable).add_columns(
            "Attribute", "Hazard ratio", "95 % interval", "Reading"
        )
        self.query_one("#tier-moved", DataTable).add_columns(
            "Customer", "Direction", "From / to", "CLV"
        )
        self.load()

    @work(thread=True, exclusive=True, exit_on_error=False)
    def load(self) -> None:
        data = self.app.data  # type: ignore[attr-defined]
        notes: list[str] = []
        try:
            db = data.connect()
            from clvtui.store.run_scores import run_segments_frame
            from clvtui.store.runs import latest_run

            run = latest_run(db)
            if run is None:
                return
            frame = data.customers(db, int(run["id"]))
            customers = frame.filter(pl.col("tier") == self.tier)
            seg = run_segments_frame(db).filter(pl.col("tier") == self.tier)
            trend = [
                (int(r["run_id"]), float(r["clv"]), int(r["n"]))
                for r in seg.group_by("run_id")
                .agg(pl.col("clv_total").sum().alias("clv"), pl.col("customers").sum().alias("n"))
                .sort("run_id")
                .iter_rows(named=True)
            ]
            msg = TierLoaded(customers, trend, notes=notes)
            msg.profile, msg.drivers = _profile(db, int(run["id"]), self.tier, notes)
            msg.retention = _retention(db, int(run["id"]), notes)
            msg.moved = _moved(db, int(run["id"]), frame, self.tier, notes)
            self.post_message(msg)
        except ClvError as err:
            self.app.call_from_thread(self.notify, str(err), severity="error")

    def on_tier_loaded(self, msg: TierLoaded) -> None:
        self.query_one("#tier-customers", FrameTable).show(msg.customers)
        total = float(msg.customers["clv"].sum()) if msg.customers.height else 0.0
        self.query_one("#tier-title", Static).update(
            f"[b]{self.tier}[/b] · {count(msg.customers.height)} customers · CLV "
            f"{money(total)}" + ("" if not msg.notes else "  ·  " + "; ".join(msg.notes))
        )
        self._fill_profile(msg.profile, msg.drivers)
        self._plot_retention(msg.retention)
        self._plot_value(msg.trend)
        self._fill_moved(msg.moved)

    def _fill_profile(self, profile: pl.DataFrame | None, drivers: pl.DataFrame | None) -> None:
        table = self.query_one("#tier-profile", DataTable)
        table.clear()
        if profile is not None:
            for r in profile.head(40).iter_rows(named=True):
                table.add_row(
                    str(r.get("attribute", "")), str(r.get("value", "")),
                    pct(r.get("share_in_tier", r.get("share"))),
                    pct(r.get("share_overall", r.get("base_share"))),
                    number(r.get("lift"), 2),
                )  # fmt: skip
        table = self.query_one("#tier-drivers", DataTable)
        table.clear()
        if drivers is not None:
            for r in drivers.head(40).iter_rows(named=True):
                table.add_row(
                    r["attribute"],
                    number(r["hazard_ratio"], 2),
                    f"{number(r['ci_low'], 2)}–{number(r['ci_high'], 2)}",
                    r["reading"].split(": ", 1)[-1],
                )

    def _plot_retention(self, retention: pl.DataFrame | None) -> None:
        chart = self.query_one("#tier-retention", Chart)
        if retention is None or retention.height == 0:
            chart.plot(None)
            return
        months = [float(m) for m in retention["month"]]
        surv = [float(s) for s in retention["survival"]]

        def draw(fig: Any, colors: ChartColors) -> None:
            line = fig.signal(months, surv)
            line.lines(True)
            fig.draw(line)

        chart.plot(draw)

    def _plot_value(self, trend: list[tuple[int, float, int]]) -> None:
        chart = self.query_one("#tier-value", Chart)
        if len(trend) < 2:
            chart.plot(None)
            return
        xs = [float(t[0]) for t in trend]
        ys = [t[1] for t in trend]

        def draw(fig: Any, colors: ChartColors) -> None:
            line = fig.signal(xs, ys)
            line.lines(True)
            fig.draw(line)
            fig.label("fit #", axis="x")

        chart.plot(draw)

    def _fill_moved(self, moved: dict[str, Any] | None) -> None:
        note = self.query_one("#tier-moved-note", Static)
        table = self.query_one("#tier-moved", DataTable)
        table.clear()
        if not moved:
            note.update("Nothing to compare: moves appear after a second fit.")
            return
        rows = moved.get("rows")
        note.update(str(moved.get("summary", "")))
        if isinstance(rows, pl.DataFrame):
            for r in rows.head(500).iter_rows(named=True):
                table.add_row(
                    str(r.get("customer_id", "")),
                    str(r.get("direction", "")),
                    f"{r.get('tier_before') or '–'} → {r.get('tier_after') or '–'}",
                    money(r.get("clv")),
                )

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


def _profile(
    db: Any, run_id: int, tier: str, notes: list[str]
) -> tuple[pl.DataFrame | None, pl.DataFrame | None]:
    """Lift of each attribute in the tier, and the repurchase-hazard (PHReg) readings."""
    from clvtui.insights.context import load_context
    from clvtui.insights.profile import build_profile, hazard_sample, time_to_repurchase
    from clvtui.store import run_scores as store

    attrs = store.customer_attribute_names(db)
    ctx = load_context(db, ["spend", "orders", "T"], run_id=run_id, customer_columns=attrs)
    sample = hazard_sample(ctx.scored["customer_id"])
    purchases = store.purchase_times(db, sample.to_list(), ctx.as_of.isoformat())
    durations = time_to_repurchase(purchases, ctx.as_of)
    result = build_profile(ctx.scored, ctx.as_of, attrs, durations, sampled_from=ctx.scored.height)
    notes.extend(result.notes)
    lift = (
        result.attributes.filter(pl.col("tier") == tier)
        .rename({"level": "value", "share": "share_in_tier", "share_all": "share_overall"})
        .sort("lift", descending=True)
    )
    drivers = pl.DataFrame(
        [
            {
                "attribute": f"{h.attribute} = {h.level} (vs {h.reference})",
                "hazard_ratio": h.ratio,
                "ci_low": h.low,
                "ci_high": h.high,
                "reading": h.reading(),
            }
            for h in result.hazard
        ]
    )
    return lift, drivers if drivers.height else None


def _retention(db: Any, run_id: int, notes: list[str]) -> pl.DataFrame | None:
    from clvtui.store.runs import retention_frame

    frame = retention_frame(db, run_id)
    if "cohort" in frame.columns:
        frame = frame.filter(pl.col("cohort") == "all")
    return frame.sort("month")


def _moved(
    db: Any, run_id: int, now: pl.DataFrame, tier: str, notes: list[str]
) -> dict[str, Any] | None:
    """Customers who entered or left ``tier`` since the previous fit (``now``: this run's
    shared ranking frame, already in memory; only the previous run is read)."""
    from clvtui.insights.trends import moved as compare
    from clvtui.store import run_scores as store
    from clvtui.store.run_storage import pruned_at

    previous = store.previous_run_id(db, run_id)
    if previous is None:
        return None
    if (when := pruned_at(db, previous)) is not None:
        return {"summary": f"Fit #{previous} was pruned on {when[:10]}: moves need its customers."}
    cols = ["customer_id", "tier", "risk", "clv"]
    result = compare(
        store.scores_columns(db, previous, cols),
        now.select(cols),
        run_id=run_id,
        previous_run_id=previous,
    )
    movers = result.customers.filter(
        (pl.col("tier_before") != pl.col("tier_now"))
        & ((pl.col("tier_before") == tier) | (pl.col("tier_now") == tier))
    ).with_columns(
        direction=pl.when(pl.col("tier_now") == tier).then(pl.lit("in")).otherwise(pl.lit("out")),
        tier_after=pl.col("tier_now"),
        clv=pl.col("clv_now"),
    )
    n_in = movers.filter(pl.col("direction") == "in").height
    summary = (
        f"Since fit #{previous}: {count(n_in)} moved into {tier}, "
        f"{count(movers.height - n_in)} moved out."
    )
    return {"rows": movers, "summary": summary}
