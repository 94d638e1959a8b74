"""Every purchase model's analytic gradient equals a numerical one (CDNOW calibration rows).

The fits trust these gradients (BFGS and the Hessian for standard errors), so a wrong term
would move parameters and SEs without any other test noticing at once. Points are chosen on
both sides of α = β for Pareto/NBD, whose ₂F₁ switches branch there.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from statsmodels.tools.numdiff import approx_fprime

from clvtui.model.base import Rows
from clvtui.model.registry import module_for
from tests.model.helpers import CDNOW_SUMMARY

POINTS = {
    "bgnbd": [[0.24, 4.4, 0.79, 2.4], [1.5, 20.0, 0.3, 5.0]],
    "mbgnbd": [[0.52, 6.2, 0.89, 1.6], [0.2, 2.0, 2.0, 8.0]],
    "paretonbd": [[0.55, 10.58, 0.61, 11.67], [0.3, 5.0, 2.0, 3.0], [1.2, 20.0, 0.4, 40.0]],
}


@pytest.fixture(scope="module")
def rows() -> Rows:
    summary = pl.read_csv(CDNOW_SUMMARY)
    return Rows.collapse(*(summary[c].to_numpy().astype(float) for c in ("x", "t_x", "T")))


@pytest.mark.parametrize(("model", "theta"), [(m, p) for m, ps in POINTS.items() for p in ps])
def test_analytic_score_matches_numerical(rows: Rows, model: str, theta: list[float]) -> None:
    likelihood = module_for(model).Likelihood(rows)
    params = np.log(theta)
    analytic = likelihood.score(params)
    numerical = approx_fprime(params, likelihood.loglike, epsilon=1e-6, centered=True)
    # the log-likelihood is ~1e4 here: 1e-5 absolute is ~1e-9 of it
    np.testing.assert_allclose(analytic, numerical, rtol=1e-6, atol=1e-4)


@pytest.mark.parametrize("theta", POINTS["paretonbd"])
def test_pareto_nbd_pmf_is_a_distribution_with_the_right_mean(theta: list[float]) -> None:
    """P(X(t) = k) (quadrature) sums to 1 over k and its mean is the closed-form E[X(t)]."""
    from clvtui.model import paretonbd

    params = np.array(theta)
    ages = np.array([0.5, 13.0, 39.0, 78.0])
    probs = np.array([paretonbd.pmf(params, ages, k) for k in range(300)])
    np.testing.assert_allclose(probs.sum(axis=0), 1.0, atol=1e-9)
    mean = (np.arange(300)[:, None] * probs).sum(axis=0)
    np.testing.assert_allclose(mean, paretonbd.unconditional(params, ages), rtol=1e-8)
