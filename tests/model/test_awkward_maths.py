"""Awkward shops through the maths (fit_purchase → gammagamma → clv.predict): every answer is
finite with P(alive) in [0, 1] and low ≤ CLV ≤ high, or one clear ModelError."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clvtui.errors import ModelError
from clvtui.model import clv, gammagamma
from clvtui.model.registry import fit_purchase
from tests.model.shops import regulars, with_dropout

ECON = clv.Economics(None, 0.0, 0.01, 12)
NET = clv.Economics(0.3, 2.0, 0.01, 24)


def _answer(model: str, x, t_x, T, m, econ: clv.Economics = ECON) -> clv.Predictions | None:
    """The whole model path; None when it refused with a ModelError (whose text is checked)."""
    x, t_x, T, m = (np.asarray(v, float) for v in (x, t_x, T, m))
    try:
        spend = gammagamma.fit(x, m)
    except ModelError as err:
        assert str(err) and "\n" not in str(err)
        spend = None
    if spend is not None:
        json.dumps(spend.summary_dict(), allow_nan=False)
    try:
        fit = fit_purchase(model, x, t_x, T)
    except ModelError as err:
        assert str(err) and "\n" not in str(err)
        return None
    json.dumps(fit.summary_dict(), allow_nan=False)
    pred = clv.predict(fit, spend, x, t_x, T, m, econ)
    for name in ("p_alive", "expected_orders", "expected_spend", "clv", "clv_low", "clv_high"):
        assert np.all(np.isfinite(getattr(pred, name))), name
    assert np.all((pred.p_alive >= 0.0) & (pred.p_alive <= 1.0))
    assert np.all(pred.expected_orders >= 0.0)
    assert np.all(pred.clv_low <= pred.clv) and np.all(pred.clv <= pred.clv_high)
    assert np.isfinite(pred.equity) and pred.equity_low <= pred.equity <= pred.equity_high
    return pred


MODELS = ["bgnbd", "mbgnbd", "paretonbd"]


@pytest.mark.parametrize("model", MODELS)
def test_every_customer_a_one_time_buyer(model: str) -> None:
    """No repeat purchase at all: the rate goes to 0, so nobody is expected to buy again."""
    rng = np.random.default_rng(1)
    T = rng.uniform(1.0, 52.0, 400)
    pred = _answer(model, np.zeros(400), np.zeros(400), T, np.zeros(400))
    assert pred is None or pred.equity < 1e-6 * 400


@pytest.mark.parametrize("model", MODELS)
def test_everyone_leaves_after_one_repeat(model: str) -> None:
    rng = np.random.default_rng(2)
    t_x = rng.uniform(0.2, 2.0, 400)
    pred = _answer(model, np.ones(400), t_x, t_x + rng.uniform(30, 52, 400), np.full(400, 40.0))
    assert pred is None or float(np.mean(pred.p_alive)) < 0.2


@pytest.mark.parametrize("model", MODELS)
def test_one_customer_with_500_repeat_purchases(model: str) -> None:
    x, t_x, T = with_dropout(1000, seed=4)
    x[0], t_x[0], T[0] = 500.0, 51.5, 52.0
    m = np.where(x > 0, 20.0 + (np.arange(len(x)) % 13), 0.0)
    pred = _answer(model, x, t_x, T, m)
    assert pred is not None and pred.expected_orders[0] == pred.expected_orders.max()


@pytest.mark.parametrize("model", MODELS)
def test_one_or_two_days_of_history(model: str) -> None:
    rng = np.random.default_rng(3)
    T = rng.choice([1.0 / 7.0, 2.0 / 7.0], 400)
    x = (rng.uniform(size=400) < 0.3).astype(float)
    _answer(model, x, np.where(x > 0, T, 0.0), T, np.where(x > 0, 30.0, 0.0))


@pytest.mark.parametrize("model", MODELS)
def test_as_of_ten_years_after_the_last_order(model: str) -> None:
    x, t_x, T = with_dropout(800, seed=5, after=520.0)
    pred = _answer(model, x, t_x, T, np.where(x > 0, 30.0 + x, 0.0))
    assert pred is not None and float(np.mean(pred.p_alive[x > 0])) < 0.2


def test_regular_buyers_with_no_spread_in_rates() -> None:
    x, t_x, T = regulars(1500)
    pred = _answer("paretonbd", x, t_x, T, np.where(x > 0, 25.0 + (x % 5), 0.0), NET)
    assert pred is not None and np.all(pred.p_alive == 1.0)


def test_spend_of_a_cent_and_ten_million() -> None:
    """One wholesale buyer among small ones, and orders of 0.01: finite, in the right order."""
    x, t_x, T = with_dropout(1000, seed=6)
    rng = np.random.default_rng(6)
    m = np.where(x > 0, rng.choice([0.01, 25.0, 40.0], len(x)), 0.0)
    big = int(np.flatnonzero(x > 0)[0])
    m[big] = 10_000_000.0
    pred = _answer("bgnbd", x, t_x, T, m)
    assert pred is not None and pred.expected_spend[big] == pred.expected_spend.max()


def test_repeat_orders_worth_zero_after_refunds() -> None:
    x, t_x, T = with_dropout(1000, seed=8)
    rng = np.random.default_rng(8)
    m = np.where(x > 0, np.where(rng.uniform(size=len(x)) < 0.4, 0.0, rng.gamma(3, 10, len(x))), 0)
    pred = _answer("bgnbd", x, t_x, T, m, NET)
    assert pred is not None


def test_gamma_gamma_with_q_at_most_one_stays_finite() -> None:
    """A spend model with no finite mean (q ≤ 1): customers' own averages, finite bands."""
    x, t_x, T = with_dropout(1000, seed=9)
    rng = np.random.default_rng(9)
    # heavy-tailed averages (Pareto, tail index < 1): the population mean does not exist
    m = np.where(x > 0, 10.0 * (1.0 + rng.pareto(0.6, len(x))), 0.0)
    pred = _answer("bgnbd", x, t_x, T, m)
    assert pred is not None


@st.composite
def shops(draw):
    """Up to 200 customers with arbitrary (x, t_x, T) on a day grid and arbitrary spend."""
    n = draw(st.integers(min_value=60, max_value=200))
    seed = draw(st.integers(min_value=0, max_value=2**31 - 1))
    rng = np.random.default_rng(seed)
    span = draw(st.sampled_from([1, 2, 14, 90, 365, 3650]))  # days of history
    repeat_share = draw(st.sampled_from([0.0, 0.05, 0.3, 0.9, 1.0]))
    T = rng.integers(0, span + 1, n) / 7.0
    x = np.where(rng.uniform(size=n) < repeat_share, rng.integers(1, 40, n), 0).astype(float)
    x = np.minimum(x, np.rint(T * 7.0))  # at most one purchase day per day
    t_x = np.where(x > 0, np.ceil(rng.uniform(size=n) * T * 7.0) / 7.0, 0.0)
    t_x = np.maximum(t_x, x / 7.0)
    m = np.where(x > 0, rng.choice([0.0, 0.01, 12.5, 80.0, 1e7], n), 0.0)
    model = draw(st.sampled_from(["bgnbd", "mbgnbd", "nbd"]))
    return model, x, t_x, T, m


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shops())
def test_any_small_shop_gives_finite_answers_or_a_clear_error(shop) -> None:
    model, x, t_x, T, m = shop
    _answer(model, x, t_x, T, m)
