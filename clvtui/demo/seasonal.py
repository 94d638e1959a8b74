"""A simulated seasonal shop: the demo's BG/NBD + Gamma-Gamma customers, buying in operational
time τ(t) = ∫ s(u) du with a known month-of-year pattern s (``clvtui demo --shape seasonal``).

Each customer's story is simulated on the operational clock (where it is the plain BG/NBD) and
mapped back to calendar time through τ⁻¹, so the true pattern is exactly the multiplicative
one the seasonal fit estimates (``model.seasonal``). Acquisition is uniform in calendar time.
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import polars as pl

from clvtui.demo.simulate import DemoParams, simulate_orders
from clvtui.model.seasonal import MONTH_DAYS, month_of

# a gift shop: quiet summer, busy from October, December twice a typical month
GIFT_SHOP = np.array([0.8, 0.7, 0.8, 0.85, 0.9, 0.8, 0.7, 0.75, 0.9, 1.15, 1.6, 2.0])
SEASONAL_PARAMS = DemoParams(
    n_customers=4_000,
    b=6.0,
    acquisition_weeks=104.0,
    start=datetime(2023, 1, 1, tzinfo=UTC),
    end=datetime(2025, 12, 31, 23, 59, 59, tzinfo=UTC),
)


def true_pattern(multipliers: np.ndarray = GIFT_SHOP) -> np.ndarray:
    """The pattern normalised as the fit reports it (day-weighted mean 1 over a year)."""
    s = np.asarray(multipliers, dtype=float)
    return s / (np.sum(MONTH_DAYS * s) / MONTH_DAYS.sum())


def simulate_seasonal(
    params: DemoParams | None = None, multipliers: np.ndarray = GIFT_SHOP, seed: int = 0
) -> pl.DataFrame:
    """Orders (columns as ``demo.simulate_orders``) of a shop with the seasonal ``multipliers``."""
    params = params or SEASONAL_PARAMS
    s = true_pattern(multipliers)
    start_day = int(params.start.timestamp() // 86400)
    n_days = int(np.ceil(params.weeks * 7)) + 2
    # day k of the calendar runs at intensity s(month of that day)
    op_days = np.concatenate([[0.0], np.cumsum(s[month_of(start_day + np.arange(n_days))])])
    cal_weeks = np.arange(n_days + 1, dtype=float) / 7.0
    return simulate_orders(params, seed, clock=(cal_weeks, op_days / 7.0))
