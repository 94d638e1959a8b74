"""BG/NBD (Fader, Hardie & Lee 2005, "Counting your customers the easy way", Marketing Science).

While alive a customer buys as a Poisson process with rate λ ~ Gamma(r, α); after each repeat
purchase they drop out with probability p ~ Beta(a, b). Parameters r, α, a, b (fitted on log scale).

Equation numbers refer to the paper: (6) likelihood, (8) P(X(t) = x), (9) E[X(t)],
(10) E[Y(t) | x, t_x, T]; P(alive) from the technical note "Computing P(alive) using the BG/NBD".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from scipy.special import betaln, digamma, gammaln

from clvtui.model.alive import PARAMETERS
from clvtui.model.alive import bgnbd as alive_expected
from clvtui.model.alive import bgnbd_quadrature as quadrature_alive_expected  # noqa: F401  (re-export)
from clvtui.model.base import LikelihoodBase, Rows, conditional_expected, for_new_customer

NAME = "bgnbd"
NAMES = PARAMETERS[NAME]


class ExactLikelihood(LikelihoodBase):
    """Eq. (6), one row per unique (x, t_x, T), with its analytic gradient, summed row by row:
    the sums of the original implementation, bit for bit (``Likelihood`` falls back to them at
    the boundary)."""

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
        alpha = theta[1]
        rows: Rows = self.rows
        _, _, l2, lse = self._parts(theta)
        w2 = np.exp(l2 - lse)  # share of the "dropped out after t_x" branch
        lt, ltx = np.log(alpha + rows.T), np.log(alpha + rows.t_x)
        return _row_gradient(theta, rows, lt, ltx, w2)


class Likelihood(ExactLikelihood):
    """Eq. (6), one row per unique (x, t_x, T), with its analytic gradient.

    Value and gradient come from one pass (BFGS asks for both at the same point): the logs of
    α + T and α + t_x are taken once per distinct T and t_x (a day grid: a few hundred values
    at a million customers) and gathered, and every sum the gradient needs that does not
    involve the per-row branch weight is a dot product of per-x or per-T weight totals. Per
    row remain a log-sum-exp and the branch weight. ``row_loglike``/``row_score`` (per row)
    stay for the generic paths.

    ``exact``: the row-by-row sums of ``ExactLikelihood`` instead, bit for bit. On the edge
    of the parameter space the likelihood is flat and the optimiser's path there follows
    round-off: ``base.fit_likelihood`` refits a boundary fit with them, so it ends where it
    always did (it moved up to ~4e-6 relative otherwise); the sums agree to ~1e-15.
    """

    exact: bool = False

    def _parts(self, theta: np.ndarray) -> tuple[np.ndarray, ...]:
        """Shared by loglike and score (BFGS asks for both at the same point): cached."""
        key = (b"exact" if self.exact else b"fast") + theta.tobytes()
        if getattr(self, "_cache_key", None) == key:
            return self._cache
        compute = super()._compute if self.exact else self._compute
        self._cache_key, self._cache = key, compute(theta)
        return self._cache

    def _grid(self) -> _Grid:
        """The rows' distinct T and t_x with their indices and weight totals (built once)."""
        grid = getattr(self, "_grid_cache", None)
        if grid is None:
            grid = self._grid_cache = _Grid.of(self.rows)
        return grid

    def _compute(self, theta: np.ndarray) -> tuple[np.ndarray, ...]:
        """Per row: ℓ's two branches, ln(e^l1 + e^l2) and w2 = e^l2 / (e^l1 + e^l2), from one
        exp and one log of the branches' log-odds d = l2 − l1 (numpy's ``logaddexp`` and a
        second exp for w2 took twice as long; with 1 + e^d ≥ 1 the plain log is as accurate
        as log1p to the last bit of ℓ)."""
        r, alpha, a, b = theta
        rows: Rows = self.rows
        g = self._grid()
        # terms in x only: once per distinct x
        const_x = (
            gammaln(r + rows.ux) - gammaln(r) + gammaln(a + b) + gammaln(b + rows.ux)
            - gammaln(b) - gammaln(a + b + rows.ux)
        )  # fmt: skip
        lt, ltx = np.log(alpha + g.uT)[g.iT], np.log(alpha + g.ut_x)[g.it_x]
        rx = r + rows.x
        l1 = -rx * lt
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            la_x = np.where(
                rows.ux > 0, np.log(a) - np.log(np.maximum(b + rows.ux - 1, 1e-300)), -np.inf
            )
            d = la_x[rows.ix] - rx * ltx
            d -= l1  # l2 − l1; −inf for x = 0 (no dropout branch): e = 0, w2 = 0
            e = np.exp(np.minimum(d, 700.0))
            one_e = e + 1.0
            lse = np.log(one_e)
            lse += l1
            far = d > 700.0  # e^d beyond floats: ln(e^l1 + e^l2) = l2 to the last bit
            if far.any():
                lse[far] = (l1 + d)[far]
            e /= one_e  # w2
        return const_x, lt, ltx, e, lse

    def row_loglike(self, theta: np.ndarray) -> np.ndarray:
        if self.exact:
            return super().row_loglike(theta)
        const_x, _, _, _, lse = self._parts(theta)
        return const_x[self.rows.ix] + theta[0] * np.log(theta[1]) + lse

    def loglike(self, params: np.ndarray) -> float:
        """Σ weight × ℓ without the per-row array of ``loglikeobs`` (the same sum when finite)."""
        if self.exact:
            return super().loglike(params)
        theta = np.exp(np.clip(params, -30, 30))
        r, alpha = theta[0], theta[1]
        const_x, _, _, _, lse = self._parts(theta)
        g = self._grid()
        total = float(np.dot(g.w_x, const_x) + g.n * r * np.log(alpha) + np.sum(g.w * lse))
        return total if np.isfinite(total) else super().loglike(params)

    def row_score(self, theta: np.ndarray) -> np.ndarray:
        if self.exact:
            return super().row_score(theta)
        _, lt, ltx, w2, _ = self._parts(theta)  # w2: share of the "dropped out after t_x" branch
        return _row_gradient(theta, self.rows, lt, ltx, w2)

    def total_score(self, theta: np.ndarray) -> np.ndarray:
        """Σ weight × ∂ℓ/∂θ: w1 = 1 − w2 splits each sum into a part of per-x / per-T totals
        and one weighted by v = weight × w2, the only per-row factor."""
        if self.exact:
            return LikelihoodBase.total_score(self, theta)
        r, alpha, a, b = theta
        rows: Rows = self.rows
        g = self._grid()
        _, lt, ltx, w2, _ = self._parts(theta)
        v = w2 * g.w  # weight × share of the "dropped out after t_x" branch
        inv_t, inv_tx = 1.0 / (alpha + g.uT), 1.0 / (alpha + g.ut_x)
        rx = r + rows.x
        lt_sum = float(np.dot(g.w_T, np.log(alpha + g.uT)))
        d_r = (
            np.dot(g.w_x, digamma(r + rows.ux) - digamma(r)) + g.n * np.log(alpha) - lt_sum
            + np.sum(v * (lt - ltx))
        )  # fmt: skip
        d_alpha = (
            g.n * r / alpha - np.dot(r * g.w_T + g.wx_T, inv_t)
            - np.sum(v * rx * (inv_tx[g.it_x] - inv_t[g.iT]))
        )  # fmt: skip
        dab = digamma(a + b) - digamma(a + b + rows.ux)
        v_x = np.bincount(rows.ix, weights=v, minlength=len(rows.ux))
        d_a = np.dot(g.w_x, dab) + float(np.sum(v_x)) / a
        d_b = np.dot(g.w_x, dab + digamma(b + rows.ux) - digamma(b)) - np.dot(
            v_x, 1.0 / np.maximum(b + rows.ux - 1, 1e-300)
        )
        return np.array([d_r, d_alpha, d_a, d_b], dtype=float)


