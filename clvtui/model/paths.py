"""One customer over time: P(alive) week by week since the first order, and expected repeat
orders week by week after the as-of date — for any fitted purchase model (via the registry).

Why here: the Customer-detail screen drew these from the run's parameters itself, choosing the
model module by name; the maths belongs with the models, the screen only draws.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from clvtui.model.registry import module_for, theta_of

MAX_POINTS = 200  # a curve needs no more points than a terminal has columns


@dataclass(frozen=True)
class Path:
    """A curve: ``weeks`` (x axis) and the value at each."""

    weeks: list[float]
    values: list[float]


def alive_path(
    model: str, params: dict[str, float | None], purchase_days: list[float], as_of_day: float
) -> Path | None:
    """P(alive) from the first purchase day to as-of, re-evaluated at each week as if that
    were the as-of date (x and t_x are what the customer had done by then).

    ``purchase_days``: the customer's distinct purchase days (days since the epoch); None when
    the model has no P(alive) formula (the empirical estimate) or there is nothing to draw.
    """
    theta = theta_of(model, params)
    if theta is None or not purchase_days:
        return None
    stamps = sorted(set(purchase_days))
    first = stamps[0]
    days = np.array([(d - first) / 7.0 for d in stamps])
    end = (as_of_day - first) / 7.0
    taus = np.linspace(0.0, max(end, 0.0), num=min(MAX_POINTS, max(2, int(end) + 1)))
    x = np.array([np.sum((days > 0) & (days <= t)) for t in taus], dtype=float)
    t_x = np.array([days[days <= t].max() if np.any(days <= t) else 0.0 for t in taus])
    ys = module_for(model).p_alive(theta, x, t_x, taus)
    return Path([float(t) for t in taus], [float(y) for y in ys])


def expected_orders_path(
    model: str, params: dict[str, float | None], x: float, t_x: float, T: float, weeks: int
) -> Path | None:
    """Expected repeat orders in the first 1, 2, … ``weeks`` weeks after as-of (cumulative),
    for a customer with history (x, t_x, T); None without a model formula."""
    theta = theta_of(model, params)
    if theta is None or weeks < 1:
        return None
    mod = module_for(model)
    one = (np.array([x], dtype=float), np.array([t_x], dtype=float), np.array([T], dtype=float))
    ks = list(range(1, weeks + 1))
    ys = [float(mod.expected(theta, *one, float(k))[0]) for k in ks]
    return Path([float(k) for k in ks], ys)
