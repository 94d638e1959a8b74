"""Holdout check: does the model, fitted on the calibration window, predict what came next?

Reports the aggregate predicted vs actual repeat orders and revenue in the holdout, a weekly
tracking series (incremental and cumulative, as in Fader, Hardie & Lee 2005, fig. 3), per-customer
MAE and correlation, the calibration-period histogram of repeat purchases (BG/NBD eq. 8), and one
sentence a shop owner can act on.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np
import polars as pl

from clvtui.model import bgnbd
from clvtui.model.base import FittedModel, Rows, row_key
from clvtui.model.registry import module_for
from clvtui.model.seasonal import SeasonalClock
from clvtui.model.summary import purchase_days
from clvtui.wording import plural

Pmf = Callable[[np.ndarray, np.ndarray, int], np.ndarray]


class ConditionalSums:
    """Σ_i E[Y(t) | x_i, t_x,i, T_i] for many t: P(alive) once per customer, E[Y(t) | alive]
    once per distinct (x, T) and t, weighted by the P(alive) summed per (x, T).

    ``rows``: the customers collapsed (with ``inverse``): P(alive) and the (x, T) pairs are
    then found per row and gathered per customer — the same values, summed in the same order.
    """

    def __init__(
        self,
        fit: FittedModel,
        x: np.ndarray,
        t_x: np.ndarray,
        T: np.ndarray,
        rows: Rows | None = None,
    ) -> None:
        self.mod, self.theta = module_for(fit.model), fit.theta
        if rows is None:
            pa = self.mod.p_alive(fit.theta, x, t_x, T)
            first, inv = _pairs(x, T)
            self.px, self.pT = x[first], T[first]
        else:
            pa = self.mod.p_alive(fit.theta, rows.x, rows.t_x, rows.T)[rows.inverse]
            first, inv = _pairs(rows.x, rows.T)
            self.px, self.pT = rows.x[first], rows.T[first]
            inv = inv[rows.inverse]
        self.weight = np.bincount(inv, weights=pa, minlength=len(first))

    def __call__(self, t: float) -> float:
        s = self.mod.alive_expected(self.theta, self.px, self.pT, t)
        return float(np.sum(self.weight * s))


def _pairs(x: np.ndarray, T: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The first index of each distinct (x, T) (sorted) and every element's pair number."""
    key = row_key(x.astype(np.int64), T)
    _, first, inv = np.unique(key, return_index=True, return_inverse=True)
    return first, inv.ravel()


def holdout_check(
    fit: FittedModel,
    summary: pl.DataFrame,
    orders: pl.DataFrame,
    weeks: int,
    expected_spend: np.ndarray | None = None,
    clock: SeasonalClock | None = None,
    weekly: np.ndarray | None = None,
    rows: Rows | None = None,
) -> dict[str, Any]:
    """Compare predictions with the holdout columns of a ``summarise(..., holdout_weeks)`` frame.

    ``clock``: the fit ran in seasonal time; the summary's weeks and the holdout's are mapped.
    ``weekly``: the actual purchase days per holdout week when known (``ShopDays``), else
    counted over ``orders``. ``rows``: the fit's collapsed rows of these customers (in the
    clock's time), so each prediction is made once per row and gathered (the same values).
    """
    mod = module_for(fit.model)
    x, t_x, T = (summary[c].to_numpy().astype(float) for c in ("x", "t_x", "T"))
    cal_day = round(float(summary["first_day"][0]) + 7.0 * float(summary["T"][0]))
    horizon: Callable[[float], float] = float
    if clock is not None:
        t_x, T = clock.summary_times(t_x, T, cal_day)
        horizon = partial(clock.ahead, cal_day)
    if rows is None:
        pred = mod.expected(fit.theta, x, t_x, T, horizon(weeks))
    else:
        pred = mod.expected(fit.theta, rows.x, rows.t_x, rows.T, horizon(weeks))[rows.inverse]
    actual = summary["holdout_x"].to_numpy().astype(float)
    spend_actual = float(summary["holdout_spend"].sum())
    corr = float(np.corrcoef(pred, actual)[0, 1]) if actual.std() > 0 and pred.std() > 0 else 0.0
    if weekly is None:
        weekly = _actual_weekly(summary, orders, weeks)
    doc: dict[str, Any] = {
        "weeks": weeks,
        "customers": int(summary.height),
        "actual_repeat_orders": int(actual.sum()),
        "predicted_repeat_orders": float(pred.sum()),
        "actual_revenue": spend_actual,
        "predicted_revenue": (
            float(np.sum(pred * expected_spend)) if expected_spend is not None else None
        ),
        "customer_mae": float(np.mean(np.abs(pred - actual))),
        "customer_corr": corr,
        "weekly": _weekly(fit, weekly, x, t_x, T, horizon, rows),
    }
    doc["verdict"] = verdict(doc)
    return doc


