"""Fit from a warehouse summary: a run like any other, with no orders on this machine.

``clvtui fit --summary FILE`` lands here. The file (checked by ``ingest.summary_file``) holds
x, t_x, T, m per customer; the fit, the spend model, CLV with intervals, P(order), tiers, risk
and retention are computed exactly as ``pipeline.fit_run`` computes them from orders, and the
run is stored with the same tables and report keys, plus ``summary_file`` saying where it came
from and what a summary cannot give (``not_available``). The arrays stay numpy end to end and
collapsed once to distinct (x, t_x, T) rows (``model.collapsed``), which the fit, the
predictions, P(order) and retention share (docs/warehouse.md: the 10 M-customer benchmark).

What needs order lines is not done, and the report says so: the model choice by a holdout
(``auto`` is BG/NBD; name another with ``--model``), outlier capping, the shop's own one-time
rule (its 26-week default is used) and the weekly holdout chart.

Holdout check: a summary with ``x_holdout`` describes the customers up to the calibration end
(as-of − N weeks) and counts their purchase days in the N weeks after. The check compares the
fit's predictions with those counts; the run is scored as of the calibration end
(``scored_as_of``), because the summary holds nothing later.
"""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import polars as pl
import sqlite_utils

from clvtui.backtest import epoch_day, fit_spend
from clvtui.core.timefmt import TIMESTAMP_FORMAT
from clvtui.ingest.summary_file import SummaryFile
from clvtui.insights.concentration import value_concentration
from clvtui.insights.segments import OneTimeRule, assign_segments
from clvtui.model import choose, clv, gammagamma, next_order, survival, validate
from clvtui.model.base import Rows
from clvtui.model.collapsed import collapse_weeks
from clvtui.model.empirical import empirical_predictions
from clvtui.model.registry import LABELS, fit_purchase, module_for

# pipeline's pieces, shared so both paths store the same report (see the module docstring)
from clvtui.pipeline import FitResult, Progress, equity_fallback, numerical_errors
from clvtui.report import RunReport
from clvtui.report_json import finite_report
from clvtui.scoring import fit_scores, spend_report
from clvtui.settings import Settings
from clvtui.shop import _enough_history
from clvtui.store.runs import save_run
from clvtui.store.saved_settings import load_settings
from clvtui.store.summary_customers import SUMMARY_SOURCE, upsert_summary_customers
from clvtui.summary_request import NO_CURRENCY, check_request, request_currency

NOT_AVAILABLE = [
    "order lines and order history (customer detail shows the summary only)",
    "model choice on a holdout (auto = BG/NBD)",
    "outlier capping for the spend model",
    "the shop's own one-time-buyer rule (26-week default used)",
    "customer attributes for profiles (country, channel, first product)",
]
NOT_AVAILABLE_MESSAGE = "not available for a summary run"


@dataclass
class SummaryRun:
    """A summary run computed, not yet stored: the ``runs`` row (report inside), the scores,
    retention curves and the customers' identity rows."""

    run: dict[str, Any]
    scores: pl.DataFrame
    retention: pl.DataFrame
    people: pl.DataFrame  # customer_id, email, name
    first_day: np.ndarray  # each customer's first purchase day (days since 1970-01-01)


def fit_summary_run(
    db: sqlite_utils.Database,
    summary: SummaryFile,
    *,
    as_of: date | datetime | str | None = None,
    holdout_weeks: int | None = None,
    model: str | None = None,
    unit: str = "weeks",
    currency: str | None = None,
    progress: Progress | None = None,
) -> FitResult:
    """Fit the summary's customers, score them, store the run; return its id and report.

    ``currency``: the amounts' currency when the file has no currency column (else it must
    agree with it); with neither the run is in XXX, ISO 4217's "no currency", and says so.
    """
    step = progress or (lambda stage, fraction: None)
    done = score_summary(
        summary, load_settings(db), as_of=as_of, holdout_weeks=holdout_weeks, model=model,
        unit=unit, currency=currency, progress=step,
    )  # fmt: skip
    identity: Future[pl.DataFrame] = Future()  # who is who comes from the file, not the table
    identity.set_result(
        done.people.select("customer_id", "name", "email").with_columns(
            country=pl.lit(None, pl.Utf8),
            channel=pl.lit(None, pl.Utf8),
            sources=pl.lit(SUMMARY_SOURCE),
        )
    )
    step("saving", 0.85)
    first = pl.Series(done.first_day.astype("datetime64[D]")).cast(pl.Utf8)
    people = done.people.with_columns(first_order_at=first)
    run_id = save_run(db, done.run, done.scores, done.retention, identity,
                      also=lambda conn: upsert_summary_customers(conn, people))  # fmt: skip
    report = done.run["report"]
    report["run_id"] = run_id
    step("done", 1.0)
    return FitResult(run_id=run_id, run_report=RunReport.from_json(report))


