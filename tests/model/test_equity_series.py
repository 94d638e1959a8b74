"""The equity draws' Taylor series (``model.equity_series``) against the exact sigmoid sums."""

from __future__ import annotations

import numpy as np
import pytest

from clvtui.model import equity_series


def _link(
    n_rows: int = 3_000, n_pair: int = 40, n_draws: int = 200, scale: float = 0.003, k: int = 4
):
    """A linearisation like ``intervals.purchase_draws``'s: rows grouped in pairs, gradients of
    logit P(alive) per row, draws δ of the log-parameters; some rows with P(alive) = 1."""
    rng = np.random.default_rng(3)
    pa = rng.uniform(0.001, 0.999, n_rows)
    pa[:50] = 1.0
    g = rng.normal(0.0, 1.5, (n_rows, k))
    g[pa >= 1.0] = 0.0
    g[50:80] = 60.0  # far out in every parameter: these rows must keep the exact sigmoid
    delta = rng.normal(0.0, scale, (n_draws, k))
    delta[:, k - 1] = 0.0  # a parameter held at its boundary: never drawn
    return {
        "pa": pa,
        "g_pa": g,
        "delta": delta,
        "pinv": rng.integers(0, n_pair, n_rows),
        "base_disc": np.zeros(n_pair),
    }


def _exact(link: dict, weight: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Σ over each pair's ``rows`` of w σ(logit P + g·δ_s): pairs × draws."""
    z = np.log(link["pa"][rows]) - np.log1p(-np.minimum(link["pa"][rows], 1 - 1e-15))
    sig = 1.0 / (1.0 + np.exp(-(z[:, None] + link["g_pa"][rows] @ link["delta"].T)))
    sig[link["pa"][rows] >= 1.0] = 1.0
    out = np.zeros((len(link["base_disc"]), len(link["delta"])))
    np.add.at(out, link["pinv"][rows], weight[rows, None] * sig)
    return out


@pytest.mark.parametrize("k", [2, 3, 4])  # NBD; BG/NBD, MBG/NBD and Pareto/NBD
def test_near_rows_are_those_within_the_bound_and_the_series_matches_them(k: int) -> None:
    link = _link(k=k)
    near = equity_series.near_rows(link)
    reach = np.abs(link["g_pa"] @ link["delta"].T).max(axis=1)
    assert np.all(reach[near] <= equity_series.U_MAX)  # the bound is a bound
    assert not near[50:80].any() and near[:50].all()  # far rows out, P(alive) = 1 rows in
    assert near.mean() > 0.5  # and it is not so loose that it keeps nothing
    weights = [np.ones(len(near)), np.linspace(1.0, 300.0, len(near))]
    got = equity_series.pair_sums(link, weights, near)
    for i, w in enumerate(weights):
        want = _exact(link, w, np.flatnonzero(near))
        # each row's σ within SERIES_TOL: a pair's sum within SERIES_TOL × its weights
        limit = equity_series.SERIES_TOL * np.bincount(link["pinv"], weights=w, minlength=40)
        assert np.all(np.abs(got[i] - want) <= limit[:, None] + 1e-12 * np.abs(want))


def test_wide_draws_leave_every_uncertain_row_to_the_exact_sums() -> None:
    """A small shop's draws are wide: no row with a slope is near enough for the series."""
    link = _link(scale=0.5)
    near = equity_series.near_rows(link)
    assert near[:50].all() and not near[50:].any()


def test_a_large_shops_equity_draws_match_the_exact_sums_to_a_cent() -> None:
    """At ≥ SERIES_AT distinct rows ``intervals.equity_draws`` takes the series: each of the 200
    draws' totals within 1e-8 × Σ|value| × orders of the exact float32 sigmoid sums (the chunks
    over every row, as smaller shops still compute them): under a cent on this $0.7 M shop,
    where the bound allows 2 cents."""
    from functools import partial

    from clvtui.model import clv, intervals
    from clvtui.model.base import FittedModel, Rows
    from clvtui.model.registry import module_for

    rng = np.random.default_rng(5)
    n = 60_000
    T = rng.integers(30, 700, n) / 7.0
    x = rng.poisson(2.0, n).astype(float)
    t_x = np.where(x > 0, rng.uniform(0.0, 1.0, n) * T, 0.0)
    t_x = np.rint(t_x * 7.0) / 7.0
    m = np.where(x > 0, rng.gamma(4.0, 10.0, n), 0.0)
    rows = Rows.collapse(x, t_x, T)
    assert len(rows.x) >= equity_series.SERIES_AT
    theta = np.array([0.25, 4.2, 0.8, 2.5])
    cov = np.diag([4e-4, 6e-4, 3e-3, 4e-3])  # a large shop's: a few % on each parameter
    fit = FittedModel("bgnbd", ("r", "alpha", "a", "b"), theta, cov, 0.0, n, len(rows.x), True)
    spend = FittedModel("gammagamma", ("p", "q", "gamma"), np.array([3.0, 4.0, 20.0]),
                        np.diag([1e-4, 2e-4, 2e-4]), 0.0, n, n, True)  # fmt: skip
    econ = clv.Economics(margin=0.4, cost_per_order=2.0, monthly_discount_rate=0.01,
                         horizon_months=12)  # fmt: skip
    mod = module_for("bgnbd")
    pinv, pair = clv._pairs(rows)
    pa = mod.p_alive(theta, rows.x, rows.t_x, rows.T)
    disc, _ = clv._discounted(mod, theta, pair[:, 0], pair[:, 1], econ)
    disc_at = partial(clv._discounted_pairs, mod, pair, econ, None)
    alive_at = partial(lambda th: mod.p_alive(th, rows.x, rows.t_x, rows.T))
    _, _, link = intervals.purchase_draws(alive_at, fit, pair, pinv, pa, disc, disc_at, 200, 0)
    fallback = float(np.mean(m[x > 0]))
    got = intervals.equity_draws(spend, rows, m, econ, link, fallback, 0)
    # the exact sums over every row, through the same chunks
    n_row = rows.weight
    weights = [n_row, np.bincount(rows.inverse, weights=m, minlength=len(rows.x))]
    lay = intervals._equity_layout(link, weights)
    buf = np.empty(len(rows.x) * 25, dtype=np.float32)
    sd = intervals._spend_draws(spend, 200, 0)
    want = np.concatenate([
        intervals._spend_totals(intervals._equity_chunk(lay, link["delta"][lo : lo + 25], buf),
                                sd[lo : lo + 25], lay, econ)
        for lo in range(0, 200, 25)
    ])  # fmt: skip
    value = np.abs(econ.order_value(spend.theta[0] * (spend.theta[2] + x * m)
                                    / (spend.theta[0] * x + spend.theta[1] - 1.0)))  # fmt: skip
    bound = equity_series.SERIES_TOL * float(np.sum(value * disc[pinv][rows.inverse])) * 1.5
    assert np.sum(want) > 1e6  # a shop worth millions in every draw
    # the exact sums are float32 inside: their own round-off (~1e-7 of a pair's sum) is the
    # larger part of the difference
    assert np.max(np.abs(got - want)) <= bound + 2e-7 * np.max(np.abs(want))
    assert np.max(np.abs(got - want)) < 1.0  # under a dollar in every draw
