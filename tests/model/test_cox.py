"""The numpy Cox fit (Breslow ties) against statsmodels' PHReg, the reference it replaces."""

from __future__ import annotations

import numpy as np
import pytest
from statsmodels.duration.hazard_regression import PHReg

from clvtui.model.cox import fit_breslow


def _data(seed: int, n: int, p: int, tick: float | None, censor: float):
    """Dummy columns of uneven prevalence, exponential times with known log hazard ratios,
    rounded to ``tick`` (ties) and censored at random (mean ``censor``)."""
    rng = np.random.default_rng(seed)
    exog = (rng.random((n, p)) < rng.uniform(0.03, 0.5, p)).astype(float)
    beta = rng.normal(0.0, 0.5, p)
    t = rng.exponential(1.0 / np.exp(exog @ beta))
    if tick is not None:
        t = np.maximum(np.ceil(t / tick), 1.0) * tick
    c = rng.exponential(censor, n)
    return np.minimum(t, c), (t <= c).astype(float), exog


CASES = {
    "weeks, many ties, a third censored": (1, 10_000, 12, 1 / 7, 2.0),
    "whole units: heavy ties": (2, 3_000, 5, 1.0, 3.0),
    "no ties": (3, 2_000, 4, None, 1.5),
    "mostly censored": (4, 4_000, 8, 0.1, 0.3),
    "small": (5, 60, 2, 0.5, 2.0),
}


@pytest.mark.parametrize("case", CASES)
def test_params_and_standard_errors_match_statsmodels_phreg(case: str) -> None:
    durations, events, exog = _data(*CASES[case])
    assert 0 < events.sum() < len(events)  # both events and censoring in every case
    ref = PHReg(durations, exog, status=events, ties="breslow", hasconst=False).fit(disp=False)
    fit = fit_breslow(durations, events, exog)
    assert fit.converged
    np.testing.assert_allclose(fit.params, ref.params, rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(fit.bse, ref.bse, rtol=1e-6)


def test_known_hazard_ratio_is_recovered() -> None:
    """Group 1 repurchases at twice group 0's rate: the fit finds log 2 within its interval."""
    rng = np.random.default_rng(11)
    group = (rng.random(20_000) < 0.4).astype(float)
    t = rng.exponential(1.0 / np.where(group == 1, 2.0, 1.0))
    events = (t < 3.0).astype(float)
    fit = fit_breslow(np.minimum(t, 3.0), events, group[:, None])
    b, se = fit.params[0], fit.bse[0]
    assert abs(b - np.log(2.0)) < 2.5 * se and se < 0.03


def test_a_level_without_events_diverges_as_in_statsmodels() -> None:
    """No holder of level 1 ever buys again: its log ratio runs off to −∞; both fits stop
    after 100 Newton steps at the same place, with a huge standard error."""
    durations, events, exog = _data(6, 500, 3, 1.0, 2.0)
    events[exog[:, 1] == 1] = 0.0
    with pytest.warns(Warning):  # statsmodels' ConvergenceWarning
        ref = PHReg(durations, exog, status=events, ties="breslow", hasconst=False).fit(disp=False)
    fit = fit_breslow(durations, events, exog)
    assert not fit.converged and fit.params[1] < -20 and fit.bse[1] > 1e4
    np.testing.assert_allclose(fit.params, ref.params, rtol=1e-6)
    np.testing.assert_allclose(fit.bse, ref.bse, rtol=1e-6)


def test_a_column_without_variation_is_singular_as_in_statsmodels() -> None:
    durations, events, exog = _data(6, 500, 3, 1.0, 2.0)
    exog[:, 1] = 0.0  # no customer has this level: nothing to estimate
    with pytest.raises(np.linalg.LinAlgError):
        PHReg(durations, exog, status=events, ties="breslow", hasconst=False).fit(disp=False)
    with pytest.raises(np.linalg.LinAlgError):
        fit_breslow(durations, events, exog)