def score_summary(
    summary: SummaryFile,
    settings: Settings,
    *,
    as_of: date | datetime | str | None = None,
    holdout_weeks: int | None = None,
    model: str | None = None,
    unit: str = "weeks",
    currency: str | None = None,
    progress: Progress | None = None,
) -> SummaryRun:
    """Everything a summary run stores, computed (the benchmark times this at 10 M)."""
    step = progress or (lambda stage, fraction: None)
    model = None if model in (None, "auto") else model
    end, cal_end = check_request(summary, as_of, holdout_weeks, model, currency)
    warnings: list[str] = []
    code = request_currency(summary, currency, warnings)
    frame = _customers(summary.frame)
    econ = clv.Economics.from_settings(settings)
    # float columns are used in place (to_numpy shares polars' memory): 10 M × 8 bytes each
    x, t_x, T, m = (np.asarray(frame[c].to_numpy(), float) for c in ("x", "t_x", "T", "m"))
    _enough_history(x, T, cal_end)
    step("fitting", 0.2)
    rows = collapse_weeks(x, t_x, T)  # once: the fit, the predictions and retention share it
    report, fits, pred, theta = _fit_and_predict(frame, (x, t_x, T, m), rows, model, econ,
                                                 warnings)  # fmt: skip
    del x, t_x, T, m  # the float copy of x: 80 MB at 10 M customers, not needed from here
    name = report["model"]
    # per distinct row (P(alive) from the predictions), gathered per customer
    p_rows = next_order.p_orders_within(name, theta, rows.x, rows.t_x, rows.T,
                                        [30 / 7.0, 90 / 7.0], pred.row_p_alive)  # fmt: skip
    p_order = {d: p[rows.inverse] for d, p in zip((30, 90), p_rows, strict=True)}
    if holdout_weeks:
        report["holdout"] = _holdout(*fits, frame, holdout_weeks, cal_end, warnings)
    step("cohort retention", 0.7)
    cal_day = epoch_day(cal_end)
    row_first = cal_day - np.rint(rows.T * 7).astype(np.int64)
    row_last = row_first + np.rint(rows.t_x * 7).astype(np.int64)
    retention = survival.retention(row_first, row_last, cal_day, weights=rows.weight)
    scores = fit_scores(frame, pred, p_order)
    # before the tiers exist: at 10 M customers the peak memory is the sum of what is alive
    concentration = asdict(value_concentration(pred.clv))
    one_time = OneTimeRule.from_gaps(np.zeros(0))  # no second-order gaps in a summary
    scores = assign_segments(scores, settings, one_time, text=False)  # text when stored
    report |= _report_tail(summary, code, unit, pred, econ, p_order, scores, concentration,
                           one_time, end, cal_end, settings, warnings)  # fmt: skip
    report["risk_rule"]["one_time_moved"] = _one_time_moved(scores, settings, one_time)
    report["summary_file"]["distinct_rows"] = len(rows.x)  # what the fit ran on
    run = _run_row(end, cal_end, holdout_weeks, name, code, pred, frame.height, settings, report)
    first_day = row_first.astype(np.int32)[rows.inverse]  # int32: 40 MB less at 10 M
    return SummaryRun(run, scores, retention, frame.select("customer_id", "email", "name"),
                      first_day)  # fmt: skip


