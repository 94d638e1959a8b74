"""Model (5): parameters with standard errors, holdout tracking, calibration, verdict; refit.

``f`` refits in a thread worker (progress from the pipeline's ``progress(stage, fraction)``
callback, coalesced into a ProgressBar). The settings typed here are validated and saved
before the fit starts, so the run records exactly what it used.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import Input, Label, ProgressBar, Static

from clvtui.errors import ClvError
from clvtui.report import HoldoutCheck, RunReport
from clvtui.settings import Settings, parse_value
from clvtui.tui.data import DB_ERRORS
from clvtui.tui.run_facts import (
    holdout_counts,
    left_out_currencies,
    run_report,
    value_kind_text,
    verdict_text,
)
from clvtui.tui.screens.base import MainScreen
from clvtui.tui.seasonality import SeasonalityChart, seasonality_sentence
from clvtui.tui.widgets.chart import Axis, Chart, Line, lines
from clvtui.tui.widgets.fit_table import FitColumn, FitTable
from clvtui.tui.widgets.fmt import number
from clvtui.tui.widgets.kpi import KpiCard
from clvtui.wording import plural

SETTING_FIELDS = [
    ("margin", "Gross margin", "e.g. 35% (empty = revenue CLV)"),
    ("cost_per_order", "Cost per order", "e.g. 4.50"),
    ("annual_discount_rate", "Annual discount rate", "e.g. 10%"),
    ("horizon_months", "Horizon (months)", "e.g. 12"),
]


PARAM_COLUMNS = [
    FitColumn("Parameter", shrink=8),
    FitColumn("Estimate", numeric=True),
    FitColumn("Std. err.", drop=1, numeric=True),
]


@dataclass
class ModelLoaded(Message):
    run: dict[str, Any] | None
    settings: Settings
    calibration: dict[str, list[float]] | None = None


@dataclass
class FitProgress(Message):
    stage: str
    fraction: float

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, FitProgress)


@dataclass
class FitDone(Message):
    run_id: int


@dataclass
class FitFailed(Message):
    message: str


class ModelScreen(MainScreen):
    MODE = "model"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f", "refit", "Refit", id="refit", tooltip="Fit again with these settings"),
        Binding("escape", "leave_input", "Back", id="leave-input", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.run: dict[str, Any] | None = None
        self.settings: Settings | None = None

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="model-body"):
            with VerticalScroll(
                id="model-side", can_focus=False
            ):  # a short terminal scrolls, never cuts
                params = FitTable(PARAM_COLUMNS, id="params-table", cursor_type="row",
                                  zebra_stripes=True)  # fmt: skip
                params.border_title = "Parameters"
                yield params
                yield Label("[b]Settings[/b] (applied on refit: f)")
                for key, label, hint in SETTING_FIELDS:
                    yield Label(label, classes="field-label")
                    yield Input(placeholder=hint, id=f"set-{key}", classes="setting-input")
                yield ProgressBar(id="fit-progress", show_eta=False)
                yield Label("", id="fit-stage")
            with VerticalScroll(id="model-main", can_focus=False):
                with Horizontal(id="model-kpis"):
                    yield KpiCard("Model", id="kpi-model")
                    yield KpiCard("Fit", id="kpi-fit")
                    yield KpiCard("Holdout: repeat orders", id="kpi-holdout")
                with Grid(id="model-grid"):
                    yield Chart("Holdout: weekly repeat orders, predicted vs actual",
                                id="tracking", empty="No holdout in this fit.")  # fmt: skip
                    yield Chart("Calibration: customers by repeat orders, model vs actual",
                                id="calibration", empty="No calibration data.")  # fmt: skip
                yield SeasonalityChart(id="seasonality")
                verdict = Static("", id="model-verdict")
                verdict.border_title = "Verdict"
                yield verdict

    def on_mount(self) -> None:
        self.query_one("#fit-progress", ProgressBar).display = False

    # --- load ------------------------------------------------------------------------------
    def reload(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="model-load")
    def load(self) -> None:
        from clvtui.store.saved_settings import load_settings

        try:
            db = self.data.connect()
            settings = load_settings(db)
            run = self.latest_run(db)
            calibration = None
            if run is not None:
                fit = run_report(run).purchase_model
                stored = fit.histogram if fit else None
                frame = None if stored else self.data.customers(db, int(run["id"]))
                calibration = calibration_bins(run, frame)
            self.post_message(ModelLoaded(run, settings, calibration))
        except ClvError as err:
            self.post_message(FitFailed(str(err)))

    def on_model_loaded(self, msg: ModelLoaded) -> None:
        self.run, self.settings = msg.run, msg.settings
        for key, _label, _hint in SETTING_FIELDS:
            self.query_one(f"#set-{key}", Input).value = _show_setting(
                key, getattr(msg.settings, key)
            )
        run = msg.run
        if run is None:
            return  # the verdict says so (``show_empty``)
        report = run_report(run)
        self._fill_params(report)
        self.query_one("#kpi-model", KpiCard).set(
            report.model_label,
            f"{plural(report.n_customers, 'customer')} · {value_kind_text(report)}"
            + _currency_note(report),
        )
        fit = report.purchase_model
        loglik, aic = (fit.loglik, fit.aic) if fit else (None, None)
        self.query_one("#kpi-fit", KpiCard).set(
            f"log-lik {number(loglik, 1)}" if loglik is not None else "fitted",
            f"AIC {number(aic, 1)}" if aic is not None else f"as of {str(report.as_of)[:10]}",
        )
        counts = holdout_counts(report.holdout)
        if counts is not None:
            predicted, actual = counts
            self.query_one("#kpi-holdout", KpiCard).set(
                f"{predicted:,.0f} vs {actual:,.0f}", f"{(predicted - actual) / actual:+.1%} error"
            )
        else:
            self.query_one("#kpi-holdout", KpiCard).set("–", "fit with a holdout to check")
        notes = report.boundary_notes()  # what the data could not pin down, in plain words
        verdict = [verdict_text(report) + _left_out_text(report), *(f"Note: {n}" for n in notes)]
        seasons = seasonality_sentence(report.seasonality)  # what it assumes about the seasons
        self.query_one("#model-verdict", Static).update(
            "\n".join([*verdict, seasons] if seasons else verdict)
        )
        self.query_one("#seasonality", SeasonalityChart).show_pattern(report.seasonality)
        self._plot_tracking(report.holdout)
        self._plot_calibration(msg.calibration)

    def show_empty(self, message: str) -> None:
        self.query_one("#model-verdict", Static).update(
            f"Set your margin and costs on the left. {message}"
        )

    def _fill_params(self, report: RunReport) -> None:
        table = self.query_one("#params-table", FitTable)
        as_of = str(report.as_of or "")[:10]
        table.border_title = f"Parameters as of {as_of}" if as_of else "Parameters"
        checked_to = str(report.holdout.calibration_end or "")[:10] if report.holdout else ""
        table.set_note(f"(checked): data to {checked_to}" if checked_to else "")
        table.set_rows(
            [
                ([name, number(value, 4), "–" if se is None else number(se, 4)], None)
                for name, value, se in _parameters(report)
            ]
        )

    def _plot_tracking(self, holdout: HoldoutCheck | None) -> None:
        weekly = holdout.weekly if holdout else None
        predicted = [float(v) for v in (weekly.predicted if weekly else []) if v is not None]
        actual = [float(v) for v in (weekly.actual if weekly else []) if v is not None]
        weeks = [float(i) for i in range(1, len(predicted) + 1)]
        chart = self.query_one("#tracking", Chart)
        # a summary run's check has no weekly series, and says why
        chart.border_subtitle = "" if weeks else str((holdout and holdout.weekly_note) or "")
        chart.plot(
            lines(
                Line(weeks, predicted, "predicted"),
                Line(weeks, actual, "actual"),
                x_label="week of the holdout",
                x_axis=Axis("whole"),
                y_axis=Axis("whole"),
            )
        )

    def _plot_calibration(self, calibration: dict[str, list[float]] | None) -> None:
        chart = self.query_one("#calibration", Chart)
        if not calibration:
            chart.plot(None)
            return
        bins = calibration["bins"]
        series = [Line(bins, calibration["actual"], "actual")]
        if calibration.get("model"):
            series.append(Line(bins, calibration["model"], "model"))
        labels = {b: f"{b:.0f}" for b in bins}
        labels[bins[-1]] = f"{bins[-1]:.0f}+"  # the last bin: that many or more
        chart.plot(
            lines(
                *series,
                x_label="repeat orders",
                x_axis=Axis("whole", labels=labels),
                y_axis=Axis("whole"),
            )
        )

    # --- refit -----------------------------------------------------------------------------
    def read_settings(self) -> Settings:
        assert self.settings is not None
        changes = {
            key: parse_value(key, self.query_one(f"#set-{key}", Input).value)
            for key, _l, _h in SETTING_FIELDS
        }
        return self.settings.with_changes(**changes)

    def action_refit(self) -> None:
        if self.settings is None:
            self.notify("Still loading; try again in a moment.")
            return
        try:
            settings = self.read_settings()
        except ClvError as err:
            self.fail(str(err))
            return
        bar = self.query_one("#fit-progress", ProgressBar)
        bar.display = True
        bar.update(total=100, progress=0)
        self.query_one("#fit-stage", Label).update("starting…")
        weeks = self.run.get("holdout_weeks") if self.run else None
        self.fit(settings, int(weeks) if weeks else None)

    @work(thread=True, exclusive=True, exit_on_error=False, group="fit")
    def fit(self, settings: Settings, holdout_weeks: int | None) -> None:
        from clvtui.services.fit import fit_shop

        def progress(stage: str, fraction: float) -> None:
            self.post_message(FitProgress(stage, fraction))

        try:
            db = self.data.connect(write=True)
            result = fit_shop(db, holdout_weeks=holdout_weeks, settings=settings, progress=progress)
            self.post_message(FitDone(int(result.run_id)))
        except DB_ERRORS as err:
            self.post_message(FitFailed(self.data.explain(err)))

    def on_fit_progress(self, msg: FitProgress) -> None:
        self.query_one("#fit-progress", ProgressBar).update(progress=100 * msg.fraction)
        self.query_one("#fit-stage", Label).update(msg.stage)

    def on_fit_done(self, msg: FitDone) -> None:
        self.query_one("#fit-progress", ProgressBar).update(progress=100)
        self.query_one("#fit-stage", Label).update(f"fit #{msg.run_id} done")
        self.notify(f"Fit #{msg.run_id} done: every screen now shows it.")
        self.clv.data_changed()

    def on_fit_failed(self, msg: FitFailed) -> None:
        self.query_one("#fit-progress", ProgressBar).display = False
        self.query_one("#fit-stage", Label).update("")
        self.fail(msg.message)

    def action_leave_input(self) -> None:
        if isinstance(self.focused, Input):
            self.query_one("#params-table").focus()


def calibration_bins(run: dict[str, Any], frame: Any) -> dict[str, list[float]] | None:
    """Customers by repeat orders (0 … 6, 7+): actual, and what the model expected — the
    histogram ``fit`` stored in the run's report (every model has P(X(T) = k)). Runs without
    one (the empirical estimate, early builds) show the actual counts from the customers."""
    import polars as pl

    from clvtui.model.validate import HISTOGRAM_BINS

    fit = run_report(run).purchase_model
    stored = fit.histogram if fit else None
    bins = [float(k) for k in range(HISTOGRAM_BINS)]
    if stored is not None and len(stored.expected) == HISTOGRAM_BINS:
        return {
            "bins": bins,
            "actual": [float(v) for v in stored.actual],
            "model": [float(v) if v is not None else 0.0 for v in stored.expected],
        }
    if frame is None or frame.height == 0 or "x" not in frame.columns:
        return None
    top = HISTOGRAM_BINS - 1
    counts = frame.select(pl.col("x").clip(upper_bound=top)).to_series().value_counts()
    by_k = dict(zip(counts["x"].to_list(), counts["count"].to_list(), strict=True))
    return {"bins": bins, "actual": [float(by_k.get(k, 0)) for k in range(HISTOGRAM_BINS)]}


def _show_setting(key: str, value: Any) -> str:
    if value is None:
        return ""
    if key in {"margin", "annual_discount_rate"}:
        return f"{value * 100:g}%"
    return f"{value:g}"


def _parameters(report: RunReport) -> list[tuple[str, float, float | None]]:
    """(name, estimate, standard error) of the purchase and spend models, then — for a backtest —
    the purchase parameters of the checked fit, labelled "(checked)" (the table's subtitle says
    the date its data ended)."""
    checked = report.holdout.calibration_fit if report.holdout else None
    out: list[tuple[str, float, float | None]] = []
    for fit, label in ((report.purchase_model, "{}"), (report.spend_model, "{}"),
                       (checked, "{} (checked)")):  # fmt: skip
        for p in fit.parameters() if fit else []:
            if p.value is not None:
                out.append((label.format(p.name), float(p.value), p.stderr))
    return out


def _currency_note(report: RunReport) -> str:
    """ " · in USD", and which currencies the fit left out (a run is in one currency)."""
    left = left_out_currencies(report)
    if not report.currency:
        return ""
    return f" · in {report.currency}" + (f" ({', '.join(left)} left out)" if left else "")


def _left_out_text(report: RunReport) -> str:
    """A line naming the currencies this run left out, and how to fit them."""
    left = left_out_currencies(report)
    if not left:
        return ""
    return (
        f"\nThis run is in {report.currency}; purchases in {', '.join(left)} are left out "
        f"(clvtui fit --currency {left[0]} fits them)."
    )
