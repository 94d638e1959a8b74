"""Pareto/NBD (Schmittlein, Morrison & Colombo 1987) as written by Fader, Hardie & Lee (2005),
"A note on deriving the Pareto/NBD model and related expressions".

While alive, purchases are Poisson(λ), λ ~ Gamma(r, α); lifetimes are exponential(μ),
μ ~ Gamma(s, β). Likelihood (note eq. 19–22, with A₀ written as the integral it comes from):
  L = Γ(r+x) α^r β^s / Γ(r) · [ (α+T)^−(r+x) (β+T)^−s + s · (J(t_x) − J(T)) ]
  J(t) = ∫_t^∞ (α+τ)^−p (β+τ)^−q dτ,  p = r + x, q = s + 1
       = (m+t)^−n / n · ₂F₁(n, ·; n+1; |α−β|/(m+t)),  n = p+q−1, m = max(α, β)
(the second ₂F₁ parameter is q when α ≥ β, else p). Traps handled here: ₂F₁ in log space with
Euler-transform fallbacks (``special.log_hyp2f1``), the difference taken as
ln J(t_x) + log(1 − e^(ln J(T) − ln J(t_x))), and t_x = T as its own branch, not log(0 − 0).

The gradient is analytic in α and β, through the integral: ∂J/∂α = −p·J(p+1, q) and
∂J/∂β = −q·J(p, q+1), so it costs two more ₂F₁ per distinct (x, t). ∂J/∂p and ∂J/∂q (hence r
and s) are central differences of ln J alone — a smooth one-dimensional function, evaluated on
the ~20k distinct (x, t) pairs rather than the whole likelihood on every row. A full gradient
costs about 2.5 likelihood evaluations instead of the 8 of a numerical one.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

import numpy as np
from scipy.special import gammaln

from clvtui.model.alive import PARAMETERS
from clvtui.model.alive import paretonbd as alive_expected
from clvtui.model.base import Rows, conditional_expected, for_new_customer
from clvtui.model.customer_rows import KeptRows
from clvtui.model.pareto_integral import Z_SERIES as Z_SERIES  # re-exported: the tests' names
from clvtui.model.pareto_integral import log_j as log_j
from clvtui.model.pareto_integral import log_j_gradients as log_j_gradients
from clvtui.model.pareto_integral import log_j_parts as log_j_parts

# the likelihood lives in ``pareto_likelihood``; re-exported under the model's module
from clvtui.model.pareto_likelihood import CURVATURE_SAMPLE as CURVATURE_SAMPLE
from clvtui.model.pareto_likelihood import ExactLikelihood as ExactLikelihood
from clvtui.model.pareto_likelihood import Likelihood as Likelihood
from clvtui.model.pareto_likelihood import (
    _log_difference,
    _log_j_pairs,
    _to_rows,
    term_pairs,
)
from clvtui.model.pareto_likelihood import start_curvature as start_curvature

NAME = "paretonbd"
NAMES = PARAMETERS[NAME]


def log_a0(
    theta: np.ndarray,
    x: np.ndarray,
    t_x: np.ndarray,
    T: np.ndarray,
    pairs: tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]] | None = None,
) -> np.ndarray:
    """ln A₀ (note eq. 21/22) = ln (r+s+x) + ln (J(t_x) − J(T)); −inf where t_x = T.

    Each J depends on (x, t_x) or (x, T) only, so it is evaluated once per distinct pair
    (``pairs``: first-index and inverse arrays for each, see ``term_pairs``) and gathered.
    """
    r, _, s, _ = theta
    pairs = pairs or term_pairs(x, t_x, T)
    parts = _log_j_pairs(theta, x, (t_x, T), pairs)
    lj1, lj2 = _to_rows([part[0] for part in parts], pairs)
    return np.log(r + s + x) + _log_difference(lj1, lj2, T - t_x)


def starts(rows: Rows) -> list[np.ndarray]:
    rate = max(float(np.sum(rows.x * rows.weight) / np.sum(rows.T * rows.weight)), 1e-3)
    return [
        np.log([0.5, 0.5 / rate, 0.5, 10.0]),
        np.log([1.0, 1.0, 1.0, 1.0]),
        np.log([0.2, 5.0, 1.0, 20.0]),
    ]


COLLAPSE_AT = 50_000  # customers from which p_alive works on their distinct (x, t_x, T) rows


def p_alive(theta: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """1 / (1 + s/(r+s+x) · (α+T)^(r+x) (β+T)^s · A₀) (note eq. 18).

    Per customer at a large shop (the next-order probabilities ask for every customer, at
    30 and at 90 days): evaluated once per distinct (x, t_x, T) row and gathered — 290 k rows
    for a million customers — with the rows, and the last parameters' values, kept while the
    caller's arrays live (``_LAST``), so the second ask costs a gather.
    """
    x, t_x, T = (np.asarray(v, float) for v in (x, t_x, T))
    if x.ndim != 1 or x.size < COLLAPSE_AT or not (x.shape == t_x.shape == T.shape):
        return _p_alive(theta, x, t_x, T)
    return _LAST.values(np.asarray(theta, dtype=float), x, t_x, T)


def _p_alive(
    theta: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray, pairs: tuple | None = None
) -> np.ndarray:
    """``p_alive`` on the given rows as they are (``pairs``: their ``term_pairs``, if known)."""
    r, alpha, s, beta = theta
    with np.errstate(over="ignore"):
        lo = (
            np.log(s / (r + s + x)) + (r + x) * np.log(alpha + T) + s * np.log(beta + T)
            + log_a0(theta, x, t_x, T, pairs)
        )  # fmt: skip
        return 1.0 / (1.0 + np.exp(lo))


_LAST = KeptRows(_p_alive, term_pairs)  # P(alive) of the last per-customer arrays, by row


def rows_p_alive(
    x: np.ndarray, t_x: np.ndarray, T: np.ndarray
) -> Callable[[np.ndarray], np.ndarray]:
    """P(alive) as a function of θ on rows that are distinct already (``Rows``), their pairs
    found once: the predictions ask at five parameter sets (the estimate and its gradient),
    and ``p_alive``'s collapse and cache would sort the rows again to find nothing to merge."""
    pairs = term_pairs(x, t_x, T)
    return lambda theta: _p_alive(np.asarray(theta, dtype=float), x, t_x, T, pairs)