def _run_row(
    end: date, cal_end: date, holdout_weeks: int | None, name: str, code: str,
    pred: clv.Predictions, n_customers: int, settings: Settings, report: dict[str, Any],
) -> dict[str, Any]:  # fmt: skip
    """The runs row of a summary fit (the same fields as an orders fit's)."""
    return {
        "created_at": datetime.now(UTC).strftime(TIMESTAMP_FORMAT),
        "as_of": end.isoformat(),
        "calibration_end": cal_end.isoformat(),
        "holdout_weeks": holdout_weeks,
        "model": name,
        "currency": code,
        "value_kind": pred.value_kind,
        "n_customers": n_customers,
        "customer_equity": pred.equity,
        "equity_low": pred.equity_low,
        "equity_high": pred.equity_high,
        "settings": settings.to_mapping(),
        "report": finite_report(report),
    }


def _fit_and_predict(
    frame: pl.DataFrame,
    arrays: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    rows: Rows,
    model: str | None,
    econ: clv.Economics,
    warnings: list[str],
) -> tuple[dict[str, Any], tuple[Any, Any], clv.Predictions, Any]:
    """The purchase and spend fits and the predictions: (report so far, (purchase fit, spend
    fit), predictions, purchase parameters for P(order))."""
    x, t_x, T, m = arrays
    name, choice_doc = _choose(x, model, warnings)
    report: dict[str, Any] = {"model": name, "model_label": LABELS[name]}
    purchase_fit, spend_fit = None, None
    if name == "empirical":
        pred = empirical_predictions(frame, m, econ)
        report["purchase_model"] = None
        theta: Any = [float(np.sum(x)) / max(float(np.sum(T)), 1e-9)]
    else:
        with numerical_errors(f"the {LABELS[name]} fit"):
            purchase_fit = fit_purchase(name, x, t_x, T, rows=rows)
        if purchase_fit.model != name:
            name = purchase_fit.model
            report |= {"model": name, "model_label": LABELS[name]}
        warnings += purchase_fit.boundary + purchase_fit.warnings
        report["purchase_model"] = purchase_fit.summary_dict()
        report["purchase_model"]["histogram"] = validate.calibration_histogram(
            purchase_fit.theta, x, T, module_for(name).pmf
        )
        spend_fit = fit_spend(x, m, warnings)
        with numerical_errors(f"the {LABELS[name]} predictions"):
            pred = clv.predict(purchase_fit, spend_fit, x, t_x, T, m, econ, rows=rows)
        theta = purchase_fit.theta
        equity_fallback(pred, warnings)
    spend_doc = spend_report(spend_fit, x, m)
    report["spend_model"] = None if spend_doc is None else spend_doc.to_json()
    report["model_choice"] = choice_doc
    return report, (purchase_fit, spend_fit), pred, theta


def _one_time_moved(scores: pl.DataFrame, settings: Settings, one_time: OneTimeRule) -> int:
    """How many one-time buyers the rule moved to a worse band than P(alive) gives (what
    ``pipeline`` counts by assigning the segments twice: one pass, not a second 10 M-row one)."""
    p, once, age = pl.col("p_alive"), pl.col("x") == 0, pl.col("T")
    by_p = (
        pl.when(p >= settings.active_min_p_alive).then(0)
        .when(p <= settings.lost_max_p_alive).then(2).otherwise(1)
    )  # fmt: skip
    moved = once & (
        ((age > one_time.lost_weeks) & (by_p != 2))
        | ((age > one_time.at_risk_weeks) & (age <= one_time.lost_weeks) & (by_p == 0))
    )
    # a million rows at a time: the expression's temporaries over 10 M rows cost ~100 MB
    step = 1_000_000
    return sum(
        int(scores.slice(lo, step).select(moved.sum()).item())
        for lo in range(0, scores.height, step)
    )


def _customers(frame: pl.DataFrame) -> pl.DataFrame:
    """The summary with the columns a run stores: orders (x + 1 when absent), spend (revenue,
    or x · m: the repeat spend, when absent), email and name (null when absent)."""
    cols = frame.columns
    return frame.with_columns(
        orders=pl.col("orders") if "orders" in cols else pl.col("x") + 1,
        spend=pl.col("revenue") if "revenue" in cols else pl.col("x") * pl.col("m"),
        email=pl.col("email") if "email" in cols else pl.lit(None, pl.Utf8),
        name=pl.col("name") if "name" in cols else pl.lit(None, pl.Utf8),
    ).with_columns(pl.col("spend").fill_null(pl.col("x") * pl.col("m")))


