"""P(X(t) = k) at the edges: Pareto/NBD with the dropout rate held (s and β huge together,
as boundary fits leave them): finite, no overflow warning, and still a distribution."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from clvtui.model import paretonbd


@pytest.mark.parametrize("s_beta", [(5e4, 1.7e6), (3.7e4, 2e6), (0.6062, 11.669)])
def test_pmf_sums_to_one_without_overflow(s_beta: tuple[float, float]) -> None:
    theta = np.array([0.5533, 10.578, *s_beta])
    t = np.array([5.0, 40.0, 300.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        probs = np.array([paretonbd.pmf(theta, t, k) for k in range(600)])
    assert np.isfinite(probs).all() and (probs >= 0).all()
    np.testing.assert_allclose(probs.sum(axis=0), 1.0, atol=1e-6)


@pytest.mark.parametrize("model", ["bgnbd", "mbgnbd"])
def test_bg_pmf_of_a_customer_who_bought_on_the_last_day(model: str) -> None:
    """t = 0 (first purchase on the as-of day): P(X = 0) = 1 exactly, never NaN (0 · ln 0)."""
    from clvtui.model.registry import module_for

    theta = np.array([0.2426, 4.4136, 0.7929, 2.4259])
    t = np.array([0.0, 1.0, 30.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        probs = np.array([module_for(model).pmf(theta, t, k) for k in range(300)])
    assert probs[0, 0] == pytest.approx(1.0, abs=1e-12) and (probs[1:, 0] == 0.0).all()
    np.testing.assert_allclose(probs.sum(axis=0), 1.0, atol=1e-9)
