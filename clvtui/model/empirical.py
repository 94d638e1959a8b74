"""CLV from the empirical estimate (``choose.empirical``), for shops with too little data for a
model: the same per-customer outputs as ``clv.predict`` so the rest of a fit does not care.

Why the discounting is a mean over months: the estimate has no timing, so the expected orders
are spread evenly over the horizon's months and each month discounted.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from clvtui.model import choose, clv


def empirical_predictions(
    summary: pl.DataFrame, m: np.ndarray, econ: clv.Economics
) -> clv.Predictions:
    """Per-customer P(alive), expected orders, spend and CLV with a 90 % band (Poisson
    uncertainty of the shop's repeat rate); no next-order window (the estimate has none)."""
    x, t_x, T = (summary[c].to_numpy().astype(float) for c in ("x", "t_x", "T"))
    spend, orders = summary["spend"].to_numpy(), summary["orders"].to_numpy().astype(float)
    horizon = econ.horizon_months * clv.WEEKS_PER_MONTH
    est = choose.empirical(x, t_x, T, m, spend, orders, horizon)
    d = econ.monthly_discount_rate
    disc = float(np.mean([(1 + d) ** -k for k in range(1, econ.horizon_months + 1)]))
    value = econ.order_value(est["expected_spend"])
    value_clv = value * est["expected_orders"] * disc
    low = np.where(value_clv >= 0, value_clv * est["low_factor"], value_clv * est["high_factor"])
    high = np.where(value_clv >= 0, value_clv * est["high_factor"], value_clv * est["low_factor"])
    nan = np.full(x.shape, np.nan)
    return clv.Predictions(
        p_alive=est["p_alive"],
        expected_orders=est["expected_orders"],
        expected_spend=est["expected_spend"],
        clv=value_clv,
        clv_low=low,
        clv_high=high,
        next_order_low=nan,
        next_order_high=nan,
        equity=float(value_clv.sum()),
        equity_low=float(np.sum(low)),
        equity_high=float(np.sum(high)),
        value_kind=econ.value_kind,
    )


def shop_rate(x: np.ndarray, T: np.ndarray) -> list[float]:
    """The empirical estimate's one parameter: the shop-wide weekly repeat rate."""
    return [float(np.sum(x)) / max(float(np.sum(T)), 1e-9)]
