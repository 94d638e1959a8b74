"""One fit, end to end: orders in SQLite → summary → models → scores, segments, retention → a run.

``fit_run`` is what ``clvtui fit`` and the TUI call. Without a holdout the model is fitted on all
orders up to as-of (default: the last order day). With ``holdout_weeks=N`` it is fitted up to
as-of − N weeks, the last N weeks check it (a backtest), and the scores are those of that fit at
the calibration end — the reported parameters are always those of the fit that was made.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import polars as pl
import sqlite_utils

from clvtui.errors import ModelError, NoDataError
from clvtui.model import choose, clv, gammagamma, survival, validate
from clvtui.model.models import LABELS, PURCHASE_MODELS, fit_purchase, module_for
from clvtui.model.summary import day_to_date, summarise
from clvtui.store.reads import purchases_frame
from clvtui.store.runs import prefetch_identity, save_run
from clvtui.store.schema import TIMESTAMP_FORMAT
from clvtui.store.settings import load_settings

Progress = Callable[[str, float], None]
AUTO_CHOICE_WEEKS = 13  # without a holdout, "auto" compares models on the last quarter


@dataclass
class FitResult:
    run_id: int
    report: dict[str, Any]


def _as_date(value: date | datetime | str | None) -> date | None:
    if value is None or (isinstance(value, date) and not isinstance(value, datetime)):
        return value  # type: ignore[return-value]
    if isinstance(value, datetime):
        return value.date()
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        raise ModelError(f"as-of date must look like 2025-06-30, not {value!r}") from None


def fit_run(
    db: sqlite_utils.Database,
    *,
    as_of: date | datetime | str | None = None,
    holdout_weeks: int | None = None,
    model: str | None = None,
    progress: Progress | None = None,
) -> FitResult:
    """Fit, score every customer, store the run; return its id and the ``fit --json`` report."""
    step = progress or (lambda stage, fraction: None)
    model = None if model in (None, "auto") else model
    if model is not None and model not in PURCHASE_MODELS:
        raise ModelError(f"unknown model {model!r}; choose auto, {', '.join(PURCHASE_MODELS)}")
    if holdout_weeks is not None and holdout_weeks < 1:
        raise ModelError(f"holdout weeks must be at least 1 (got {holdout_weeks})")
    settings = load_settings(db)
    econ = clv.Economics.from_settings(settings)

    step("reading orders", 0.0)
    end = _as_date(as_of)
    orders = purchases_frame(db, until=end)
    if orders.height == 0:
        raise NoDataError(f"no purchases on or before {end}; nothing to fit")
    currency = orders["currency"][0]
    last_day = orders["ordered_at"].max().date()  # type: ignore[union-attr]
    end = end or last_day
    cal_end = end - timedelta(weeks=holdout_weeks) if holdout_weeks else end

    step("summarising customers", 0.15)
    summary = summarise(orders, end, holdout_weeks)
    # overlaps the fits (numpy frees the GIL and leaves a core idle; polars' summary does not)
    identity = prefetch_identity(db)
    if summary.height == 0:
        raise NoDataError(
            f"no customer bought on or before {cal_end}; "
            "choose a later as-of or fewer holdout weeks"
        )
    x, t_x, T, m = (summary[c].to_numpy().astype(float) for c in ("x", "t_x", "T", "m"))
    warnings: list[str] = []

    step("choosing the model", 0.25)
    too_little = choose.enough_data(x)
    choice_doc: dict[str, Any] | None = None
    start = None  # parameters of the model-choice fit, a warm start for the full fit
    if too_little:
        name = "empirical"
        warnings.append(too_little + "; using a simple empirical estimate instead")
    elif model is not None:
        name = model
    else:
        weeks = holdout_weeks or AUTO_CHOICE_WEEKS
        span_weeks = float(T.max())
        if holdout_weeks is None and span_weeks < 3 * weeks:
            name, choice_doc = "bgnbd", {"reason": "history too short to compare models; BG/NBD"}
        else:
            base_end = end if holdout_weeks else cal_end
            choice = choose.choose_model(orders, base_end.isoformat(), weeks)
            name = choice.model
            choice_doc = {"reason": choice.reason, "candidates": choice.scores}
            start = choice.start

    step("fitting", 0.4)
    report: dict[str, Any] = {"model": name, "model_label": LABELS[name]}
    spend_fit = None
    if name == "empirical":
        pred = _empirical_predictions(summary, econ)
        report["purchase_model"] = None
    else:
        purchase_fit = fit_purchase(name, x, t_x, T, start=start)
        if purchase_fit.model != name:  # on its boundary: the nested model the data support
            name = purchase_fit.model
            report |= {"model": name, "model_label": LABELS[name]}
        warnings += purchase_fit.boundary + purchase_fit.warnings
        th = purchase_fit.params
        if name in ("bgnbd", "mbgnbd") and th["a"] + th["b"] <= 1.0:
            warnings.append(
                f"{name}: a + b = {th['a'] + th['b']:.3f} ≤ 1, where the closed-form prediction "
                "breaks down; predictions were integrated numerically instead"
            )
        report["purchase_model"] = purchase_fit.summary_dict()
        report["purchase_model"]["histogram"] = validate.calibration_histogram(
            purchase_fit.theta, x, T, module_for(name).pmf
        )
        try:
            spend_fit = gammagamma.fit(x, m)
            warnings += spend_fit.boundary + spend_fit.warnings
        except ModelError as err:
            warnings.append(f"{err}; using each customer's observed average order value")
        step("predicting", 0.6)
        pred = clv.predict(purchase_fit, spend_fit, x, t_x, T, m, econ)
    rep = x > 0
    report["spend_model"] = (
        None
        if spend_fit is None
        else spend_fit.summary_dict()
        | {
            "frequency_spend_corr": float(np.corrcoef(x[rep], m[rep])[0, 1]),
            "population_mean": gammagamma.population_mean(spend_fit.theta),
        }
    )
    if choice_doc is not None:
        report["model_choice"] = choice_doc

    if holdout_weeks:
        step("checking against the holdout", 0.7)
        if name == "empirical":
            report["holdout"] = None
        else:
            report["holdout"] = validate.holdout_check(
                purchase_fit, summary, orders, holdout_weeks, pred.expected_spend
            )

    step("cohort retention", 0.8)
    full = summarise(orders, end) if holdout_weeks else summary
    retention = survival.retention(
        full["first_day"].to_numpy(), full["last_day"].to_numpy(), _epoch_day(end)
    )

    step("saving", 0.85)
    scores = _scores_frame(summary, pred)
    scores = _segments(scores, settings)
    report |= {
        "customer_equity": {
            "value": pred.equity,
            "low": pred.equity_low,
            "high": pred.equity_high,
            "currency": currency,
            "value_kind": pred.value_kind,
            "horizon_months": econ.horizon_months,
        },
        "as_of": end.isoformat(),
        "calibration_end": cal_end.isoformat(),
        "n_customers": summary.height,
        "value_concentration": value_concentration(scores["clv"].to_numpy()),
        "warnings": warnings,
    }
    run = {
        "created_at": datetime.now(UTC).strftime(TIMESTAMP_FORMAT),
        "as_of": end.isoformat(),
        "calibration_end": cal_end.isoformat(),
        "holdout_weeks": holdout_weeks,
        "model": name,
        "currency": currency,
        "value_kind": pred.value_kind,
        "n_customers": summary.height,
        "customer_equity": pred.equity,
        "equity_low": pred.equity_low,
        "equity_high": pred.equity_high,
        "settings": settings.to_mapping(),
        "report": report,
    }
    run_id = save_run(db, run, scores, retention, identity)
    report["run_id"] = run_id
    step("done", 1.0)
    return FitResult(run_id=run_id, report=report)


def value_concentration(clv_values: np.ndarray, steps: int = 100) -> dict[str, Any]:
    """Share of future value held by the top x % of customers (negative CLV counted as 0).

    Stored in the report so the Overview can draw the curve without reading every customer.
    """
    values = np.sort(np.clip(np.nan_to_num(np.asarray(clv_values, dtype=float)), 0.0, None))[::-1]
    n = values.size
    if n == 0:
        return {"customers_pct": [], "value_pct": [], "top10_share": 0.0}
    cum = np.cumsum(values)
    total = float(cum[-1]) or 1.0
    ks = [max(1, round(i * n / min(n, steps))) for i in range(1, min(n, steps) + 1)]
    return {
        "customers_pct": [0.0, *(100.0 * k / n for k in ks)],
        "value_pct": [0.0, *(100.0 * float(cum[k - 1]) / total for k in ks)],
        "top10_share": float(cum[max(1, n // 10) - 1]) / total,
    }


def _epoch_day(d: date) -> int:
    return (d - day_to_date(0)).days


def _scores_frame(summary: pl.DataFrame, pred: clv.Predictions) -> pl.DataFrame:
    return summary.select(
        "customer_id", "orders", "spend", "x", "t_x", "T", monetary="m"
    ).with_columns(
        pl.Series("p_alive", pred.p_alive),
        pl.Series("expected_orders", pred.expected_orders),
        pl.Series("expected_spend", pred.expected_spend),
        pl.Series("clv", pred.clv),
        pl.Series("clv_low", pred.clv_low),
        pl.Series("clv_high", pred.clv_high),
        pl.Series("next_order_low", pred.next_order_low),
        pl.Series("next_order_high", pred.next_order_high),
    )


def _segments(scores: pl.DataFrame, settings: Any) -> pl.DataFrame:
    from clvtui.insights.segments import assign_segments

    return assign_segments(scores, settings)


def _empirical_predictions(summary: pl.DataFrame, econ: clv.Economics) -> clv.Predictions:
    x, t_x, T, m = (summary[c].to_numpy().astype(float) for c in ("x", "t_x", "T", "m"))
    spend, orders = summary["spend"].to_numpy(), summary["orders"].to_numpy().astype(float)
    horizon = econ.horizon_months * clv.WEEKS_PER_MONTH
    est = choose.empirical(x, t_x, T, m, spend, orders, horizon)
    # spread the expected orders evenly over the months and discount them
    d = econ.monthly_discount_rate
    disc = float(np.mean([(1 + d) ** -k for k in range(1, econ.horizon_months + 1)]))
    value = econ.order_value(est["expected_spend"])
    value_clv = value * est["expected_orders"] * disc
    low = np.where(value_clv >= 0, value_clv * est["low_factor"], value_clv * est["high_factor"])
    high = np.where(value_clv >= 0, value_clv * est["high_factor"], value_clv * est["low_factor"])
    nan = np.full(x.shape, np.nan)
    total = float(value_clv.sum())
    return clv.Predictions(
        p_alive=est["p_alive"],
        expected_orders=est["expected_orders"],
        expected_spend=est["expected_spend"],
        clv=value_clv,
        clv_low=low,
        clv_high=high,
        next_order_low=nan,
        next_order_high=nan,
        equity=total,
        equity_low=float(np.sum(low)),
        equity_high=float(np.sum(high)),
        value_kind=econ.value_kind,
    )
