"""Expected repeat orders of existing customers, spread over time after the as-of date.

Shared by the cohort table (``insights.cohorts``) and the revenue planner (``insights.plan``).

**Why scale the stored expectation.** A run stores each customer's expected orders over the
horizon (``expected_orders``); the cohort table must agree with it exactly (a cohort's expected
future summed over its customers equals the sum of their stored scores). So the model is asked
only for the *shape* of the path: customer i's expected orders by time t after as-of are
``expected_orders_i × S(x_i, T_i, t) / S(x_i, T_i, H)``, with S(t) = E[Y(t) | alive] of the
fitted purchase model (one evaluation per distinct (x, T) and time, like the fit). For a model
in calendar time this is exactly E[X(t) | x, t_x, T]; for a seasonal run the total over the
horizon is the seasonal one and the shape within it is the calendar-time shape. Without a model
formula (the empirical estimate) the orders are spread evenly.

**Process noise.** Given the model, the orders a group of customers will actually place still
vary. While alive a customer's count over t is Poisson with a Gamma(r + x, α + T) rate, i.e.
negative binomial with mean μ and variance μ + μ²/(r + x); mixed with P(alive) = p it has mean
e = pμ and variance e + (e²/p)·(1/(r + x) + 1 − p) (dropout inside the window ignored). Summed
over independent customers, this is the "Poisson-gamma" part of the intervals, computed in
closed form rather than by sampling. Order values are taken at their expectation.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

WEEKS_PER_MONTH = 52.0 / 12.0  # the model's month (model.clv)


def _pairs(x: np.ndarray, T: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct (x, T) pairs and each customer's pair number (T on a day grid)."""
    key = x.astype(np.int64) * 10_000_000 + np.rint(T * 7.0).astype(np.int64)
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    return x[first], T[first], inverse.ravel()


def cumulative_orders(
    model: str,
    params: dict[str, float | None],
    customers: pl.DataFrame,
    weeks: Sequence[float],
    horizon_weeks: float,
) -> np.ndarray:
    """Customers × times: expected repeat orders in (as-of, as-of + t] for each t in ``weeks``.

    ``customers``: x, T (weeks) and the run's ``expected_orders`` over ``horizon_weeks``.
    """
    from clvtui.model.registry import module_for, theta_of

    stored = customers["expected_orders"].to_numpy().astype(float)
    out = np.empty((customers.height, len(weeks)))
    theta = theta_of(model, params)
    if theta is None or customers.height == 0:
        for j, t in enumerate(weeks):
            out[:, j] = stored * (min(max(t, 0.0), horizon_weeks) / horizon_weeks)
        return out
    mod = module_for(model)
    x = customers["x"].to_numpy().astype(float)
    T = customers["T"].to_numpy().astype(float)
    px, pT, inv = _pairs(x, T)
    full = mod.alive_expected(theta, px, pT, horizon_weeks)
    safe = np.where(full > 0, full, 1.0)
    for j, t in enumerate(weeks):
        share = mod.alive_expected(theta, px, pT, float(t)) / safe if t > 0 else np.zeros_like(px)
        share = np.where(full > 0, share, min(max(t, 0.0), horizon_weeks) / horizon_weeks)
        out[:, j] = stored * share[inv]
    return out


def order_variance(
    model: str, params: dict[str, float | None], customers: pl.DataFrame, expected: np.ndarray
) -> np.ndarray:
    """Variance of each customer's future order count with mean ``expected`` (same shape).

    ``customers``: x and p_alive. Negative binomial while alive, mixed with P(alive) (see the
    module note); Poisson when the model has no shape parameter r (the empirical estimate).
    """
    from clvtui.model.registry import theta_of

    theta = theta_of(model, params)
    if theta is None:
        return expected.copy()
    r = float(theta[0])
    x = customers["x"].to_numpy().astype(float)
    p = np.clip(customers["p_alive"].to_numpy().astype(float), 1e-9, 1.0)
    extra = (1.0 / (r + x) + 1.0 - p) / p
    if expected.ndim == 2:
        extra = extra[:, None]
    return expected + expected**2 * extra


def combined_band(
    point: float, param_low: float, param_high: float, process_sd: float, z: float
) -> tuple[float, float]:
    """A 90 % band from the model's parameter band and the process noise, in quadrature."""
    down = float(np.hypot(point - param_low, z * process_sd))
    up = float(np.hypot(param_high - point, z * process_sd))
    return point - down, point + up
