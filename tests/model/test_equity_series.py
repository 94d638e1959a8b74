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
