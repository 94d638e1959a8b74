"""The holdout check of a run: fit on the calibration window, check on the last N weeks.

``pipeline.fit_run`` calls it before the final fit on all orders, which it warm-starts from the
calibration parameters returned here (a backtest checks; it does not score).
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl

from clvtui.errors import ModelError
from clvtui.model import choose, gammagamma, validate
from clvtui.model.base import FittedModel, Rows
from clvtui.model.beside import quiet_pool
from clvtui.model.registry import fit_purchase, module_for
from clvtui.model.seasonal import SeasonalClock
from clvtui.model.summary import capped_spend, epoch_day, summarise
from clvtui.model.warm import WarmStart
from clvtui.report import HoldoutCheck

__all__ = ["backtest", "epoch_day", "fit_spend"]


def backtest(
    orders: pl.DataFrame,
    end: date,
    weeks: int,
    name: str,
    start: list[float] | None,
    outliers: pl.DataFrame,
    warnings: list[str],
    clock: SeasonalClock | None = None,
    cal: pl.DataFrame | None = None,
    weekly: np.ndarray | None = None,
) -> tuple[HoldoutCheck | None, list[float] | None]:
    """Fit ``name`` on the calibration window and check it on the last ``weeks`` weeks.

    Returns the holdout check (None, with a warning, when there is nothing to check) and
    the calibration parameters, the warm start of the final fit. The outlier days are those
    found up to as-of (only the ones inside the calibration window are capped): finding them
    again on the window would cost another pass over the orders for the predicted revenue
    only. ``clock``: fit and check in seasonal time, with the pattern of the calibration window.
    ``cal``: ``summarise(orders, end, weeks)`` when the caller has it (``ShopDays.calibration``),
    ``weekly``: its customers' purchase days per holdout week (``ShopDays.holdout_weekly``).
    """
    cal_end = end - timedelta(weeks=weeks)
    if cal is None:
        cal = summarise(orders, end, weeks)
    why = None
    if name == "empirical":
        why = "too little data for a model, so there is no model to check"
    elif cal.height == 0:
        why = f"nobody had bought by {cal_end} (the holdout is as long as the history)"
    else:
        why = choose.enough_data(cal["x"].to_numpy())
    if why:
        warnings.append(f"no {weeks}-week holdout check: {why}")
        return None, start
    cx, ct, cT = (cal[c].to_numpy().astype(float) for c in ("x", "t_x", "T"))
    cal_day = epoch_day(cal_end)
    cm, _ = capped_spend(cal, outliers, cal_day)
    if clock is not None:
        ct, cT = clock.summary_times(ct, cT, cal_day)
    rows = Rows.collapse(cx, ct, cT)  # once: the fit, the check and the histogram share it
    try:
        cal_fit, e_spend = _calibration_fits(name, cx, ct, cT, cm, start, rows)
    except ModelError as err:
        warnings.append(f"no {weeks}-week holdout check: the calibration fit failed ({err})")
        return None, start
    doc = validate.holdout_check(cal_fit, cal, orders, weeks, e_spend, clock, weekly, rows)
    doc["calibration_end"] = cal_end.isoformat()
    checked = cal_fit.model  # the nested model when the window shows no dropout
    doc["calibration_fit"] = cal_fit.summary_dict() | {
        "model": checked,
        "histogram": validate.calibration_histogram(
            cal_fit.theta, cx, cT, module_for(checked).pmf, rows
        ),
    }
    # a warm start only for the same model: a nested fit has fewer parameters
    return HoldoutCheck.from_json(doc), WarmStart.of(cal_fit) if checked == name else start


def _calibration_fits(
    name: str, cx: np.ndarray, ct: np.ndarray, cT: np.ndarray, cm: np.ndarray,
    start: list[float] | None, rows: Rows,
) -> tuple[FittedModel, np.ndarray]:  # fmt: skip
    """The calibration window's purchase fit and each customer's expected spend, from a
    Gamma-Gamma fit made beside it on the other core (numpy frees the GIL)."""
    with quiet_pool("clvtui-spend") as pool:
        spending = pool.submit(fit_spend, cx, cm, [])
        cal_fit = fit_purchase(name, cx, ct, cT, start=start, rows=rows)
        spend = spending.result()
    fallback = float(np.mean(cm[cx > 0])) if np.any(cx > 0) else 0.0
    if spend is None:
        return cal_fit, np.where(cx > 0, cm, fallback)
    return cal_fit, gammagamma.expected_spend(spend.theta, cx, cm, fallback)


def fit_spend(x: np.ndarray, m: np.ndarray, warnings: list[str]) -> FittedModel | None:
    """Gamma-Gamma on the repeat buyers, or None (with the reason in ``warnings``) when it
    cannot be fitted: each customer's own average order value is used then."""
    try:
        fit = gammagamma.fit(x, m)
    except ModelError as err:
        warnings.append(f"{err}; using each customer's observed average order value")
        return None
    warnings += fit.boundary + fit.warnings
    return fit
