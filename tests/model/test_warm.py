"""What one fit hands to the next (``model.warm``): a warm start with its curvature, which
starts BFGS at large shops (the same optimum in fewer evaluations), and rows collapsed ahead."""

from __future__ import annotations

import json

import numpy as np
import pytest

from clvtui.model import bgnbd
from clvtui.model.base import WARM_CURVATURE_FROM, Rows
from clvtui.model.registry import fit_purchase
from clvtui.model.warm import WarmStart, rows_beside
from tests.model.shops import with_dropout


@pytest.fixture(scope="module")
def shop() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return with_dropout(n=WARM_CURVATURE_FROM + 20_000, seed=21)


def _counted(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Likelihood evaluations of BG/NBD fits from here on."""
    calls = {"loglike": 0}
    original = bgnbd.Likelihood.loglike

    def loglike(self: bgnbd.Likelihood, params: np.ndarray) -> float:
        calls["loglike"] += 1
        return original(self, params)

    monkeypatch.setattr(bgnbd.Likelihood, "loglike", loglike)
    return calls


def test_a_warm_start_carries_its_fits_curvature_and_stores_as_a_list(shop) -> None:
    fit = fit_purchase("bgnbd", *shop)
    start = WarmStart.of(fit)
    assert list(start) == list(fit.params.values())
    assert start.per_customer is not None
    np.testing.assert_array_equal(start.per_customer, fit.cov_log * fit.n_customers)
    assert json.loads(json.dumps({"start": start})) == {"start": list(fit.params.values())}


def test_its_curvature_reaches_the_same_optimum_in_fewer_steps(shop, monkeypatch) -> None:
    """A start 13 weeks earlier (as the holdout's calibration fit is): from its curvature BFGS
    needs fewer likelihood evaluations than from the identity (27 → 17 here; 18 → 8 at a
    million customers), to the same optimum."""
    x, t_x, T = shop
    earlier = T > 13
    cal_T = T[earlier] - 13
    cal_x = np.where(t_x[earlier] <= cal_T, x[earlier], 0.0)
    cal_t = np.where(cal_x > 0, np.minimum(t_x[earlier], cal_T), 0.0)
    warm = WarmStart.of(fit_purchase("bgnbd", cal_x, cal_t, cal_T))
    calls = _counted(monkeypatch)
    plain = fit_purchase("bgnbd", x, t_x, T, start=list(warm))
    identity_calls, calls["loglike"] = calls["loglike"], 0
    curved = fit_purchase("bgnbd", x, t_x, T, start=warm)
    assert calls["loglike"] < 0.7 * identity_calls
    np.testing.assert_allclose(curved.theta, plain.theta, rtol=1e-6)
    assert curved.loglik == pytest.approx(plain.loglik, abs=1e-6)
    np.testing.assert_allclose(curved.cov_log, plain.cov_log, rtol=1e-4)


def test_small_shops_start_from_the_identity(shop) -> None:
    x, t_x, T = (v[:5000] for v in shop)
    likelihood = bgnbd.Likelihood(Rows.collapse(x, t_x, T))
    start = np.log([0.5, 5.0, 0.8, 2.5])
    likelihood.warm = (start, np.eye(4))
    assert likelihood.start_inverse(start) is None
    big = bgnbd.Likelihood(Rows.collapse(*shop))
    big.warm = (start, np.eye(4))
    np.testing.assert_allclose(big.start_inverse(start), np.eye(4) / len(shop[0]))
    assert big.start_inverse(start + 1e-3) is None  # another start: not its curvature


def test_rows_collapsed_beside_are_the_same_rows(shop) -> None:
    here, beside = Rows.collapse(*shop), rows_beside(*shop).result()
    for name in ("x", "t_x", "T", "weight", "ux", "ix", "inverse"):
        np.testing.assert_array_equal(getattr(beside, name), getattr(here, name))
