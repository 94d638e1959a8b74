"""Pareto/NBD at large shops: BFGS started from a thinned sample's curvature (same optimum, fewer
steps), and P(alive) per customer from their distinct rows (the same values)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from statsmodels.base.model import GenericLikelihoodModel

from clvtui.model import paretonbd
from clvtui.model.base import LikelihoodBase, Rows
from tests.model.shops import with_dropout

WARM = np.log([0.6, 8.0, 0.8, 20.0])  # the simulation's parameters: a warm start like auto's


@pytest.fixture(scope="module")
def customers() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return with_dropout(n=3 * paretonbd.CURVATURE_SAMPLE, seed=11)


@pytest.fixture(scope="module")
def rows(customers: tuple[np.ndarray, np.ndarray, np.ndarray]) -> Rows:
    return Rows.collapse(*customers)


def _fit(likelihood: LikelihoodBase, plain: bool):
    # plain: statsmodels' own BFGS from the identity (LikelihoodBase.fit starts it curved)
    fit = GenericLikelihoodModel.fit if plain else type(likelihood).fit
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fit(likelihood, start_params=WARM, method="bfgs", maxiter=500, gtol=1e-7, disp=0)


def test_curvature_start_reaches_the_same_optimum_in_fewer_evaluations(rows: Rows) -> None:
    plain = _fit(paretonbd.Likelihood(rows), plain=True)
    started = _fit(paretonbd.Likelihood(rows), plain=False)
    assert started.mle_settings["optimizer"] == "minimize"  # the curvature was used
    np.testing.assert_allclose(np.exp(started.params), np.exp(plain.params), rtol=1e-6)
    assert started.llf == pytest.approx(plain.llf, abs=1e-6)
    # the covariance is statsmodels' −H⁻¹ at the optimum either way
    np.testing.assert_allclose(started.normalized_cov_params, plain.normalized_cov_params,
                               rtol=1e-3)  # fmt: skip
    assert started.mle_retvals["fcalls"] < plain.mle_retvals["fcalls"] / 2


def test_the_thinned_curvature_estimates_the_whole_shops(rows: Rows) -> None:
    likelihood = paretonbd.Likelihood(rows)
    whole = np.linalg.inv(-likelihood.hessian(WARM))
    estimate = paretonbd.start_curvature(rows, WARM)
    assert estimate is not None
    # a third of the customers: the variances agree to sampling error (a few percent)
    np.testing.assert_allclose(np.diag(estimate), np.diag(whole), rtol=0.15)


def test_small_shops_start_from_the_identity_as_before() -> None:
    x, t_x, T = with_dropout(n=3000, seed=12)
    assert paretonbd.start_curvature(Rows.collapse(x, t_x, T), WARM) is None


def _in_small_chunks(theta: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray):
    """p_alive evaluated as before, customer by customer (chunks under COLLAPSE_AT)."""
    size = paretonbd.COLLAPSE_AT // 2
    return np.concatenate([
        paretonbd.p_alive(theta, x[i : i + size], t_x[i : i + size], T[i : i + size])
        for i in range(0, len(x), size)
    ])  # fmt: skip


def test_p_alive_per_customer_is_the_same_from_distinct_rows(customers) -> None:
    x, t_x, T = customers
    assert len(x) >= paretonbd.COLLAPSE_AT
    theta, other = np.exp(WARM), np.array([0.5, 9.0, 0.7, 25.0])
    first = paretonbd.p_alive(theta, x, t_x, T)
    np.testing.assert_array_equal(first, _in_small_chunks(theta, x, t_x, T))
    np.testing.assert_array_equal(paretonbd.p_alive(theta, x, t_x, T), first)  # kept
    moved = paretonbd.p_alive(other, x, t_x, T)  # other parameters: evaluated again
    np.testing.assert_array_equal(moved, _in_small_chunks(other, x, t_x, T))
    assert np.max(np.abs(moved - first)) > 1e-3
    later = T + 1.0  # other arrays: their own rows
    np.testing.assert_array_equal(paretonbd.p_alive(theta, x, t_x, later),
                                  _in_small_chunks(theta, x, t_x, later))  # fmt: skip


def test_the_hessian_on_two_cores_is_the_base_ones_bit_for_bit(rows: Rows) -> None:
    """Half of the central differences on the other core: the same matrix as the base class's
    ``approx_fprime`` of the score (which the covariance and the intervals come from)."""
    here = paretonbd.Likelihood(rows).hessian(WARM)
    base = LikelihoodBase.hessian(paretonbd.Likelihood(rows), WARM)
    np.testing.assert_array_equal(here, base)
    assert np.all(np.linalg.eigvalsh(-here) > 0)  # at a point near the optimum


def test_the_fast_sums_are_the_row_by_row_ones(rows: Rows) -> None:
    """From FAST_FROM customers the likelihood does per row only what must be: the same
    log-likelihood and score as the original row-by-row sums, to rounding."""
    fast, exact = paretonbd.Likelihood(rows), paretonbd.ExactLikelihood(rows)
    assert fast.exact is False
    for shift in (np.zeros(4), np.array([0.3, -0.2, 0.4, -0.5]), np.array([-0.5, 0.5, -1, 1])):
        params = WARM + shift
        assert fast.loglike(params) == pytest.approx(exact.loglike(params), rel=1e-13)
        np.testing.assert_allclose(fast.score(params), exact.score(params), rtol=1e-9)
        np.testing.assert_allclose(fast.row_loglike(np.exp(params)),
                                   exact.row_loglike(np.exp(params)), rtol=1e-12)  # fmt: skip


def test_small_shops_keep_the_row_by_row_sums() -> None:
    x, t_x, T = with_dropout(n=3000, seed=12)
    assert paretonbd.Likelihood(Rows.collapse(x, t_x, T)).exact is True
