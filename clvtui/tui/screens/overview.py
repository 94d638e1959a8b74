"""Overview (1): customer equity, tiers × risk, value concentration, trend, verdict.

Painted from aggregates only, so it is quick at any size: the headline from the ``runs`` row,
the tier matrix from ``run_segments`` (while the tier rule is unchanged since the fit:
``services.tiers``) and the concentration curve from the fit report. The
shared per-customer frame is then loaded by another worker, after the paint, so Customers is
ready when the user gets there. (Runs whose report predates the stored curve compute it from
that frame.)
"""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import polars as pl
from textual import work
from textual.app import ComposeResult
from textual.containers import Center, Grid, Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Button, Markdown, Static

from clvtui.errors import ClvError
from clvtui.report import RunReport
from clvtui.tui.run_facts import holdout_counts, run_report, value_kind_text, verdict_text
from clvtui.tui.screens.base import MainScreen
from clvtui.tui.screens.registry import key_of
from clvtui.tui.widgets.chart import Axis, Chart, Line, lines
from clvtui.tui.widgets.fit_table import FitColumn, FitTable
from clvtui.tui.widgets.fmt import count, money, pct
from clvtui.tui.widgets.kpi import KpiCard
from clvtui.wording import plural

if TYPE_CHECKING:
    import sqlite_utils

WELCOME = f"""\
# Welcome to clvtui

This database has no orders yet. To see what your customers are worth:

1. Export your orders from your shop (Shopify, WooCommerce, Etsy, Square, Stripe, PayPal,
   or any CSV with a customer, a date and an amount).
2. Press **{key_of("import")}** (or the button below) and pick the file: you will see a
   preview before anything is written.
3. Press **{key_of("model")}**, then **f**, to fit the model.

Just looking? Quit (**q**) and run `clvtui demo` for a simulated shop.
"""


PREBUILD_DELAY = 0.25  # seconds after the Overview is complete


@dataclass
class OverviewLoaded(Message):
    """Headline figures (fast)."""

    status: Any
    run: dict[str, Any] | None
    trend: list[tuple[int, float]]


@dataclass
class CustomersLoaded(Message):
    """Tier matrix and value concentration (stored aggregates of the run)."""

    matrix: pl.DataFrame
    curve: tuple[list[float], list[float]]
    top_share: float
    warm_run: int | None = None  # load this run's customer frame once the overview is painted


@dataclass
class LoadFailed(Message):
    message: str


MATRIX_COLUMNS = [  # on a narrow screen the split by risk goes first, then the total
    FitColumn("Tier", shrink=10),
    FitColumn("Active", drop=4, numeric=True),
    FitColumn("At risk", drop=3, numeric=True),
    FitColumn("Likely lost", drop=2, numeric=True),
    FitColumn("Total", drop=1, numeric=True),
    FitColumn("CLV", numeric=True),
]