def expected(
    theta: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray, t: float
) -> np.ndarray:
    """Note eq. 24: E[Y(t) | x, t_x, T] = P(alive) · E[Y(t) | alive]."""
    return conditional_expected(p_alive, alive_expected, theta, x, t_x, T, t)


def unconditional(theta: np.ndarray, t: float | np.ndarray) -> np.ndarray:
    """E[X(t)] for a customer just acquired (x = 0, T = 0)."""
    return for_new_customer(lambda z, tv: alive_expected(theta, z, z, tv), t)


@lru_cache(maxsize=4)
def _legendre(nodes: int) -> tuple[np.ndarray, np.ndarray]:
    """Gauss–Legendre nodes and weights, computed once per size: ``leggauss`` solves an
    eigenproblem (~3 ms at 96 nodes), which was most of a ``pmf`` call, and the calibration
    histogram calls ``pmf`` once per purchase count. Read-only, since every call shares them."""
    u, w = np.polynomial.legendre.leggauss(nodes)
    u.flags.writeable = False
    w.flags.writeable = False
    return u, w


def pmf(theta: np.ndarray, t: np.ndarray, k: int, nodes: int = 96) -> np.ndarray:
    """P(X(t) = k) for a customer acquired t weeks ago (for the calibration histogram).

    Alive at t with k purchases, or died at τ < t after k purchases; integrating λ and μ out:
      Γ(r+k)/(Γ(r) k!) · α^r · [ t^k (α+t)^−(r+k) (β/(β+t))^s
                                 + s β^s ∫₀ᵗ τ^k (α+τ)^−(r+k) (β+τ)^−(s+1) dτ ]
    The integral (no ₂F₁ series to sum to x terms) is Gauss–Legendre in y = ln(1 + τ/c),
    c = min(α, β), which moves the near-singularity at τ = −c away from the interval.
    """
    r, alpha, s, beta = theta
    t = np.atleast_1d(np.asarray(t, dtype=float))
    c = min(alpha, beta)
    u, w = _legendre(nodes)
    y_max = np.log1p(t / c)[:, None]
    y = (u[None, :] + 1.0) * y_max / 2.0  # nodes on [0, y_max] per t
    tau = c * np.expm1(y)
    with np.errstate(divide="ignore"):
        log_tau_k = k * np.log(tau) if k > 0 else np.zeros_like(tau)
        log_t_k = k * np.log(t) if k > 0 else np.zeros_like(t)
    # β^s (β+τ)^−(s+1) = (β/(β+τ))^s / (β+τ): kept together, so that a dropout rate held at
    # the edge (s, β → ∞ together) neither overflows β^s nor underflows (β+τ)^−(s+1)
    integrand = np.exp(
        log_tau_k - (r + k) * np.log(alpha + tau) - s * np.log1p(tau / beta)
        - np.log(beta + tau) + np.log(c + tau)  # dτ = (c + τ) dy
    )  # fmt: skip
    integral = np.sum(integrand * w[None, :], axis=1) * y_max[:, 0] / 2.0
    head = gammaln(r + k) - gammaln(r) - gammaln(k + 1.0) + r * np.log(alpha)
    alive = np.exp(head + log_t_k - (r + k) * np.log(alpha + t) - s * np.log1p(t / beta))
    died = np.exp(head + np.log(s)) * integral
    return alive + died
