"""Which purchase days may be outliers, before any leave-one-out median is taken.

Why a module of its own: ``model.summary`` flags a purchase day as an outlier when it is
above the shop's quantile and more than a factor × the median of the customer's other days.
A median per candidate is Python work; at a million customers ~2,300 days are above the
quantile and the medians took ~0.08 s of CPU. A bound taken for all of them at once (numpy)
rules out all but a few dozen, exactly: the rule is unchanged.
"""

from __future__ import annotations

import numpy as np


def outlier_candidates(
    day_sum: np.ndarray, shop_q: float, owner: np.ndarray, first: np.ndarray,
    n_days: np.ndarray, factor: float,
) -> np.ndarray:  # fmt: skip
    """The purchase days (indices into ``day_sum``, in order) above ``shop_q`` of a customer
    with another day and above ``factor`` × that customer's smallest day: the median of their
    other days is at least the smallest, so no day left out can pass the rule. ``owner``:
    each day's customer; ``first``, ``n_days``: each customer's first day and day count."""
    above = np.flatnonzero(day_sum > shop_q)
    above = above[n_days[owner[above]] >= 2]
    if len(above) == 0:
        return above
    k = owner[above]
    bounds = np.empty(2 * len(k), dtype=np.int64)
    bounds[0::2], bounds[1::2] = first[k], first[k] + n_days[k]
    smallest = np.minimum.reduceat(np.append(day_sum, 0.0), bounds)[0::2]
    return above[day_sum[above] > factor * smallest]
