"""Pareto/NBD's BFGS started from a thinned sample's curvature: same optimum, fewer steps."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from clvtui.model import paretonbd
from clvtui.model.base import LikelihoodBase, Rows
from tests.model.shops import with_dropout

WARM = np.log([0.6, 8.0, 0.8, 20.0])  # the simulation's parameters: a warm start like auto's


@pytest.fixture(scope="module")
def rows() -> Rows:
    x, t_x, T = with_dropout(n=3 * paretonbd.CURVATURE_SAMPLE, seed=11)
    return Rows.collapse(x, t_x, T)


def _fit(likelihood: LikelihoodBase, plain: bool):
    fit = LikelihoodBase.fit if plain else type(likelihood).fit
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
