"""Fits on the edge of the parameter space: nested NBD, parameters held, draws that always work."""

from __future__ import annotations

import json

import numpy as np
import pytest

from clvtui.model import boundary, clv
from clvtui.model.base import FittedModel
from clvtui.model.choose import _score
from clvtui.model.registry import fit_purchase
from tests.model.shops import no_dropout, regulars, with_dropout

ECON = clv.Economics(None, 0.0, 0.01, 12)


def _check_predictions(fit: FittedModel, x, t_x, T) -> clv.Predictions:
    m = np.where(x > 0, 20.0 + (x % 7) * 3.0, 0.0)
    pred = clv.predict(fit, None, x, t_x, T, m, ECON)
    for name in ("p_alive", "expected_orders", "clv", "clv_low", "clv_high"):
        assert np.all(np.isfinite(getattr(pred, name))), name
    assert np.all((pred.p_alive >= 0) & (pred.p_alive <= 1))
    assert np.all(pred.clv_low <= pred.clv) and np.all(pred.clv <= pred.clv_high)
    assert pred.equity_low <= pred.equity <= pred.equity_high
    # the band is a band, not a point, for the customers who are expected to buy
    assert np.mean(pred.clv_high > pred.clv_low) > 0.9
    return pred


@pytest.mark.parametrize(("model", "n"), [("bgnbd", 4000), ("mbgnbd", 4000), ("paretonbd", 1500)])
def test_no_dropout_shop_is_fitted_as_nbd_and_says_so(model: str, n: int) -> None:
    """A year of gamma-Poisson buyers (r = 0.8, α = 8) of whom nobody leaves."""
    x, t_x, T = no_dropout(n)
    fit = fit_purchase(model, x, t_x, T)
    assert fit.model == "nbd" and fit.nested_from == model
    assert fit.boundary[0].startswith("No customer visibly left in the data")
    assert fit.boundary_fit is not None and fit.boundary_fit["model"] == model
    assert fit.boundary_fit["likelihood_ratio"] < boundary.NO_DROPOUT_LR
    # the identified parameters come back near the simulated ones (±20 % at these sizes)
    np.testing.assert_allclose(fit.theta, [0.8, 8.0], rtol=0.2)
    doc = fit.summary_dict()
    json.dumps(doc, allow_nan=False)  # nothing non-finite in the report
    assert set(doc) >= {"params", "stderr", "loglik", "n_customers", "aic", "bic", "converged"}
    assert all(v is not None and v > 0 for v in doc["stderr"].values())
    pred = _check_predictions(fit, x, t_x, T)
    assert np.all(pred.p_alive == 1.0)


def test_regular_buyers_hold_r_and_keep_the_rate() -> None:
    """Everyone buys at 0.5 a week: r, α → ∞ together; r is held, α carries the rate."""
    x, t_x, T = regulars()
    fit = fit_purchase("bgnbd", x, t_x, T)
    assert fit.model == "nbd"
    assert "r" in fit.not_identified and "alpha" in fit.identified
    assert fit.stderr["r"] is None and fit.stderr["alpha"] is not None
    rate = fit.params["r"] / fit.params["alpha"]
    assert rate == pytest.approx(0.5, rel=0.05)
    assert any("same rate" in note for note in fit.boundary)
    draws = fit.draws(200, seed=4)
    assert np.all(np.isfinite(draws)) and np.all(draws[:, 0] == pytest.approx(fit.theta[0]))
    json.dumps(fit.summary_dict(), allow_nan=False)
    _check_predictions(fit, x, t_x, T)


def test_interior_fit_is_left_alone() -> None:
    """An ordinary shop with dropout: no boundary, no nested model, every parameter identified."""
    x, t_x, T = with_dropout()
    fit = fit_purchase("bgnbd", x, t_x, T)
    assert fit.model == "bgnbd" and fit.nested_from is None
    assert not fit.not_identified and not fit.boundary
    assert not boundary.needs_check(fit)


def test_draws_survive_a_covariance_that_is_not_positive_definite() -> None:
    fit = FittedModel(
        model="nbd",
        names=("r", "alpha"),
        theta=np.array([0.5, 4.0]),
        cov_log=np.array([[1e-2, 3e-2], [3e-2, 1e-2]]),  # eigenvalues 0.04 and −0.02
        loglik=-100.0,
        n_customers=100,
        n_rows=50,
        converged=True,
    )
    a, b = fit.draws(500, seed=1), fit.draws(500, seed=1)
    assert np.all(np.isfinite(a)) and np.array_equal(a, b)
    # the floored covariance keeps the positive direction: ln r and ln α move together
    logs = np.log(a)
    assert np.corrcoef(logs[:, 0], logs[:, 1])[0, 1] > 0.9


def test_auto_choice_scores_a_nested_candidate_and_starts_from_its_boundary() -> None:
    x, t_x, T = no_dropout(2000, seed=5)
    actual = np.zeros_like(x)
    doc = _score("bgnbd", x, t_x, T, actual, 13)
    assert doc["fitted_as"] == "nbd" and "score" in doc
    assert len(doc["start"]) == 4  # BG/NBD's own (boundary) parameters: a warm start for it


def test_a_candidate_that_cannot_be_fitted_is_skipped_with_its_reason() -> None:
    x, t_x, T = with_dropout(500, seed=12)
    doc = _score("no-such-model", x, t_x, T, np.zeros_like(x), 13)
    assert set(doc) == {"error"} and "unknown model" in doc["error"]


def test_auto_choice_on_a_no_dropout_shop_answers_with_a_warm_start() -> None:
    from clvtui.model.choose import choose_model
    from clvtui.model.registry import PURCHASE_MODELS
    from tests.model.shops import orders_frame

    x, t_x, T = no_dropout(1500, seed=13)
    orders = orders_frame(x, t_x, T)
    as_of = orders["ordered_at"].max().date().isoformat()
    choice = choose_model(orders, as_of, 13)
    assert choice.model in PURCHASE_MODELS and choice.start is not None
    assert len(choice.start) == 4  # the chosen model's own (boundary) parameters
    assert choice.scores["bgnbd"]["fitted_as"] == "nbd"
    assert choice.scores["paretonbd"]["fitted_as"] == "nbd"
    json.dumps(choice.scores, allow_nan=False)
