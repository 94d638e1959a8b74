"""One fit, end to end: orders in SQLite → summary → models → scores, segments, retention → a run.

``fit_run`` is what ``clvtui fit`` and the TUI call. The stored run always describes the shop as
of the as-of date (default: the last order day): parameters, scores, tiers, risk bands, lists and
exports are those of a fit on every order up to as-of.

A backtest (``holdout_weeks=N``) checks; it does not score. The model is first fitted on the
calibration window (up to as-of − N weeks) and its predictions are compared with the last N
weeks — the verdict, the weekly tracking chart and the calibration histogram are kept in the
report under ``holdout`` with that fit's parameters (``holdout.calibration_fit``). Then the same
model is refitted on all orders up to as-of, warm-started from the calibration fit, and that
final fit (``purchase_model``) scores the customers. So ``fit --holdout-weeks N`` and ``fit``
give the same scores; the first also says how far to trust them.

Also here, because they need the whole shop: outlier orders are capped for the spend model
(``model.summary.OUTLIER_RULE``), one-time buyers get a risk band that follows the shop's own
time to a second order (``insights.segments.OneTimeRule``), and nothing non-finite is stored —
a value that cannot be computed is an explicit null, listed with its reason in ``nulls``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

import numpy as np
import polars as pl
import sqlite_utils

from clvtui.backtest import backtest, epoch_day, fit_spend
from clvtui.core.timefmt import TIMESTAMP_FORMAT
from clvtui.errors import ModelError, NoDataError
from clvtui.insights.segments import OneTimeRule, assign_segments
from clvtui.model import choose, clv, gammagamma, next_order, survival, validate
from clvtui.model.registry import LABELS, PURCHASE_MODELS, fit_purchase, module_for
from clvtui.model.summary import OUTLIER_RULE, capped_spend, summarise_shop
from clvtui.store.reads import currency_report, purchases_frame
from clvtui.store.runs import prefetch_identity, save_run
from clvtui.store.saved_settings import load_settings

Progress = Callable[[str, float], None]
MIN_HISTORY_WEEKS = 4  # shorter histories with repeat buyers are refused (see _enough_history)
AUTO_CHOICE_WEEKS = 13  # without a holdout, "auto" compares models on the last quarter


@dataclass
class FitResult:
    run_id: int
    report: dict[str, Any]


def _as_date(value: date | datetime | str | None) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
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
    currency: str | None = None,
) -> FitResult:
    """Fit, score every customer as of as-of, store the run; return its id and the report.

    ``currency``: fit the customers' purchases in that currency (default: the currency with
    the most purchases); the report says what the other currencies held.
    """
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
    named_currency = currency is not None
    orders = purchases_frame(db, until=end, currency=currency)
    if orders.height == 0:
        raise NoDataError(
            f"no purchases on or before {end}; nothing to fit"
            if end is not None
            else "no purchases in the database; import orders first"
        )
    currency = orders["currency"][0]
    last_day = cast(datetime, orders["ordered_at"].max()).date()
    end = end or last_day
    cal_end = end - timedelta(weeks=holdout_weeks) if holdout_weeks else end
    end_day = epoch_day(end)

    step("summarising customers", 0.1)
    summary, shop_days = summarise_shop(orders, end)
    # overlaps the fits (numpy frees the GIL and leaves a core idle; polars' summary does not)
    identity = prefetch_identity(db)
    x, t_x, T = (summary[c].to_numpy().astype(float) for c in ("x", "t_x", "T"))
    _enough_history(x, T, end)
    m, outlier_doc = capped_spend(summary, shop_days.outliers, end_day)
    warnings: list[str] = []
    currencies = currency_report(db, orders, until=as_of, named=named_currency)
    warnings += currencies.pop("warnings")
    if outlier_doc["orders"]:
        warnings.append(
            f"{outlier_doc['orders']:,} outlier order(s) ({outlier_doc['revenue_share']:.1%} of "
            "revenue) were capped for the spend model; see outlier_orders"
        )

    step("choosing the model", 0.2)
    with numerical_errors("choosing the model"):
        name, choice_doc, start = _choose(orders, x, T, end, holdout_weeks, model, warnings)

    report: dict[str, Any] = {"model": name, "model_label": LABELS[name]}
    if holdout_weeks:
        step("checking against the holdout", 0.3)
        with numerical_errors(f"the {LABELS[name]} holdout check"):
            report["holdout"], start = backtest(
                orders, end, holdout_weeks, name, start, shop_days.outliers, warnings
            )

    step("fitting", 0.45)
    spend_fit = None
    theta: Any
    if name == "empirical":
        pred = _empirical_predictions(summary, m, econ)
        report["purchase_model"] = None
        theta = [float(np.sum(x)) / max(float(np.sum(T)), 1e-9)]
    else:
        with numerical_errors(f"the {LABELS[name]} fit"):
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
        spend_fit = fit_spend(x, m, warnings)
        step("predicting", 0.6)
        with numerical_errors(f"the {LABELS[name]} predictions"):
            pred = clv.predict(purchase_fit, spend_fit, x, t_x, T, m, econ)
        theta = purchase_fit.theta
        if not (math.isfinite(pred.equity_low) and math.isfinite(pred.equity_high)):
            # the parameter draws were unusable (a covariance at the edge of the parameter
            # space): the sum of the customers' own bands is wider, but honest
            pred.equity_low = min(float(np.sum(pred.clv_low)), pred.equity)
            pred.equity_high = max(float(np.sum(pred.clv_high)), pred.equity)
            warnings.append(
                "the customer-equity interval could not be drawn from the fit's uncertainty; "
                "it is the sum of the customers' own intervals instead (wider)"
            )
    p_order = {
        days: next_order.p_order_within(name, theta, x, t_x, T, days / 7.0) for days in (30, 90)
    }
    report["spend_model"] = _spend_doc(spend_fit, x, m)
    if choice_doc is not None:
        report["model_choice"] = choice_doc

    step("cohort retention", 0.8)
    retention = survival.retention(
        summary["first_day"].to_numpy(), summary["last_day"].to_numpy(), end_day
    )

    step("saving", 0.85)
    scores = _scores_frame(summary, pred, p_order)
    one_time = OneTimeRule.from_gaps(shop_days.second_gaps)
    plain = assign_segments(scores, settings)
    scores = assign_segments(scores, settings, one_time)
    moved = int((plain["risk"] != scores["risk"]).sum())
    report |= {
        "currencies": currencies,
        "customer_equity": {
            "value": pred.equity,
            "low": pred.equity_low,
            "high": pred.equity_high,
            "currency": currency,
            "value_kind": pred.value_kind,
            "horizon_months": econ.horizon_months,
        },
        "as_of": end.isoformat(),
        "scored_as_of": end.isoformat(),
        "calibration_end": cal_end.isoformat(),
        "n_customers": summary.height,
        "value_concentration": value_concentration(scores["clv"].to_numpy()),
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
            "one_time_moved": moved,
        },
        "outlier_orders": outlier_doc | {"rule": OUTLIER_RULE},
        "warnings": warnings,
    }
    report = finite_report(report)
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


@contextmanager
def numerical_errors(what: str) -> Iterator[None]:
    """Numerical failures inside the model code (a singular covariance, an overflow) become one
    readable ModelError line instead of a traceback: the user can try another model."""
    try:
        yield
    except (np.linalg.LinAlgError, FloatingPointError, OverflowError, ZeroDivisionError) as err:
        raise ModelError(
            f"{what} failed numerically on this data ({type(err).__name__}: {err}); "
            "try another --model, a later --as-of or no holdout"
        ) from err


def _enough_history(x: np.ndarray, T: np.ndarray, end: date) -> None:
    """Refuse to turn a few days of repeat orders into a year's forecast.

    Two days in which 40 % of customers came back would be extrapolated to ~140 orders a year
    each (every model agrees with the data on a rate; none can say it lasts). With no repeat
    buyer at all nothing is extrapolated (the empirical floor of 0 is said plainly), so only
    a shop with repeat buyers and under MIN_HISTORY_WEEKS of orders is refused.
    """
    span = float(T.max()) if T.size else 0.0
    if np.any(x > 0) and span < MIN_HISTORY_WEEKS:
        first = end - timedelta(days=round(span * 7))
        days = round(span * 7) + 1
        raise NoDataError(
            f"only {days} day{'' if days == 1 else 's'} of orders ({first} – {end}): too short "
            f"to forecast a customer's next year; clvtui needs at least {MIN_HISTORY_WEEKS} "
            "weeks of order history — import older orders, or fit again later"
        )


def _choose(
    orders: pl.DataFrame,
    x: np.ndarray,
    T: np.ndarray,
    end: date,
    holdout_weeks: int | None,
    model: str | None,
    warnings: list[str],
) -> tuple[str, dict[str, Any] | None, list[float] | None]:
    """The model to fit (named, chosen on a holdout, or empirical when data are too few), the
    ``model_choice`` document, and the chosen candidate's parameters as a warm start."""
    too_little = choose.enough_data(x)
    if too_little:
        warnings.append(too_little + "; using a simple empirical estimate instead")
        if not np.any(x > 0):
            warnings.append(
                "nobody has bought a second time yet, so the data cannot tell how many will: "
                "future values are 0 here, a floor rather than a forecast; fit again once "
                "customers come back"
            )
        return "empirical", None, None
    if model is not None:
        return model, None, None
    # The choice never sees the holdout: with one, the candidates are compared on the last
    # weeks of the calibration window only, so the verdict reported later is an untouched test.
    holdout = holdout_weeks or 0
    choose_end = end - timedelta(weeks=holdout)
    span = float(T.max()) - holdout  # weeks of history before the choice's end
    # the last quarter, or with a holdout the last third of a calibration window shorter than
    # that (CDNOW: 38.9 weeks → 12), so that at least two thirds remain to fit on
    weeks = min(AUTO_CHOICE_WEEKS, int(span // 3)) if holdout else AUTO_CHOICE_WEEKS
    where = " (inside the calibration window; the holdout weeks were not used)" if holdout else ""
    if span < 3 * weeks or weeks < 4:
        return "bgnbd", {"reason": f"history too short to compare models{where}; BG/NBD"}, None
    choice = choose.choose_model(orders, choose_end.isoformat(), weeks)
    doc = {
        "reason": choice.reason + where,
        "candidates": choice.scores,
        "compared_on": {
            "from": (choose_end - timedelta(weeks=weeks)).isoformat(),
            "to": choose_end.isoformat(),
            "weeks": weeks,
            "holdout_used": False,
        },
    }
    return choice.model, doc, choice.start


def _spend_doc(spend_fit: Any, x: np.ndarray, m: np.ndarray) -> dict[str, Any] | None:
    if spend_fit is None:
        return None
    rep = x > 0
    corr = (
        float(np.corrcoef(x[rep], m[rep])[0, 1])
        if rep.sum() > 2 and np.std(x[rep]) > 0 and np.std(m[rep]) > 0
        else None
    )
    return spend_fit.summary_dict() | {
        "frequency_spend_corr": corr,
        "population_mean": gammagamma.population_mean(spend_fit.theta),
    }


def finite_report(report: dict[str, Any]) -> dict[str, Any]:
    """The report with every NaN/inf replaced by null, each listed in ``nulls`` with a reason
    (the database and ``--json`` accept no non-finite number, and a silent null would hide one)."""
    nulls: list[dict[str, str]] = []

    def clean(value: Any, path: str) -> Any:
        if isinstance(value, float | np.floating):
            if math.isfinite(value):
                return float(value)
            nulls.append({"field": path, "reason": f"not computable ({value!r}) on this data"})
            return None
        if isinstance(value, dict):
            return {k: clean(v, f"{path}.{k}" if path else str(k)) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [clean(v, f"{path}[{i}]") for i, v in enumerate(value)]
        if isinstance(value, np.integer):
            return int(value)
        return value

    out = clean(report, "")
    if nulls:
        out["nulls"] = nulls
    return out


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


def _scores_frame(
    summary: pl.DataFrame, pred: clv.Predictions, p_order: dict[int, np.ndarray]
) -> pl.DataFrame:
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
        pl.Series("p_order_30", p_order[30]),
        pl.Series("p_order_90", p_order[90]),
    )


def _empirical_predictions(
    summary: pl.DataFrame, m: np.ndarray, econ: clv.Economics
) -> clv.Predictions:
    x, t_x, T = (summary[c].to_numpy().astype(float) for c in ("x", "t_x", "T"))
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