@dataclass(frozen=True)
class _Grid:
    """Distinct T and t_x of the rows, each row's index into them, and weight totals."""

    w: np.ndarray  # row weights
    n: float  # customers
    w_x: np.ndarray  # weight per distinct x
    uT: np.ndarray
    iT: np.ndarray
    w_T: np.ndarray  # weight per distinct T
    wx_T: np.ndarray  # Σ weight × x per distinct T
    ut_x: np.ndarray
    it_x: np.ndarray

    @classmethod
    def of(cls, rows: Rows) -> _Grid:
        uT, iT = np.unique(rows.T, return_inverse=True)
        ut_x, it_x = np.unique(rows.t_x, return_inverse=True)
        iT, it_x = iT.ravel(), it_x.ravel()
        w = np.asarray(rows.weight, dtype=float)
        return cls(
            w=w,
            n=float(np.sum(w)),
            w_x=np.bincount(rows.ix, weights=w, minlength=len(rows.ux)),
            uT=uT,
            iT=iT,
            w_T=np.bincount(iT, weights=w, minlength=len(uT)),
            wx_T=np.bincount(iT, weights=w * rows.x, minlength=len(uT)),
            ut_x=ut_x,
            it_x=it_x,
        )


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


def _row_gradient(
    theta: np.ndarray, rows: Rows, lt: np.ndarray, ltx: np.ndarray, w2: np.ndarray
) -> np.ndarray:
    """Eq. (6)'s gradient per row, given ln(α+T), ln(α+t_x) and the share w2 of the "dropped
    out after t_x" branch: one formula for the exact and the one-pass likelihood."""
    r, alpha, a, b = theta
    ux, ix, x = rows.ux, rows.ix, rows.x
    w1 = 1.0 - w2
    d_r = (digamma(r + ux) - digamma(r))[ix] + np.log(alpha) - w1 * lt - w2 * ltx
    d_alpha = r / alpha - (r + x) * (w1 / (alpha + rows.T) + w2 / (alpha + rows.t_x))
    dab = digamma(a + b) - digamma(a + b + ux)
    d_a = dab[ix] + w2 / a
    d_b = (dab + digamma(b + ux) - digamma(b))[ix] - w2 / np.maximum(b + x - 1, 1e-300)
    return np.stack([d_r, d_alpha, d_a, d_b])
