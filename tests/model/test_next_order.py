"""P(at least one order in the next t weeks): checked against simulated shops whose truth we know.

Each test simulates customers from known parameters, summarises them at a calibration date, and
compares the mean predicted P(order within t) — computed with the *true* parameters — with the
share of customers who actually ordered in the following t weeks. With 20,000 customers the
share's standard error is ≤ 0.0035; the tolerance is 0.015 (≈ 4 standard errors, plus the small
day-resolution bias of the shop summaries).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clvtui.demo import DemoParams, simulate_orders
from clvtui.model.next_order import p_order_within
from clvtui.model.summary import summarise

TOL = 0.015
N = 20_000


def _share_check(model: str, theta, s, weeks: int) -> None:
    x, t_x, T = (s[c].to_numpy().astype(float) for c in ("x", "t_x", "T"))
    p = p_order_within(model, theta, x, t_x, T, float(weeks))
    observed = (s["holdout_x"].to_numpy() > 0).astype(float)
    assert p.min() >= 0.0 and p.max() <= 1.0
    assert p.mean() == pytest.approx(observed.mean(), abs=TOL)
    # and among one-time buyers and repeat buyers separately (different formulas' branches)
    for group in (x == 0, x > 0):
        assert p[group].mean() == pytest.approx(observed[group].mean(), abs=2 * TOL)


@pytest.mark.parametrize("weeks", [4, 13])
def test_bgnbd_matches_simulated_share(weeks: int) -> None:
    params = DemoParams(n_customers=N)
    s = summarise(simulate_orders(params, 5), "2026-06-30", holdout_weeks=weeks)
    _share_check("bgnbd", [params.r, params.alpha, params.a, params.b], s, weeks)


def test_mbgnbd_matches_simulated_share() -> None:
    params = DemoParams(n_customers=N, drop_after_first=True)
    s = summarise(simulate_orders(params, 6), "2026-06-30", holdout_weeks=13)
    _share_check("mbgnbd", [params.r, params.alpha, params.a, params.b], s, 13)


def _pareto_shop(r, alpha, s, beta, n, cal, t, seed):
    """Continuous-time Pareto/NBD customers born in [0, 26) weeks; their (x, t_x, T) at week
    ``cal`` and whether they bought in (cal, cal + t]. s = 0 means nobody ever leaves (NBD)."""
    rng = np.random.default_rng(seed)
    lam = rng.gamma(r, 1.0 / alpha, n)
    mu = rng.gamma(s, 1.0 / beta, n) if s > 0 else np.zeros(n)
    birth = rng.uniform(0.0, 26.0, n)
    with np.errstate(divide="ignore"):
        death = birth + rng.exponential(1.0, n) / mu
    x, last, later = np.zeros(n), birth.copy(), np.zeros(n, dtype=bool)
    now = birth.copy()
    alive = np.ones(n, dtype=bool)
    while alive.any():
        idx = np.flatnonzero(alive)
        now[idx] += rng.exponential(1.0, idx.size) / lam[idx]
        ok = (now[idx] < death[idx]) & (now[idx] <= cal + t)
        cal_buy = ok & (now[idx] <= cal)
        x[idx[cal_buy]] += 1
        last[idx[cal_buy]] = now[idx[cal_buy]]
        later[idx[ok & ~cal_buy]] = True
        alive[idx[~ok | ~cal_buy]] = False  # stop at death, the window's end or the first later buy
    return x, last - birth, cal - birth, later


def _pareto_check(model, theta, r, alpha, s, beta, t, seed, tol=TOL):
    x, t_x, T, later = _pareto_shop(r, alpha, s, beta, N, 30.0, t, seed)
    p = p_order_within(model, theta, x, t_x, T, t)
    assert p.min() >= 0.0 and p.max() <= 1.0
    assert p.mean() == pytest.approx(later.mean(), abs=tol)
    for group in (x == 0, x > 0):
        assert p[group].mean() == pytest.approx(later[group].mean(), abs=2 * TOL)


@pytest.mark.parametrize("t", [30 / 7, 90 / 7])
def test_paretonbd_matches_simulated_share(t: float) -> None:
    # short lives (μ ~ Gamma(3, 20): ~7 weeks), so death inside the window matters: ignoring it
    # (alive at T ⇒ alive throughout) predicts 0.140 / 0.178 where 0.126 / 0.147 happen; the
    # formula gives 0.125 / 0.145. Tolerance 0.01 ≈ 4 standard errors of the share.
    r, alpha, s, beta = 1.0, 2.0, 3.0, 20.0
    _pareto_check("paretonbd", [r, alpha, s, beta], r, alpha, s, beta, t, seed=7, tol=0.01)


def test_nbd_matches_simulated_share_when_nobody_leaves() -> None:
    r, alpha = 0.8, 6.0
    _pareto_check("nbd", [r, alpha], r, alpha, 0.0, 1.0, 90 / 7, seed=8)


def test_paretonbd_without_dropout_is_the_nbd() -> None:
    x, t_x, T = np.array([0.0, 3.0, 40.0]), np.array([0.0, 10.0, 30.0]), np.array([5.0, 20, 31])
    nbd = p_order_within("nbd", [0.5, 4.0], x, t_x, T, 12.0)
    pareto = p_order_within("paretonbd", [0.5, 4.0, 1e-9, 10.0], x, t_x, T, 12.0)
    assert pareto == pytest.approx(nbd, rel=1e-6)
    # the NBD closed form: 1 − ((α+T)/(α+T+t))^(r+x)
    assert nbd[0] == pytest.approx(1 - (9.0 / 21.0) ** 0.5, rel=1e-12)


def test_bgnbd_one_time_buyer_is_the_nbd_and_longer_windows_are_likelier() -> None:
    theta = [0.25, 4.0, 0.8, 2.5]
    x, t_x, T = np.zeros(1), np.zeros(1), np.array([10.0])
    p30 = p_order_within("bgnbd", theta, x, t_x, T, 30 / 7)
    assert p30[0] == pytest.approx(1 - (14.0 / (14.0 + 30 / 7)) ** 0.25, rel=1e-12)
    p90 = p_order_within("bgnbd", theta, x, t_x, T, 90 / 7)
    assert p90[0] > p30[0]


def test_empirical_version() -> None:
    x, t_x, T = np.array([0.0, 4.0]), np.array([0.0, 20.0]), np.array([10.0, 26.0])
    rho = 0.05
    p = p_order_within("empirical", [rho], x, t_x, T, 13.0)
    rate = (x + rho * 26) / (T + 26)
    assert p == pytest.approx(np.exp(-rate * (T - t_x)) * (1 - np.exp(-rate * 13.0)))


@settings(max_examples=60, deadline=None)
@given(
    model=st.sampled_from(["bgnbd", "mbgnbd", "paretonbd", "nbd"]),
    logs=st.lists(st.floats(-6, 6), min_size=4, max_size=4),
    x=st.integers(0, 600),
    gap=st.floats(0, 500),
    tx=st.floats(0, 500),
    t=st.floats(0, 2000),
)
def test_always_a_probability(model, logs, x, gap, tx, t) -> None:
    theta = np.exp(logs)
    T = tx + gap
    p = p_order_within(model, theta, np.array([x]), np.array([tx if x else 0.0]), np.array([T]), t)
    assert np.all(np.isfinite(p)) and 0.0 <= p[0] <= 1.0