class OverviewScreen(MainScreen):
    MODE = "overview"
    currency: str | None = None  # of the latest run (the tier matrix's CLV is in it)

    def compose_body(self) -> ComposeResult:
        # the headline is read while Textual mounts and styles this screen (~0.1 s at start),
        # so its first frame can show it (the load worker starts only once it is shown)
        self._ahead = self.data.read_ahead(lambda data: read_headline(data.connect()))
        # filled only for an empty database (``show_welcome``): a Markdown page is ~45 ms of
        # the first paint's widgets and styles, for a page a fitted shop never shows
        yield Vertical(id="welcome", classes="hidden")
        with VerticalScroll(
            id="dashboard", can_focus=False
        ):  # scrolls rather than cuts on a short terminal
            with Horizontal(id="kpis"):
                yield KpiCard("Customer equity", id="kpi-equity")
                yield KpiCard("Customers", id="kpi-customers")
                yield KpiCard("Top tier", id="kpi-top")
                yield KpiCard("Model check", id="kpi-verdict")
            with Grid(id="overview-grid"):
                table = FitTable(MATRIX_COLUMNS, id="tier-matrix", cursor_type="none",
                                 zebra_stripes=True)  # fmt: skip
                table.border_title = "Customers by tier and risk"
                yield table
                yield Chart("Value concentration: % of future value held by top % of customers",
                            id="concentration")  # fmt: skip
                yield Chart(
                    "Customer equity across fits",
                    id="trend",
                    empty="One fit so far: the trend appears after the next one.",
                )
                with VerticalScroll(id="verdict-box", can_focus=False) as box:
                    box.border_title = "Holdout verdict"
                    yield Static("", id="verdict")

    def reload(self) -> None:
        # each part covered until its own read lands: the headline (a row of the runs table)
        # shows while the tier matrix and the curve are still being read
        self.query_one("#kpis").loading = True
        self.query_one("#overview-grid").loading = True
        ahead, self._ahead = self._ahead, None
        if ahead is not None and ahead.done() and ahead.exception() is None:
            headline = ahead.result()
            self.on_overview_loaded(headline)  # in the screen's first frame
            self.load(headline)
        else:
            self.load(None, ahead)

    _ahead: Future[OverviewLoaded] | None = None

    @work(thread=True, exclusive=True, exit_on_error=False, group="overview")
    def load(
        self, shown: OverviewLoaded | None = None, ahead: Future[OverviewLoaded] | None = None
    ) -> None:
        """Paint from the run's stored aggregates, then warm the shared customer frame.

        ``shown``: the headline already on screen; ``ahead``: a headline read started earlier
        (a failed one is read again here, to report its error the usual way)."""
        try:
            db = self.data.connect()
            headline = shown
            if headline is None:
                if ahead is not None and ahead.exception() is None:
                    headline = ahead.result()
                else:
                    headline = read_headline(db)
                self.post_message(headline)
            run = headline.run
            if run is None:
                return
            from clvtui.services.tiers import tier_risk_totals

            run_id = int(run["id"])
            # stored totals while the tier rule is unchanged; else the shared, re-tiered frame
            matrix = tier_matrix(tier_risk_totals(db, run, lambda: self.data.customers(db, run_id)))
            stored = run_report(run).value_concentration
            if stored:  # fitted with the curve in its report: no per-customer read needed
                curve = (stored.customers_pct, stored.value_pct)
                self.post_message(CustomersLoaded(matrix, curve, stored.top10_share, run_id))
                return
            from clvtui.insights.concentration import value_concentration

            frame = self.data.customers(db, run_id)
            shares = value_concentration(frame["clv"].to_numpy())
            curve = (shares.customers_pct, shares.value_pct)
            self.post_message(CustomersLoaded(matrix, curve, shares.top10_share))
        except ClvError as err:
            self.post_message(LoadFailed(str(err)))

    def on_overview_loaded(self, msg: OverviewLoaded) -> None:
        empty = msg.status.empty
        if empty:
            self.show_welcome()
        self.query_one("#welcome").set_class(not empty, "hidden")
        self.query_one("#dashboard").set_class(empty, "hidden")
        self.query_one("#kpis").loading = False
        if empty:
            self.query_one("#overview-grid").loading = False
            return
        run = msg.run
        if run is None:
            self.query_one("#overview-grid").loading = False
            self.query_one("#kpi-equity", KpiCard).set(
                "not fitted", f"press {key_of('model')}, then f to fit"
            )
            self.query_one("#kpi-customers", KpiCard).set(
                count(msg.status.customers), plural(msg.status.orders, "order")
            )
            return
        report = run_report(run)
        currency, kind = report.currency, value_kind_text(report)
        self.currency = currency
        self.query_one("#kpi-equity", KpiCard).set(
            money(run.get("customer_equity"), currency),
            f"{kind}{f' in {currency}' if currency else ''}"
            f" · 90 % {money(run.get('equity_low'), currency)}"
            f"–{money(run.get('equity_high'), currency)}",
        )
        horizon = report.horizon_months
        self.query_one("#kpi-customers", KpiCard).set(
            count(report.n_customers),
            f"as of {str(report.scored_as_of or '')[:10]}"
            + (f" · {horizon}-month horizon" if horizon else ""),
        )
        self.query_one("#kpi-verdict", KpiCard).set(*_verdict_card(report))
        self.query_one("#verdict", Static).update(verdict_text(report))
        self._show_trend(msg.trend, currency)

    def show_welcome(self) -> None:
        """The first-steps page of an empty database (built the first time it is needed)."""
        welcome = self.query_one("#welcome", Vertical)
        if welcome.children:
            return
        button = Button(
            f"Import a file  ({key_of('import')})", id="welcome-import", variant="primary"
        )
        welcome.mount(Markdown(WELCOME), Center(button))

    def _show_trend(self, trend: list[tuple[int, float]], currency: str | None) -> None:
        chart = self.query_one("#trend", Chart)
        if len(trend) < 2:
            chart.plot(None)
            return
        ids = [float(i) for i, _ in trend]
        values = [v for _, v in trend]
        chart.plot(
            lines(
                Line(ids, values),
                x_label="fit #",
                x_axis=Axis("whole"),
                y_axis=Axis("money", currency),
            )
        )

    @work(thread=True, exclusive=True, exit_on_error=False, group="overview-warm")
    def warm(self, run_id: int) -> None:
        """Read the shared customer frame (and its sort indexes) for the other screens.

        Started after the refresh so its decompression (which uses every core) does not hold
        up the Overview's first frame.
        """
        from clvtui.tui.screens.customers import default_sorts

        try:
            frame = self.data.customers(self.data.connect(), run_id)
            # the string column first: it is the slow one (~0.2 s), numbers take ~40 ms each
            self.data.presort(frame, sorted(default_sorts(), key=lambda s: s[0] != "name"))
        except ClvError as err:
            self.post_message(LoadFailed(str(err)))

    def on_customers_loaded(self, msg: CustomersLoaded) -> None:
        self.query_one("#overview-grid").loading = False
        if msg.warm_run is not None:
            run_id = msg.warm_run
            self.call_after_refresh(lambda: self.warm(run_id))
        # Customers is where users go next: build it while they read this screen (a moment
        # later: the build takes ~0.1 s of the UI thread, not to be spent before this paint)
        self.set_timer(PREBUILD_DELAY, lambda: self.clv.prebuild_mode("customers"))
        rows = []
        for tier in msg.matrix["tier"].unique(maintain_order=True):
            cells = msg.matrix.filter(pl.col("tier") == tier)
            by_risk = dict(zip(cells["risk"], cells["customers"], strict=True))
            total = int(cells["customers"].sum())
            cells_shown = [
                tier,
                count(by_risk.get("active", 0)),
                count(by_risk.get("at risk", 0)),
                count(by_risk.get("likely lost", 0)),
                count(total),
                money(float(cells["clv_total"].sum()), self.currency),
            ]
            rows.append((cells_shown, None))
        self.query_one("#tier-matrix", FitTable).set_rows(rows)
        top = msg.matrix.filter(pl.col("tier") == "Highly profitable")
        n_top = int(top["customers"].sum())
        n_all = int(msg.matrix["customers"].sum()) or 1
        self.query_one("#kpi-top", KpiCard).set(
            plural(n_top, "customer"),
            f"{pct(n_top / n_all)} of customers · top 10 % hold {pct(msg.top_share)}",
        )
        xs, ys = msg.curve
        self.query_one("#concentration", Chart).plot(
            lines(
                Line(xs, ys, "share of value"),
                Line([0.0, 100.0], [0.0, 100.0], "even"),
                x_label="top % of customers",
                x_axis=Axis("pct100"),
                y_axis=Axis("pct100"),
            )
        )

    def on_load_failed(self, msg: LoadFailed) -> None:
        self.query_one("#kpis").loading = False
        self.query_one("#overview-grid").loading = False
        self.fail(msg.message)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "welcome-import":
            self.app.switch_mode("import")


