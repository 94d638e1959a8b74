"""Simulated awkward shops for the model tests, as per-customer arrays (weeks).

Purchases are simulated in continuous time and rounded to days like the real summary, so the
(x, t_x, T) rows look like a real shop's. All generators take a seed and are deterministic.
"""

from __future__ import annotations

import numpy as np


def _events(rng: np.random.Generator, rate: np.ndarray, life: np.ndarray, T: np.ndarray):
    """x and t_x for Poisson purchases at ``rate`` until min(life, T), on a day grid."""
    n = len(rate)
    x, t_x = np.zeros(n), np.zeros(n)
    end = np.minimum(life, T)
    counts = rng.poisson(rate * end)
    for i in np.flatnonzero(counts):
        times = np.unique(np.round(rng.uniform(0.0, end[i], counts[i]) * 7.0) / 7.0)
        times = times[times > 0]
        if times.size:
            x[i], t_x[i] = times.size, times[-1]
    return x, t_x


def no_dropout(n: int = 4000, r: float = 0.8, alpha: float = 8.0, weeks: float = 52.0,
               seed: int = 1, after: float = 0.0):  # fmt: skip
    """Gamma-Poisson buyers who never leave, acquired over ``weeks``; as-of ``after`` weeks
    after the end of the window (a wholesale shop's year: nobody visibly left)."""
    rng = np.random.default_rng(seed)
    rate = rng.gamma(r, 1.0 / alpha, n)
    T = np.round(rng.uniform(0.0, weeks, n) * 7.0) / 7.0
    x, t_x = _events(rng, rate, np.full(n, np.inf), T)
    return x, t_x, T + after


def regulars(n: int = 3000, rate: float = 0.5, weeks: float = 52.0, seed: int = 2):
    """Subscription-like buyers: everyone at (almost) the same rate, nobody leaves."""
    rng = np.random.default_rng(seed)
    T = np.round(rng.uniform(4.0, weeks, n) * 7.0) / 7.0
    x, t_x = _events(rng, np.full(n, rate), np.full(n, np.inf), T)
    return x, t_x, T


def with_dropout(n: int = 3000, seed: int = 3, after: float = 0.0):
    """An ordinary shop: Pareto/NBD-style buyers (λ ~ Γ(0.6, 8), lifetimes μ ~ Γ(0.8, 20))."""
    rng = np.random.default_rng(seed)
    rate = rng.gamma(0.6, 1.0 / 8.0, n)
    life = rng.exponential(1.0 / rng.gamma(0.8, 1.0 / 20.0, n))
    T = np.round(rng.uniform(0.0, 52.0, n) * 7.0) / 7.0
    x, t_x = _events(rng, rate, life, T)
    return x, t_x, T + after


def orders_frame(x, t_x, T, first_day: str = "2024-01-01", seed: int = 0):
    """Orders (customer_id, ordered_at UTC, amount) whose day-level summary is (x, t_x, T) as of
    first_day + max(T): the first purchase, x − 1 days in between, the last at t_x."""
    from datetime import UTC, datetime, timedelta

    import polars as pl

    rng = np.random.default_rng(seed)
    end = datetime.fromisoformat(first_day).replace(tzinfo=UTC) + timedelta(days=float(T.max()) * 7)
    ids, times, amounts = [], [], []
    for i, (xi, txi, Ti) in enumerate(zip(x, t_x, T, strict=True)):
        start = end - timedelta(days=round(Ti * 7))
        days = [0]
        last = round(txi * 7)
        if xi > 0:
            between = (
                rng.choice(np.arange(1, last), size=int(xi) - 1, replace=False) if xi > 1 else []
            )
            days += [*sorted(int(d) for d in between), last]
        for d in days:
            ids.append(f"C{i}")
            times.append(start + timedelta(days=d, hours=12))
            amounts.append(float(np.round(rng.gamma(4.0, 8.0), 2)) + 1.0)
    return pl.DataFrame({"customer_id": ids, "ordered_at": times, "amount": amounts})