def _choose(
    x: np.ndarray, model: str | None, warnings: list[str]
) -> tuple[str, dict[str, Any] | None]:
    too_little = choose.enough_data(x)
    if too_little:
        warnings.append(too_little + "; using a simple empirical estimate instead")
        return "empirical", None
    if model is not None:
        return model, None
    return "bgnbd", {
        "reason": "a summary run has no order history to compare the models on; BG/NBD "
        "(name another with --model)"
    }


def _holdout(
    fit: Any, spend: Any, frame: pl.DataFrame, weeks: int, cal_end: date, warnings: list[str]
) -> dict[str, Any] | None:
    """The holdout document from the summary's ``x_holdout`` counts (no weekly series: that
    needs order dates)."""
    if fit is None:
        warnings.append(f"no {weeks}-week holdout check: too little data for a model")
        return None
    x, t_x, T, m = (frame[c].to_numpy().astype(float) for c in ("x", "t_x", "T", "m"))
    pred = module_for(fit.model).expected(fit.theta, x, t_x, T, float(weeks))
    actual = frame["x_holdout"].to_numpy().astype(float)
    fallback = float(np.mean(m[x > 0])) if np.any(x > 0) else 0.0
    e_spend = (
        np.where(x > 0, m, fallback)
        if spend is None
        else gammagamma.expected_spend(spend.theta, x, m, fallback)
    )
    corr = float(np.corrcoef(pred, actual)[0, 1]) if actual.std() > 0 and pred.std() > 0 else 0.0
    doc: dict[str, Any] = {
        "weeks": weeks,
        "customers": int(frame.height),
        "actual_repeat_orders": int(actual.sum()),
        "predicted_repeat_orders": float(pred.sum()),
        "actual_revenue": None,
        "predicted_revenue": float(np.sum(pred * e_spend)),
        "customer_mae": float(np.mean(np.abs(pred - actual))),
        "customer_corr": corr,
        "weekly": None,
        "weekly_note": f"weekly tracking is {NOT_AVAILABLE_MESSAGE} (no order dates)",
        "calibration_end": cal_end.isoformat(),
    }
    doc["verdict"] = validate.verdict(doc)  # no calibration_fit: the run's own fit is checked
    warnings.append(
        f"scored as of the calibration end {cal_end}: a summary with holdout counts describes "
        "the customers up to then; fit the summary taken at as-of (without x_holdout) for "
        "scores as of as-of"
    )
    return doc


def _report_tail(summary, code, unit, pred, econ, p_order, scores, concentration, one_time, end,
                 cal_end, settings, warnings) -> dict[str, Any]:  # fmt: skip
    """The report keys every run has, filled in for a summary run."""
    return {
        "currencies": {
            "currency": code,
            "chosen_by": "the summary file's currency column"
            if summary.currency
            else ("--currency" if code != NO_CURRENCY else "not given (XXX: no currency)"),
            "left_out": [],
        },
        "customer_equity": {
            "value": pred.equity,
            "low": pred.equity_low,
            "high": pred.equity_high,
            "currency": code,
            "value_kind": pred.value_kind,
            "horizon_months": econ.horizon_months,
        },
        "as_of": end.isoformat(),
        "scored_as_of": cal_end.isoformat(),
        "calibration_end": cal_end.isoformat(),
        "n_customers": scores.height,
        "value_concentration": concentration,
        "next_order": {
            "p_order_30_mean": float(np.mean(p_order[30])),
            "p_order_90_mean": float(np.mean(p_order[90])),
            "expected_customers_30": float(np.sum(p_order[30])),
            "expected_customers_90": float(np.sum(p_order[90])),
        },
        "risk_rule": {
            "p_alive": (
                f"active: P(alive) ≥ {settings.active_min_p_alive:.0%}; likely lost: "
                f"P(alive) ≤ {settings.lost_max_p_alive:.0%}; at risk in between"
            ),
            "one_time": one_time.to_json(),
            "one_time_moved": 0,
        },
        "outlier_orders": {
            "orders": 0,
            "customers": 0,
            "revenue_share": 0.0,
            "rule": f"outlier capping is {NOT_AVAILABLE_MESSAGE} (no order lines)",
        },
        "summary_file": {
            "file": summary.path.name,
            "unit": unit,
            "columns": summary.frame.columns,
            "not_available": NOT_AVAILABLE,
        },
        "warnings": warnings,
    }