def read_headline(db: sqlite_utils.Database) -> OverviewLoaded:
    """The database's state, the latest run and the equity of every fit (a few rows)."""
    from clvtui.store.status import database_status

    status = database_status(db, counts=False)
    if status.has_orders and not status.runs:  # "not fitted yet" shows the counts
        status = database_status(db)
    run = None
    trend: list[tuple[int, float]] = []
    if status.runs:
        from clvtui.store.runs import latest_run, list_runs

        run = latest_run(db)
        trend = [
            (int(r["id"]), float(r["customer_equity"]))
            for r in list_runs(db)
            if r.get("customer_equity") is not None
        ]
    return OverviewLoaded(status, run, sorted(trend))


def tier_matrix(cells: pl.DataFrame) -> pl.DataFrame:
    """The run's stored (tier, risk) cells on the full 3 × 3 grid (empty cells as zeros)."""
    from clvtui.insights.segments import RISKS, TIERS

    grid = pl.DataFrame({"tier": list(TIERS)}).join(
        pl.DataFrame({"risk": list(RISKS)}), how="cross"
    )
    return grid.join(cells, on=["tier", "risk"], how="left").with_columns(
        pl.col("customers").fill_null(0).cast(pl.Int64), pl.col("clv_total").fill_null(0.0)
    )


def _verdict_card(report: RunReport) -> tuple[str, str]:
    holdout = report.holdout
    if holdout is None:
        return ("no holdout", "fit with a holdout to check the model")
    counts = holdout_counts(holdout)
    if counts is not None:
        predicted, actual = counts
        error = (predicted - actual) / actual
        return (
            f"{error:+.1%} vs actual",
            f"{plural(holdout.weeks, 'week') if holdout.weeks else 'weeks'} held out",
        )
    return ("checked", "see the verdict below")
