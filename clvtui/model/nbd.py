"""NBD (Ehrenberg 1959; Morrison & Schmittlein 1988): gamma-Poisson purchases, nobody leaves.

While a customer is a customer they buy as a Poisson process with rate λ ~ Gamma(r, α), and
they never drop out. It is the model BG/NBD, MBG/NBD and Pareto/NBD all collapse to when their
dropout part runs to its boundary (BG/NBD a → 0 or b → ∞; Pareto/NBD s → 0 or β → ∞): on data
where no customer visibly left — wholesale buyers, a young shop, subscription-like regulars —
that is the model the data support, with two parameters that are identified instead of four of
which two are not. Long-horizon values are optimistic by construction (nobody ever leaves).

Likelihood of (x, t_x, T) in the repeat-purchase period (0, T]:
    L = Γ(r+x)/Γ(r) · α^r / (α+T)^(r+x)   (t_x plays no part: no dropout to time),
the BG/NBD likelihood (its eq. 6) in the limit a → 0. Given x repeat purchases in T weeks,
λ | x, T ~ Gamma(r+x, α+T), so E[Y(t) | x, T] = (r+x)·t/(α+T) and P(X(t) = k) is negative
binomial.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from scipy.special import digamma, gammaln

from clvtui.model.alive import PARAMETERS
from clvtui.model.alive import nbd as alive_expected
from clvtui.model.base import LikelihoodBase, Rows, for_new_customer

NAME = "nbd"
NAMES = PARAMETERS[NAME]


class Likelihood(LikelihoodBase):
    """One row per unique (x, t_x, T); t_x is carried but unused."""

    names: ClassVar[tuple[str, ...]] = NAMES

    def row_loglike(self, theta: np.ndarray) -> np.ndarray:
        r, alpha = theta
        rows: Rows = self.rows
        const = (gammaln(r + rows.ux) - gammaln(r))[rows.ix]
        return const + r * np.log(alpha) - (r + rows.x) * np.log(alpha + rows.T)

    def row_score(self, theta: np.ndarray) -> np.ndarray:
        r, alpha = theta
        rows: Rows = self.rows
        d_r = (digamma(r + rows.ux) - digamma(r))[rows.ix] + np.log(alpha) - np.log(alpha + rows.T)
        d_alpha = r / alpha - (r + rows.x) / (alpha + rows.T)
        return np.stack([d_r, d_alpha])


def starts(rows: Rows) -> list[np.ndarray]:
    """Method of moments on the repeat rates x/T, then neutral literature-scale fallbacks.

    Given λ, x/T has variance λ/T; what the observed variance has on top of that is the spread
    of λ, r/α² for a Gamma(r, α): with mean rate ρ = r/α, r = ρ² / excess.
    """
    w = rows.weight
    rate = max(float(np.sum(rows.x * w) / max(np.sum(rows.T * w), 1e-9)), 1e-3)
    keep = rows.T > 0
    r_mom = 10.0
    if keep.any():
        per = rows.x[keep] / rows.T[keep]
        mean = float(np.average(per, weights=w[keep]))
        var = float(np.average((per - mean) ** 2, weights=w[keep]))
        excess = var - mean * float(np.average(1.0 / rows.T[keep], weights=w[keep]))
        if excess > 0:
            r_mom = float(np.clip(mean**2 / excess, 0.05, 50.0))
    return [np.log([r_mom, r_mom / rate]), np.log([0.5, 0.5 / rate]), np.log([2.0, 2.0 / rate])]


def p_alive(theta: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """1 for everyone: in this model nobody leaves (which is what the data could not refute)."""
    return np.ones(np.broadcast(np.asarray(x), np.asarray(t_x), np.asarray(T)).shape)


def expected(
    theta: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray, t: float
) -> np.ndarray:
    """E[Y(t) | x, t_x, T] = E[Y(t) | alive] (P(alive) ≡ 1)."""
    return alive_expected(theta, x, T, t)


def unconditional(theta: np.ndarray, t: float | np.ndarray) -> np.ndarray:
    """E[X(t)] = r·t/α for a customer just acquired."""
    return for_new_customer(lambda z, tv: alive_expected(theta, z, z, tv), t)


def pmf(theta: np.ndarray, t: np.ndarray, k: int) -> np.ndarray:
    """P(X(t) = k) = Γ(r+k)/(Γ(r) k!) · (α/(α+t))^r · (t/(α+t))^k (negative binomial)."""
    r, alpha = theta
    t = np.asarray(t, dtype=float)
    with np.errstate(divide="ignore"):
        lk = k * np.log(t / (alpha + t)) if k > 0 else np.zeros_like(t)
    return np.exp(
        gammaln(r + k) - gammaln(r) - gammaln(k + 1.0) + r * np.log(alpha / (alpha + t)) + lk
    )
