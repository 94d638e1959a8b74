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
from textual.containers import Grid, Horizontal, Vertical
from textual.message import Message
from textual.widgets import DataTable, Input, Label, ProgressBar, Static

from clvtui.errors import ClvError
from clvtui.settings import Settings, parse_value
from clvtui.tui.data import DB_ERRORS
from clvtui.tui.report import (
    boundary_notes,
    dig,
    holdout_of,
    run_currency,
    run_value_kind,
    verdict_text,
)
from clvtui.tui.screens.base import MainScreen
from clvtui.tui.widgets.chart import Chart, ChartColors
from clvtui.tui.widgets.fmt import count, number
from clvtui.tui.widgets.kpi import KpiCard

SETTING_FIELDS = [
    ("margin", "Gross margin", "e.g. 35% (empty = revenue CLV)"),
    ("cost_per_order", "Cost per order", "e.g. 4.50"),
    ("annual_discount_rate", "Annual discount rate", "e.g. 10%"),
    ("horizon_months", "Horizon (months)", "e.g. 12"),
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
            with Vertical(id="model-side"):
                params = DataTable(id="params-table", cursor_type="row", zebra_stripes=True)
                params.border_title = "Parameters"
                yield params
                yield Label("[b]Settings[/b] (applied on refit: f)")
                for key, label, hint in SETTING_FIELDS:
                    yield Label(label, classes="field-label")
                    yield Input(placeholder=hint, id=f"set-{key}", classes="setting-input")
                yield ProgressBar(id="fit-progress", show_eta=False)
                yield Label("", id="fit-stage")
            with Vertical(id="model-main"):
                with Horizontal(id="model-kpis"):
                    yield KpiCard("Model", id="kpi-model")
                    yield KpiCard("Fit", id="kpi-fit")
                    yield KpiCard("Holdout: repeat orders", id="kpi-holdout")
                with Grid(id="model-grid"):
                    yield Chart("Holdout: weekly repeat orders, predicted vs actual",
                                id="tracking", empty="No holdout in this fit.")  # fmt: skip
                    yield Chart("Calibration: customers by repeat orders, model vs actual",
                                id="calibration", empty="No calibration data.")  # fmt: skip
                verdict = Static("", id="model-verdict")
                verdict.border_title = "Verdict"
                yield verdict

    def on_mount(self) -> None:
        self.query_one("#params-table", DataTable).add_columns("Parameter", "Estimate", "Std. err.")
        self.query_one("#fit-progress", ProgressBar).display = False

    # --- load ------------------------------------------------------------------------------
    def reload(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="model-load")
    def load(self) -> None:
        from clvtui.store.settings import load_settings

        try:
            db = self.data.connect()
            settings = load_settings(db)
            from clvtui.store.runs import latest_run

            run = latest_run(db)
            calibration = None
            if run is not None:
                stored = dig(run, "report", "purchase_model", "histogram")
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
            self.query_one("#model-verdict", Static).update(
                "No fit yet. Set your margin and costs on the left, then press [b]f[/b]."
            )
            return
        report = dig(run, "report") or {}
        self._fill_params(report)
        model = str(run.get("model") or dig(report, "model") or "?")
        self.query_one("#kpi-model", KpiCard).set(
            str(dig(report, "model_label") or model.upper()),
            f"{count(run.get('n_customers'))} customers · {run_value_kind(run)}"
            + _currency_note(run),
        )
        loglik = dig(report, "purchase_model", "loglik")
        aic = dig(report, "purchase_model", "aic")
        self.query_one("#kpi-fit", KpiCard).set(
            f"log-lik {number(loglik, 1)}" if loglik is not None else "fitted",
            f"AIC {number(aic, 1)}" if aic is not None else f"as of {str(run.get('as_of'))[:10]}",
        )
        holdout = holdout_of(run)
        predicted = dig(holdout, "predicted_repeat_orders") or dig(holdout, "predicted")
        actual = dig(holdout, "actual_repeat_orders") or dig(holdout, "actual")
        if isinstance(predicted, int | float) and isinstance(actual, int | float) and actual:
            self.query_one("#kpi-holdout", KpiCard).set(
                f"{predicted:,.0f} vs {actual:,.0f}", f"{(predicted - actual) / actual:+.1%} error"
            )
        else:
            self.query_one("#kpi-holdout", KpiCard).set("–", "fit with a holdout to check")
        notes = boundary_notes(run)  # what the data could not pin down, in plain words
        self.query_one("#model-verdict", Static).update(
            "\n".join([verdict_text(run) + _left_out_text(run), *(f"Note: {n}" for n in notes)])
        )
        self._plot_tracking(holdout)
        self._plot_calibration(msg.calibration)

    def _fill_params(self, report: dict[str, Any]) -> None:
        table = self.query_one("#params-table", DataTable)
        table.clear()
        as_of = str(dig(report, "as_of") or "")[:10]
        table.border_title = f"Parameters as of {as_of}" if as_of else "Parameters"
        checked_to = str(dig(report, "holdout", "calibration_end") or "")[:10]
        table.border_subtitle = f"(checked): data to {checked_to}" if checked_to else ""
        for name, value, se in _parameters(report):
            table.add_row(name, number(value, 4), "–" if se is None else number(se, 4))

    def _plot_tracking(self, holdout: dict[str, Any] | None) -> None:
        weekly = dig(holdout, "weekly") or {}
        predicted = [float(v) for v in weekly.get("predicted") or []]
        actual = [float(v) for v in weekly.get("actual") or []]
        weeks = [float(i) for i in range(1, len(predicted) + 1)]
        chart = self.query_one("#tracking", Chart)
        if not weeks:
            # warehouse hook: a summary run's check has no weekly series, and says why
            chart.border_subtitle = str(dig(holdout, "weekly_note") or "")
            chart.plot(None)
            return

        def draw(fig: Any, colors: ChartColors) -> None:
            p = fig.signal(weeks, predicted)
            p.lines(True)
            p.label("predicted")
            fig.draw(p)
            a = fig.signal(weeks, actual)
            a.lines(True)
            a.label("actual")
            fig.draw(a)
            fig.label("week", axis="x")

        chart.plot(draw)

    def _plot_calibration(self, calibration: dict[str, list[float]] | None) -> None:
        chart = self.query_one("#calibration", Chart)
        if not calibration:
            chart.plot(None)
            return
        bins = calibration["bins"]
        actual, model = calibration["actual"], calibration.get("model")

        def draw(fig: Any, colors: ChartColors) -> None:
            a = fig.signal(bins, actual)
            a.lines(True)
            a.label("actual")
            fig.draw(a)
            if model:
                m = fig.signal(bins, model)
                m.lines(True)
                m.label("model")
                fig.draw(m)
            fig.label("repeat orders (last bin: that many or more)", axis="x")

        chart.plot(draw)

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
        weeks = dig(self.run, "holdout_weeks") if self.run else None
        self.fit(settings, int(weeks) if weeks else None)

    @work(thread=True, exclusive=True, exit_on_error=False, group="fit")
    def fit(self, settings: Settings, holdout_weeks: int | None) -> None:
        from clvtui.pipeline import fit_run
        from clvtui.store.settings import save_settings

        def progress(stage: str, fraction: float) -> None:
            self.post_message(FitProgress(stage, fraction))

        try:
            db = self.data.connect(write=True)
            save_settings(db, settings)
            result = fit_run(db, holdout_weeks=holdout_weeks, progress=progress)
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


CALIBRATION_BINS = 8  # 0 … 6 repeat orders, then "7 or more"


def calibration_bins(run: dict[str, Any], frame: Any) -> dict[str, list[float]] | None:
    """Customers by repeat orders (0 … 6, 7+): actual, and what the model expected — the
    histogram ``fit`` stored in the run's report (every model has P(X(T) = k)). Runs without
    one (the empirical estimate, early builds) show the actual counts from the customers."""
    import polars as pl

    stored = dig(run, "report", "purchase_model", "histogram")
    bins = [float(k) for k in range(CALIBRATION_BINS)]
    if isinstance(stored, dict) and len(stored.get("expected") or []) == CALIBRATION_BINS:
        return {
            "bins": bins,
            "actual": [float(v) for v in stored["actual"]],
            "model": [float(v) for v in stored["expected"]],
        }
    if frame is None or frame.height == 0 or "x" not in frame.columns:
        return None
    top = CALIBRATION_BINS - 1
    counts = frame.select(pl.col("x").clip(upper_bound=top)).to_series().value_counts()
    by_k = dict(zip(counts["x"].to_list(), counts["count"].to_list(), strict=True))
    return {"bins": bins, "actual": [float(by_k.get(k, 0)) for k in range(CALIBRATION_BINS)]}


def _show_setting(key: str, value: Any) -> str:
    if value is None:
        return ""
    if key in {"margin", "annual_discount_rate"}:
        return f"{value * 100:g}%"
    return f"{value:g}"


def _parameters(report: dict[str, Any]) -> list[tuple[str, float, float | None]]:
    """(name, estimate, standard error) of the purchase and spend models, then — for a backtest —
    the purchase parameters of the checked fit, labelled "(checked)" (the table's subtitle says
    the date its data ended)."""
    out: list[tuple[str, float, float | None]] = []
    sections = [("purchase_model",), ("spend_model",), ("holdout", "calibration_fit")]
    for section in sections:
        params = dig(report, *section, "params")
        errors = dig(report, *section, "stderr") or {}
        label = "{} (checked)" if section[0] == "holdout" else "{}"
        if isinstance(params, dict):
            for name, value in params.items():
                if value is not None:
                    out.append((label.format(name), float(value), _float(errors.get(name))))
    return out


def _float(value: Any) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


def _currency_note(run: dict[str, Any]) -> str:
    """ " · in USD", and which currencies the fit left out (a run is in one currency)."""
    currency = run_currency(run)
    left = [str(o.get("currency")) for o in dig(run, "report", "currencies", "left_out") or []]
    if not currency:
        return ""
    return f" · in {currency}" + (f" ({', '.join(left)} left out)" if left else "")


def _left_out_text(run: dict[str, Any]) -> str:
    """A line naming the currencies this run left out, and how to fit them."""
    left = [str(o.get("currency")) for o in dig(run, "report", "currencies", "left_out") or []]
    if not left:
        return ""
    return (
        f"\nThis run is in {run_currency(run)}; purchases in {', '.join(left)} are left out "
        f"(clvtui fit --currency {left[0]} fits them)."
    )
