"""Pareto/NBD (Schmittlein, Morrison & Colombo 1987) as written by Fader, Hardie & Lee (2005),
"A note on deriving the Pareto/NBD model and related expressions".

While alive, purchases are Poisson(λ), λ ~ Gamma(r, α); lifetimes are exponential(μ),
μ ~ Gamma(s, β). Likelihood (note eq. 19–22):
  L = Γ(r+x) α^r β^s / Γ(r) · [ (α+T)^−(r+x) (β+T)^−s + s/(r+s+x) · A₀ ]
with A₀ a difference of two ₂F₁ terms (the larger of α, β in the argument). Traps handled here:
₂F₁ in log space with Euler-transform fallbacks (``special.log_hyp2f1``), the difference taken as
lt₁ + log(1 − e^(lt₂−lt₁)), and t_x = T (A₀ = 0) as its own branch instead of log(0 − 0).
The likelihood is flat along (s, β) on CDNOW (SE(β) ≈ 6), so the gradient is numerical here.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from scipy.special import gammaln
from statsmodels.tools.numdiff import approx_hess

from clvtui.model.base import (
    LikelihoodBase,
    Rows,
    conditional_expected,
    for_new_customer,
    row_key,
)
from clvtui.model.special import log_hyp2f1

NAME = "paretonbd"
NAMES = ("r", "alpha", "s", "beta")


def log_a0(
    theta: np.ndarray,
    x: np.ndarray,
    t_x: np.ndarray,
    T: np.ndarray,
    pairs: tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]] | None = None,
) -> np.ndarray:
    """ln A₀ (note eq. 21/22); −inf where t_x = T.

    Each ₂F₁ term depends on (x, t_x) or (x, T) only, so it is evaluated once per distinct pair
    (``pairs``: first-index and inverse arrays for each, see ``term_pairs``) and gathered.
    """
    r, alpha, s, beta = theta
    if alpha >= beta:
        top, second = alpha, lambda xv: s + 1.0
    else:
        top, second = beta, lambda xv: r + xv
    diff = abs(alpha - beta)
    pairs = pairs or term_pairs(x, t_x, T)

    def term(t: np.ndarray, first: np.ndarray, inverse: np.ndarray) -> np.ndarray:
        xv, tv = x[first], t[first]
        k = r + s + xv
        val = log_hyp2f1(k, second(xv), k + 1.0, diff / (top + tv)) - k * np.log(top + tv)
        return val[inverse]

    lt1 = term(t_x, *pairs[0])
    lt2 = term(T, *pairs[1])
    with np.errstate(divide="ignore", invalid="ignore"):
        d = np.minimum(lt2 - lt1, 0.0)
        out = lt1 + np.log(-np.expm1(d))
    return np.where(T - t_x > 1e-12, out, -np.inf)


def term_pairs(x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> tuple:
    """(first, inverse) of the distinct (x, t_x) and of the distinct (x, T)."""
    out = []
    for t in (t_x, T):
        _, first, inverse = np.unique(
            row_key(np.asarray(x).astype(np.int64), np.asarray(t, float)),
            return_index=True,
            return_inverse=True,
        )
        out.append((first, inverse.ravel()))
    return tuple(out)


class Likelihood(LikelihoodBase):
    names: ClassVar[tuple[str, ...]] = NAMES

    def row_loglike(self, theta: np.ndarray) -> np.ndarray:
        r, alpha, s, beta = theta
        rows: Rows = self.rows
        x = rows.x
        const = (gammaln(r + rows.ux) - gammaln(r))[rows.ix] + r * np.log(alpha) + s * np.log(beta)
        l1 = -(r + x) * np.log(alpha + rows.T) - s * np.log(beta + rows.T)
        if getattr(self, "_pairs", None) is None:
            self._pairs = term_pairs(x, rows.t_x, rows.T)
        l2 = np.log(s / (r + s + x)) + log_a0(theta, x, rows.t_x, rows.T, self._pairs)
        return const + np.logaddexp(l1, l2)

    def hessian(self, params: np.ndarray) -> np.ndarray:
        return approx_hess(params, self.loglike)


def starts(rows: Rows) -> list[np.ndarray]:
    rate = max(float(np.sum(rows.x * rows.weight) / np.sum(rows.T * rows.weight)), 1e-3)
    return [
        np.log([0.5, 0.5 / rate, 0.5, 10.0]),
        np.log([1.0, 1.0, 1.0, 1.0]),
        np.log([0.2, 5.0, 1.0, 20.0]),
    ]


def p_alive(theta: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """1 / (1 + s/(r+s+x) · (α+T)^(r+x) (β+T)^s · A₀) (note eq. 18)."""
    r, alpha, s, beta = theta
    x, t_x, T = (np.asarray(v, float) for v in (x, t_x, T))
    with np.errstate(over="ignore"):
        lo = (
            np.log(s / (r + s + x)) + (r + x) * np.log(alpha + T) + s * np.log(beta + T)
            + log_a0(theta, x, t_x, T)
        )  # fmt: skip
        return 1.0 / (1.0 + np.exp(lo))


def alive_expected(theta: np.ndarray, x: np.ndarray, T: np.ndarray, t: float) -> np.ndarray:
    """(r+x)(β+T)/((α+T)(s−1)) · [1 − ((β+T)/(β+T+t))^(s−1)] (note eq. 24 / P(alive)),
    with the s → 1 limit (r+x)/(α+T)·(β+T)·ln((β+T+t)/(β+T))."""
    r, alpha, s, beta = theta
    x, T = np.asarray(x, float), np.asarray(T, float)
    lr = np.log((beta + T) / (beta + T + t))
    factor = -lr if abs(s - 1.0) < 1e-8 else -np.expm1((s - 1.0) * lr) / (s - 1.0)
    return (r + x) * (beta + T) / (alpha + T) * factor


def expected(
    theta: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray, t: float
) -> np.ndarray:
    """Note eq. 24: E[Y(t) | x, t_x, T] = P(alive) · E[Y(t) | alive]."""
    return conditional_expected(p_alive, alive_expected, theta, x, t_x, T, t)


def unconditional(theta: np.ndarray, t: float | np.ndarray) -> np.ndarray:
    """E[X(t)] for a customer just acquired (x = 0, T = 0)."""
    return for_new_customer(lambda z, tv: alive_expected(theta, z, z, tv), t)