def _actual_weekly(summary: pl.DataFrame, orders: pl.DataFrame, weeks: int) -> np.ndarray:
    """The summary's customers' purchase days in each holdout week, counted over the orders."""
    cal_end = round(float(summary["first_day"][0]) + 7.0 * float(summary["T"][0]))
    day = pl.col("ordered_at").dt.epoch("d")
    window = orders.lazy().filter((day > cal_end) & (day <= cal_end + 7 * weeks))
    # only the holdout window's orders (a few weeks), merged into purchase days
    days = purchase_days(window).join(
        summary.lazy().select("customer_id"), on="customer_id", how="semi"
    )
    counts = (
        days.filter(pl.col("day") > cal_end)
        .with_columns(week=((pl.col("day") - cal_end - 1) // 7 + 1))
        .filter(pl.col("week") <= weeks)
        .group_by("week")
        .len()
        .collect()
    )
    actual = np.zeros(weeks)
    for w, n in counts.iter_rows():
        actual[int(w) - 1] = n
    return actual


def _weekly(fit, actual, x, t_x, T, horizon=float, rows=None) -> dict[str, list[float]]:
    weeks, actual = len(actual), np.asarray(actual, dtype=float)  # floats in the report
    sums = ConditionalSums(fit, x, t_x, T, rows)
    cum_pred = np.array([sums(horizon(k)) for k in range(1, weeks + 1)])
    inc_pred = np.diff(np.concatenate([[0.0], cum_pred]))
    return {
        "actual": actual.tolist(),
        "predicted": inc_pred.tolist(),
        "actual_cumulative": np.cumsum(actual).tolist(),
        "predicted_cumulative": cum_pred.tolist(),
    }


#: Bars of the calibration histogram: customers with 0 … 6 repeat purchases, then "7 or more".
HISTOGRAM_BINS = 8


def calibration_histogram(
    theta: np.ndarray,
    x: np.ndarray,
    T: np.ndarray,
    pmf: Pmf = bgnbd.pmf,
    rows: Rows | None = None,
) -> dict[str, list]:
    """Actual vs expected number of customers with 0..6 and 7+ repeat purchases (BG/NBD eq. 8,
    or the ``pmf`` of the model that was fitted). ``rows``: the same customers collapsed,
    counted by their weights (whole numbers: the same counts)."""
    top = HISTOGRAM_BINS - 1  # the last bar: that many or more
    if rows is None:
        uT, counts = np.unique(np.round(T, 9), return_counts=True)
        n = len(x)
        actual = [int(np.sum(x == k)) for k in range(top)] + [int(np.sum(x >= top))]
    else:
        uT, inv = np.unique(np.round(rows.T, 9), return_inverse=True)
        counts = np.bincount(inv.ravel(), weights=rows.weight, minlength=len(uT))
        n = rows.n_customers
        by_x = np.bincount(np.minimum(rows.x, top).astype(np.int64), weights=rows.weight)
        actual = [int(v) for v in np.pad(by_x, (0, max(0, top + 1 - len(by_x))))[: top + 1]]
    expected = [float(np.sum(counts * pmf(theta, uT, k))) for k in range(top)]
    expected.append(float(n) - sum(expected))
    labels = [str(k) for k in range(top)] + [f"{top}+"]
    return {"labels": labels, "actual": actual, "expected": expected}


def verdict(doc: dict[str, Any]) -> str:
    """One sentence: how far off the total was, how well customers were ranked, what to do."""
    act, pred, corr = (
        doc["actual_repeat_orders"],
        doc["predicted_repeat_orders"],
        doc["customer_corr"],
    )
    weeks = doc["weeks"]
    if act == 0:
        return (
            f"No repeat orders happened in the last {plural(weeks, 'week')} (the model expected "
            f"{pred:,.0f}), so there is nothing to check the model against yet."
        )
    err = pred / act - 1.0
    side = "too low" if err < 0 else "too high"
    if abs(err) <= 0.10 and corr >= 0.5:
        advice = "good enough to plan with"
    elif abs(err) <= 0.25 and corr >= 0.3:
        advice = "a fair guide — plan with some margin"
    else:
        advice = "treat its numbers with caution"
    rank = "well" if corr >= 0.6 else "fairly" if corr >= 0.3 else "poorly"
    return (
        f"Over the last {plural(weeks, 'week')} the model expected {pred:,.0f} repeat orders and "
        f"{act:,} happened ({abs(err):.0%} {side}), and it told your best customers apart "
        f"{rank} (correlation {corr:.2f}): {advice}."
    )
