"""MBG/NBD (Batislam, Denizel & Filiztekin 2007, IJRM 24(3)): BG/NBD where a customer may also
drop out right after the first purchase, so a one-time buyer can be "dead" (BG/NBD says a
one-time buyer is always alive, which flatters P(alive) of the silent majority).

Likelihood (their eq. 5): B(a, b+x+1)/B(a,b) · Γ(r+x)α^r/Γ(r) · [(α+T)^−(r+x)
+ a/(b+x) · (α+t_x)^−(r+x)] for every x. Given alive, p ~ Beta(a, b+x+1) (x+1 survived coin
flips), so E[Y(t) | alive] is the BG/NBD expression with b → b + 1.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from scipy.special import digamma, gammaln

from clvtui.model import bgnbd
from clvtui.model.alive import PARAMETERS
from clvtui.model.alive import mbgnbd as alive_expected
from clvtui.model.base import LikelihoodBase, Rows, conditional_expected, for_new_customer

NAME = "mbgnbd"
NAMES = PARAMETERS[NAME]
starts = bgnbd.starts


class Likelihood(LikelihoodBase):
    names: ClassVar[tuple[str, ...]] = NAMES

    def _parts(self, theta: np.ndarray) -> tuple[np.ndarray, ...]:
        r, alpha, a, b = theta
        rows: Rows = self.rows
        ux, ix, x = rows.ux, rows.ix, rows.x
        const = (
            gammaln(r + ux) - gammaln(r) + gammaln(a + b) + gammaln(b + ux + 1)
            - gammaln(b) - gammaln(a + b + ux + 1)
        )[ix] + r * np.log(alpha)  # fmt: skip
        l1 = -(r + x) * np.log(alpha + rows.T)
        l2 = np.log(a) - np.log(b + x) - (r + x) * np.log(alpha + rows.t_x)
        return const, l2, np.logaddexp(l1, l2)

    def row_loglike(self, theta: np.ndarray) -> np.ndarray:
        const, _, lse = self._parts(theta)
        return const + lse

    def row_score(self, theta: np.ndarray) -> np.ndarray:
        r, alpha, a, b = theta
        rows: Rows = self.rows
        ux, ix, x = rows.ux, rows.ix, rows.x
        _, l2, lse = self._parts(theta)
        w2 = np.exp(l2 - lse)
        w1 = 1.0 - w2
        lt, ltx = np.log(alpha + rows.T), np.log(alpha + rows.t_x)
        d_r = (digamma(r + ux) - digamma(r))[ix] + np.log(alpha) - w1 * lt - w2 * ltx
        d_alpha = r / alpha - (r + x) * (w1 / (alpha + rows.T) + w2 / (alpha + rows.t_x))
        dab = digamma(a + b) - digamma(a + b + ux + 1)
        d_a = dab[ix] + w2 / a
        d_b = (dab + digamma(b + ux + 1) - digamma(b))[ix] - w2 / (b + x)
        return np.stack([d_r, d_alpha, d_a, d_b])


def p_alive(theta: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """1 / (1 + a/(b+x) · ((α+T)/(α+t_x))^(r+x)), for every x (one-time buyers included)."""
    r, alpha, a, b = theta
    with np.errstate(over="ignore"):
        log_odds = np.log(a) - np.log(b + x) + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
        return 1.0 / (1.0 + np.exp(log_odds))


def expected(
    theta: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray, t: float
) -> np.ndarray:
    """E[Y(t) | x, t_x, T] = P(alive) · E[Y(t) | alive] (BG/NBD's alive term with b + 1)."""
    return conditional_expected(p_alive, alive_expected, theta, x, t_x, T, t)


def unconditional(theta: np.ndarray, t: float | np.ndarray) -> np.ndarray:
    """E[X(t)] for a new customer: alive after the first purchase with probability b/(a+b)."""
    return for_new_customer(lambda z, tv: expected(theta, z, z, z, tv), t)


def pmf(theta: np.ndarray, t: np.ndarray, k: int) -> np.ndarray:
    """P(X(t) = k): BG/NBD's eq. (8) with one more dropout coin, at the first purchase."""
    return bgnbd.dropout_pmf(theta, t, k, coins_before=1)
