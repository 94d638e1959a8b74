"""Special functions in bounded time: capped series, quadrature fallbacks, far as-of dates.

No timed assertions: each test checks values against an independent numerical integral
(scipy's adaptive ``quad`` on the defining integral) and relies on the code's own iteration caps.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.integrate import quad

from clvtui.model import clv, paretonbd
from clvtui.model.registry import fit_purchase
from clvtui.model.special import SERIES_TERMS, _log_series, log_power_integral
from tests.model.shops import with_dropout

ECON = clv.Economics(None, 0.0, 0.01, 12)


def _log_j_reference(p: float, q: float, alpha: float, beta: float, t: float) -> float:
    """ln ∫_t^∞ (α+τ)^−p (β+τ)^−q dτ by adaptive quadrature in u = ln(1 + τ − t), where the
    integrand decays like e^(−(p+q−1)u): a finite range, scaled by its value at u = 0."""
    shift = p * np.log(alpha + t) + q * np.log(beta + t)

    def f(u: float) -> float:
        tau = t + np.expm1(u)
        return np.exp(shift + u - p * np.log(alpha + tau) - q * np.log(beta + tau))

    end = 60.0 / (p + q - 1.0) + 40.0
    edges = [0.0, *np.geomspace(1e-3, end, 40)]
    total = sum(
        quad(f, a, b, epsabs=0, epsrel=1e-12, limit=200)[0] for a, b in itertools.pairwise(edges)
    )
    return float(np.log(total) - shift)


@pytest.mark.filterwarnings("ignore::scipy.integrate.IntegrationWarning")  # the reference's
@pytest.mark.parametrize(
    ("p", "q", "alpha", "beta", "t"),
    [
        (0.78, 1.0 + 1e-7, 8.0, 1.2e5, 0.0),  # s → 0, β → ∞: the no-dropout edge
        (0.78, 1.0 + 1e-7, 8.0, 1.2e5, 52.0),
        (30.5, 1.6, 10.6, 11.7, 5200.0),  # T a hundred years out
        (3.5, 1.61, 10.6, 11.7, 520.0),  # as-of ten years after the last order
        (1.5, 50.8, 8.0, 100.0, 20.0),
        (200.0, 1.5, 2.0e4, 3.0, 1.0),  # α ≫ β: vanishing heterogeneity in the rates
        (0.3, 4.0e5, 1.0, 3.0e7, 40.0),  # s, β → ∞ together
    ],
)
def test_pareto_log_j_matches_the_integral(p, q, alpha, beta, t) -> None:
    got = paretonbd.log_j(np.array([p]), q, alpha, beta, np.array([t]))[0]
    assert got == pytest.approx(_log_j_reference(p, q, alpha, beta, t), abs=1e-8, rel=1e-10)


def test_quadrature_gradient_matches_differences() -> None:
    """Where ln J comes from quadrature its gradient does too (same nodes): check it."""
    p, t = np.array([0.8, 5.8, 40.8]), np.array([0.0, 10.0, 51.0])
    q, alpha, beta = 1.0 + 1e-6, 8.0, 1.2e5
    parts = paretonbd.log_j_parts(p, q, alpha, beta, t)
    assert parts[1].all()  # all three by quadrature
    grad = paretonbd.log_j_gradients(p, q, alpha, beta, t, parts)
    h = 1e-6

    def lj(**kw) -> np.ndarray:
        args = {"p": p, "q": q, "alpha": alpha, "beta": beta, "t": t} | kw
        return paretonbd.log_j(args["p"], args["q"], args["alpha"], args["beta"], args["t"])

    numeric = [
        (lj(alpha=alpha * (1 + h)) - lj(alpha=alpha * (1 - h))) / (2 * h * alpha),
        (lj(beta=beta * (1 + h)) - lj(beta=beta * (1 - h))) / (2 * h * beta),
        (lj(p=p + h) - lj(p=p - h)) / (2 * h),
        (lj(q=q + h) - lj(q=q - h)) / (2 * h),
    ]
    np.testing.assert_allclose(grad, np.array(numeric), rtol=1e-5)


def test_power_integral_without_a_second_scale() -> None:
    """d = 0 (α = β): J(t) = (c+t)^−n / n exactly."""
    got = log_power_integral(np.array([1.3]), np.array([2.2]), 5.0, 0.0, np.array([3.0]))
    assert got[0] == pytest.approx(-2.5 * np.log(8.0) - np.log(2.5), abs=1e-12)


def test_series_is_capped_and_says_so_with_nan() -> None:
    """Near z = 1 the series needs ~1/(1−z) terms: past the cap it gives NaN, not minutes."""
    got = _log_series(np.array([2.0, 2.0]), np.array([3.0, 3.0]), np.array([4.0, 4.0]),
                      np.array([0.5, 1.0 - 1e-6]))  # fmt: skip
    from scipy.special import hyp2f1

    assert got[0] == pytest.approx(np.log(hyp2f1(2.0, 3.0, 4.0, 0.5)), rel=1e-12)
    assert np.isnan(got[1]) and SERIES_TERMS <= 10_000


@pytest.mark.parametrize("after_weeks", [4.3, 52.0, 520.0])
def test_pareto_fit_with_as_of_long_after_the_last_order(after_weeks: float) -> None:
    """One month, one year and ten years after the data end: a finite, sane answer."""
    x, t_x, T = with_dropout(800, seed=7, after=after_weeks)
    fit = fit_purchase("paretonbd", x, t_x, T)
    m = np.where(x > 0, 30.0, 0.0)
    pred = clv.predict(fit, None, x, t_x, T, m, ECON)
    assert np.all(np.isfinite(pred.p_alive)) and np.all((pred.p_alive >= 0) & (pred.p_alive <= 1))
    assert np.all(np.isfinite(pred.clv)) and np.all(pred.clv_low <= pred.clv)
    assert np.all(pred.clv <= pred.clv_high)
    # silence grows with the gap, so the customers look less alive the later the as-of
    if after_weeks >= 52:
        assert float(np.mean(pred.p_alive[x > 0])) < 0.5


def test_pareto_p_alive_far_beyond_the_last_order_against_integration() -> None:
    """P(alive) with T ≫ t_x from the model's own formula, its A₀ integral done by quad."""
    theta = np.array([0.5534, 10.580, 0.6061, 11.656])  # CDNOW
    x, t_x, T = np.array([2.0, 26.0]), np.array([30.0, 35.0]), np.array([560.0, 5000.0])
    got = paretonbd.p_alive(theta, x, t_x, T)
    r, alpha, s, beta = theta
    for i in range(2):
        lj1 = _log_j_reference(r + x[i], s + 1.0, alpha, beta, t_x[i])
        lj2 = _log_j_reference(r + x[i], s + 1.0, alpha, beta, T[i])
        log_a0 = np.log(r + s + x[i]) + lj1 + np.log1p(-np.exp(lj2 - lj1))
        lo = (np.log(s / (r + s + x[i])) + (r + x[i]) * np.log(alpha + T[i])
              + s * np.log(beta + T[i]) + log_a0)  # fmt: skip
        assert got[i] == pytest.approx(1.0 / (1.0 + np.exp(lo)), rel=1e-7, abs=1e-300)
