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

**Summed, never per customer × time.** Customer i's expected orders by t are
``stored_i × S[pair_i, t]`` with S one row per distinct (x, T) pair, so any sum over a group of
customers of ``w_i × S[pair_i, t]`` (or of ``w_i × S[pair_i, t]²``, the variance's square term)
is the pair-wise sum of the weights times S: the customers are summed per (group, pair) first,
and no customers × times matrix is built (at 1 M customers that is 100 MB per matrix).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

WEEKS_PER_MONTH = 52.0 / 12.0  # the model's month (model.clv)
DENSE_CELLS = 1 << 20  # (group, pair) cells summed in a dense array up to this many


@dataclass(frozen=True)
class OrderPaths:
    """Share of each customer's stored expected orders placed by each time after as-of."""

    shares: np.ndarray  # distinct (x, T) pairs × times
    pair: np.ndarray  # each customer's row of ``shares``

    def at(self, column: int) -> np.ndarray:
        """Each customer's share at one time (a vector, not a matrix)."""
        return self.shares[self.pair, column]


def _pairs(x: np.ndarray, T: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct (x, T) pairs and each customer's pair number (T on a day grid). The last
    customers' pairs are kept for the next call with the same x and T (the plan and the
    Cohorts screen value cohorts and a forecast of one run's customers: one sort, not three)."""
    seen = _fingerprint(x, T)
    if _LAST_PAIRS and _LAST_PAIRS[0][0] == seen:
        return _LAST_PAIRS[0][1]
    key = x.astype(np.int64) * 10_000_000 + np.rint(T * 7.0).astype(np.int64)
    pair, first = sorted_codes(key)
    found = x[first], T[first], pair
    for shared in found:
        shared.flags.writeable = False  # handed to every later caller with these customers
    _LAST_PAIRS[:] = [(seen, found)]
    return found


_LAST_PAIRS: list[tuple[bytes, tuple[np.ndarray, np.ndarray, np.ndarray]]] = []


def _fingerprint(*arrays: np.ndarray) -> bytes:
    """A digest of the arrays' values (16 MB at a million customers: ~10 ms)."""
    digest = hashlib.blake2b(digest_size=32)
    for a in arrays:
        digest.update(str((a.dtype.str, a.shape)).encode())
        digest.update(np.ascontiguousarray(a).data)
    return digest.digest()


def sorted_codes(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Dense codes of integer ``keys`` in the keys' sort order, and the position of each code's
    first key: ``np.unique(..., return_index=True, return_inverse=True)`` by one polars sort,
    several times faster at a million keys."""
    import polars as pl

    order = pl.Series(keys).arg_sort().to_numpy()
    ranked = keys[order]
    starts = np.empty(len(ranked), dtype=bool)
    starts[:1] = True
    np.not_equal(ranked[1:], ranked[:-1], out=starts[1:])
    del ranked  # memory: at a million keys each of these arrays is 8–30 MB
    small = np.int32 if len(keys) < 2**31 else np.int64
    codes: np.ndarray = np.empty(len(keys), dtype=small)
    codes[order] = np.cumsum(starts, dtype=small) - 1
    del order
    first = np.full(int(starts.sum()), len(keys), dtype=small)
    np.minimum.at(first, codes, np.arange(len(keys), dtype=small))
    return codes, first


def order_paths(
    model: str,
    params: dict[str, float | None],
    x: np.ndarray,
    T: np.ndarray,
    weeks: Sequence[float],
    horizon_weeks: float,
) -> OrderPaths:
    """Shares S(x, T, t) / S(x, T, H) of the expected orders over the horizon placed in
    (as-of, as-of + t], for each t in ``weeks`` (evenly spread without a model formula)."""
    from clvtui.model.alive import FORMULAS, theta_of

    def linear(t: float) -> float:
        return min(max(t, 0.0), horizon_weeks) / horizon_weeks

    theta = theta_of(model, params)
    if theta is None or len(x) == 0:
        shares = np.array([[linear(t) for t in weeks]])
        return OrderPaths(shares, np.zeros(len(x), dtype=np.int64))
    alive_expected = FORMULAS[model]
    px, pT, pair = _pairs(np.asarray(x, float), np.asarray(T, float))
    full = alive_expected(theta, px, pT, horizon_weeks)
    safe = np.where(full > 0, full, 1.0)
    shares = np.empty((len(px), len(weeks)))
    for j, t in enumerate(weeks):
        share = alive_expected(theta, px, pT, float(t)) / safe if t > 0 else np.zeros_like(px)
        shares[:, j] = np.where(full > 0, share, linear(t))
    return OrderPaths(shares, pair)


def variance_factor(
    model: str, params: dict[str, float | None], x: np.ndarray, p_alive: np.ndarray
) -> np.ndarray | None:
    """Per customer, the factor k of a future order count's variance e + k·e² for mean e.

    Negative binomial while alive, mixed with P(alive) (see the module note); None — the
    variance is the mean, Poisson — when the model has no shape parameter r (the empirical
    estimate).
    """
    from clvtui.model.alive import theta_of

    theta = theta_of(model, params)
    if theta is None:
        return None
    r = float(theta[0])
    p = np.clip(np.asarray(p_alive, float), 1e-9, 1.0)
    return (1.0 / (r + np.asarray(x, float)) + 1.0 - p) / p


def group_sums(
    shares: np.ndarray,
    pair: np.ndarray,
    group: np.ndarray,
    n_groups: int,
    terms: Sequence[tuple[np.ndarray, int]],
) -> list[np.ndarray]:
    """For each (w, k) of ``terms``: Σ over each group's customers of w_i × shares[pair_i]^k,
    groups × times. The customers are summed per (group, pair) cell first."""
    n_pairs = shares.shape[0]
    key = group.astype(np.int64) * n_pairs + pair
    if n_groups * n_pairs <= DENSE_CELLS:
        return [
            np.bincount(key, weights=w, minlength=n_groups * n_pairs).reshape(n_groups, n_pairs)
            @ shares**k
            for w, k in terms
        ]
    cells, at = np.unique(key, return_inverse=True)
    cell_group, cell_pair = cells // n_pairs, cells % n_pairs
    out = []
    for w, k in terms:
        weight = np.bincount(at.ravel(), weights=w, minlength=len(cells))
        out.append(
            np.stack(
                [np.bincount(cell_group, weights=weight * shares[cell_pair, j] ** k,
                             minlength=n_groups) for j in range(shares.shape[1])],
                axis=1,
            )
        )  # fmt: skip
    return out


def combined_band(
    point: float, param_low: float, param_high: float, process_sd: float, z: float
) -> tuple[float, float]:
    """A 90 % band from the model's parameter band and the process noise, in quadrature."""
    down = float(np.hypot(point - param_low, z * process_sd))
    up = float(np.hypot(param_high - point, z * process_sd))
    return point - down, point + up
