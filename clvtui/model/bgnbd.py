"""BG/NBD (Fader, Hardie & Lee 2005, "Counting your customers the easy way", Marketing Science).

While alive a customer buys as a Poisson process with rate λ ~ Gamma(r, α); after each repeat
purchase they drop out with probability p ~ Beta(a, b). Parameters r, α, a, b (fitted on log scale).

Equation numbers refer to the paper: (6) likelihood, (8) P(X(t) = x), (9) E[X(t)],
(10) E[Y(t) | x, t_x, T]; P(alive) from the technical note "Computing P(alive) using the BG/NBD".
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from scipy.special import betaln, digamma, gammaln

from clvtui.model.alive import PARAMETERS
from clvtui.model.alive import bgnbd as alive_expected
from clvtui.model.alive import bgnbd_quadrature as quadrature_alive_expected  # noqa: F401  (re-export)
from clvtui.model.base import LikelihoodBase, Rows, conditional_expected, for_new_customer

NAME = "bgnbd"
NAMES = PARAMETERS[NAME]


class Likelihood(LikelihoodBase):
    """Eq. (6), one row per unique (x, t_x, T), with its analytic gradient."""

    names: ClassVar[tuple[str, ...]] = NAMES
    _cache: tuple[np.ndarray, ...]

    def _parts(self, theta: np.ndarray) -> tuple[np.ndarray, ...]:
        """Shared by loglike and score (BFGS asks for both at the same point): cached."""
        key = theta.tobytes()
        if getattr(self, "_cache_key", None) == key:
            return self._cache
        self._cache_key, self._cache = key, self._compute(theta)
        return self._cache

    def _compute(self, theta: np.ndarray) -> tuple[np.ndarray, ...]:
        r, alpha, a, b = theta
        rows: Rows = self.rows
        ux, ix, x = rows.ux, rows.ix, rows.x
        # terms in x only: once per distinct x
        const = (
            gammaln(r + ux) - gammaln(r) + gammaln(a + b) + gammaln(b + ux)
            - gammaln(b) - gammaln(a + b + ux)
        )[ix] + r * np.log(alpha)  # fmt: skip
        l1 = -(r + x) * np.log(alpha + rows.T)
        with np.errstate(divide="ignore", invalid="ignore"):
            l2 = np.where(
                x > 0,
                np.log(a)
                - np.log(np.maximum(b + x - 1, 1e-300))
                - (r + x) * np.log(alpha + rows.t_x),
                -np.inf,
            )
        lse = np.logaddexp(l1, l2)
        return const, l1, l2, lse

    def row_loglike(self, theta: np.ndarray) -> np.ndarray:
        const, _, _, lse = self._parts(theta)
        return const + lse

    def row_score(self, theta: np.ndarray) -> np.ndarray:
        r, alpha, a, b = theta
        rows: Rows = self.rows
        ux, ix, x = rows.ux, rows.ix, rows.x
        _, _, l2, lse = self._parts(theta)
        w2 = np.exp(l2 - lse)  # share of the "dropped out after t_x" branch
        w1 = 1.0 - w2
        lt, ltx = np.log(alpha + rows.T), np.log(alpha + rows.t_x)
        d_r = (digamma(r + ux) - digamma(r))[ix] + np.log(alpha) - w1 * lt - w2 * ltx
        d_alpha = r / alpha - (r + x) * (w1 / (alpha + rows.T) + w2 / (alpha + rows.t_x))
        dab = digamma(a + b) - digamma(a + b + ux)
        d_a = dab[ix] + w2 / a
        d_b = (dab + digamma(b + ux) - digamma(b))[ix] - w2 / np.maximum(b + x - 1, 1e-300)
        return np.stack([d_r, d_alpha, d_a, d_b])


def starts(rows: Rows) -> list[np.ndarray]:
    """Starting points (log scale): a neutral one, then the usual literature-scale ones."""
    rate = max(float(np.sum(rows.x * rows.weight) / np.sum(rows.T * rows.weight)), 1e-3)
    return [
        np.log([0.5, 0.5 / rate, 1.0, 2.0]),
        np.log([0.1, 0.1, 0.1, 0.1]),
        np.log([1.0, 1.0 / rate, 0.5, 5.0]),
        np.log([2.0, 10.0, 2.0, 2.0]),
    ]


def p_alive(theta: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """P(alive at T | x, t_x, T) = 1 / (1 + 1{x>0} a/(b+x−1) ((α+T)/(α+t_x))^(r+x))."""
    r, alpha, a, b = theta
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        log_odds = (
            np.log(a) - np.log(np.maximum(b + x - 1, 1e-300))
            + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
        )  # fmt: skip
        out = np.where(x > 0, 1.0 / (1.0 + np.exp(log_odds)), 1.0)
    return out


def expected(
    theta: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray, t: float
) -> np.ndarray:
    """Eq. (10): E[Y(t) | x, t_x, T] = P(alive) · E[Y(t) | alive]."""
    return conditional_expected(p_alive, alive_expected, theta, x, t_x, T, t)


def unconditional(theta: np.ndarray, t: float | np.ndarray) -> np.ndarray:
    """Eq. (9): E[X(t)] for a customer just acquired (x = 0, T = 0)."""
    return for_new_customer(lambda z, tv: alive_expected(theta, z, z, tv), t)


def pmf(theta: np.ndarray, t: np.ndarray, k: int) -> np.ndarray:
    """Eq. (8): P(X(t) = k) for each t."""
    return dropout_pmf(theta, t, k, coins_before=0)


def dropout_pmf(theta: np.ndarray, t: np.ndarray, k: int, coins_before: int) -> np.ndarray:
    """P(X(t) = k) when the dropout coin is also thrown ``coins_before`` times before the first
    repeat purchase (0: BG/NBD eq. 8; 1: MBG/NBD, where a one-time buyer may already be gone).

    Alive with k purchases: E[(1−p)^(k+c)]·NB(k); gone after the k-th: E[p(1−p)^(k+c−1)]·P(N ≥ k),
    with NB the gamma-Poisson count of purchases by t and c = ``coins_before``.
    """
    r, alpha, a, b = theta
    t = np.asarray(t, dtype=float)
    c = coins_before
    lq = np.log(alpha / (alpha + t))
    with np.errstate(divide="ignore"):  # t = 0 (bought on the last day): ln 0 = −inf, exp → 0
        lpt = np.log(t / (alpha + t))
    lp = lpt if k > 0 else np.zeros_like(t)
    first = np.exp(
        betaln(a, b + k + c) - betaln(a, b) + gammaln(r + k) - gammaln(r) - gammaln(k + 1)
        + r * lq + k * lp
    )  # fmt: skip
    if k + c == 0:
        return first
    j = np.arange(k)
    # j · ln(t/(α+t)) with 0 · ln 0 = 0 (t = 0: only the j = 0 term, P(N = 0) = 1, remains)
    jl = j * np.where(np.isfinite(lpt), lpt, -1e300)[:, None]
    partial = np.sum(
        np.exp(gammaln(r + j) - gammaln(r) - gammaln(j + 1) + r * lq[:, None] + jl), axis=1
    )
    return first + np.exp(betaln(a + 1, b + k + c - 1) - betaln(a, b)) * (1.0 - partial)
