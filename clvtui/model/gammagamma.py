"""Gamma-Gamma spend model (Fader, Hardie & Lee 2005, "RFM and CLV: using iso-value curves",
JMR; note "The Gamma-Gamma model of monetary value", 2013).

Each order's value z ~ Gamma(p, ν) with ν ~ Gamma(q, γ) per customer; fitted on repeat buyers
(x > 0) from their mean repeat spend m. Density of m given x (note eq. 1):
  f(m | p, q, γ, x) = Γ(px+q)/(Γ(px)Γ(q)) · γ^q · m^(px−1) · x^(px) / (γ + x·m)^(px+q)
Conditional expectation (note eq. 5): E[M | x, m] = (γ + x·m)·p / (p·x + q − 1), a weighted
average of the population mean p·γ/(q−1) and the customer's own mean m.

It assumes spend is independent of purchase frequency; the fit reports the frequency–spend
correlation among repeaters so the user can judge that.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from scipy.special import digamma, gammaln

from clvtui.errors import ModelError
from clvtui.model.base import FittedModel, LikelihoodBase, fit_likelihood
from clvtui.model.boundary import hold_edges

NAMES = ("p", "q", "gamma")
MIN_REPEATERS = 20


class SpendRows:
    """Unique (x, m) rows of repeat buyers with frequency weights."""

    def __init__(self, x: np.ndarray, m: np.ndarray) -> None:
        x, m = np.asarray(x, float), np.asarray(m, float)
        # m on a 1e-4 grid packed with x into one int64 (np.unique on ints, not rows)
        cents = np.rint(m * 1e4).astype(np.int64)
        if x.size and x.max() < 2**20 and cents.max() < 2**42:
            key = (cents << 20) | x.astype(np.int64)
        else:
            key = np.unique(np.stack([x, m], axis=1), axis=0, return_inverse=True)[1].ravel()
        _, first, counts = np.unique(key, return_index=True, return_counts=True)
        self.x, self.m, self.weight = x[first], m[first], counts.astype(float)
        self.ux, self.ix = np.unique(self.x, return_inverse=True)
        self.log_m, self.log_x = np.log(self.m), np.log(self.x)


class Likelihood(LikelihoodBase):
    names: ClassVar[tuple[str, ...]] = NAMES

    def row_loglike(self, theta: np.ndarray) -> np.ndarray:
        p, q, g = theta
        rows: SpendRows = self.rows
        px = p * rows.x
        by_x = (gammaln(p * rows.ux + q) - gammaln(p * rows.ux))[rows.ix]
        return (
            by_x - gammaln(q) + q * np.log(g) + (px - 1) * rows.log_m + px * rows.log_x
            - (px + q) * np.log(g + rows.x * rows.m)
        )  # fmt: skip

    def row_score(self, theta: np.ndarray) -> np.ndarray:
        p, q, g = theta
        rows: SpendRows = self.rows
        x = rows.x
        psi = digamma(p * rows.ux + q)[rows.ix]
        lgm = np.log(g + x * rows.m)
        d_p = x * (psi - digamma(p * rows.ux)[rows.ix] + rows.log_m + rows.log_x - lgm)
        d_q = psi - digamma(q) + np.log(g) - lgm
        d_g = q / g - (p * x + q) / (g + x * rows.m)
        return np.stack([d_p, d_q, d_g])


def fit(x: np.ndarray, m: np.ndarray) -> FittedModel:
    """Fit on repeat buyers (x > 0, m > 0); needs at least MIN_REPEATERS of them."""
    x, m = np.asarray(x, float), np.asarray(m, float)
    keep = (x > 0) & (m > 0)
    n = int(keep.sum())
    if n < MIN_REPEATERS:
        raise ModelError(
            f"the spend model needs at least {MIN_REPEATERS} repeat buyers with a positive "
            f"repeat spend; this data has {n}"
        )
    rows = SpendRows(x[keep], m[keep])
    mean = float(np.mean(m[keep]))
    starts = [np.log([2.0, 3.0, mean]), np.log([1.0, 1.0, 1.0]), np.log([5.0, 5.0, 2 * mean])]
    likelihood = Likelihood(rows)
    # a parameter at the edge (e.g. q, γ → ∞: every customer's orders average the same) is
    # held there, with no standard error, instead of a meaningless covariance
    fitted = hold_edges(fit_likelihood(likelihood, "gammagamma", starts, n), likelihood)
    if fitted.theta[1] <= 1.0:
        fitted.warnings.append(
            f"spend model: q = {fitted.theta[1]:.3f} ≤ 1 means the average order value has no "
            "finite mean under the model; customers' observed averages are used instead"
        )
    return fitted


def expected_spend(
    theta: np.ndarray, x: np.ndarray, m: np.ndarray, fallback: float | None = None
) -> np.ndarray:
    """E[M | x, m] per customer (note eq. 5); x = 0 customers get the population mean.

    Guard: with q ≤ 1 the population mean p·γ/(q−1) is infinite or negative, so repeat buyers
    get their own observed mean m and one-time buyers ``fallback`` (the observed mean repeat
    order value) — never a negative or infinite spend.
    """
    p, q, g = theta
    x, m = np.asarray(x, float), np.asarray(m, float)
    if q <= 1.0:
        fb = float(fallback) if fallback is not None else float(np.mean(m[x > 0]))
        return np.where(x > 0, m, fb)
    return (g + x * m) * p / (p * x + q - 1.0)


def population_mean(theta: np.ndarray) -> float:
    p, q, g = theta
    return float(p * g / (q - 1.0)) if q > 1.0 else float("nan")
