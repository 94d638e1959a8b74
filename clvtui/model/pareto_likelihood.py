"""Pareto/NBD's likelihood and score on collapsed rows, and the curvature that starts BFGS.

Why a module of its own: ``model.paretonbd`` holds the model (P(alive), the predictions, the
pmf); the sums over a million customers' rows are here, in two versions — the original row by
row (``ExactLikelihood``) and one that does per row only what must be done per row
(``Likelihood``, from FAST_FROM customers). See ``paretonbd``'s docstring for the maths.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cached_property, partial
from typing import Any, ClassVar

import numpy as np
from scipy.special import digamma, gammaln

from clvtui.model.alive import PARAMETERS
from clvtui.model.base import LikelihoodBase, Rows, row_key
from clvtui.model.pareto_integral import log_j_gradients, log_j_parts

NAMES = PARAMETERS["paretonbd"]
CURVATURE_SAMPLE = 20_000  # customers in the thinned sample whose Hessian starts BFGS
FAST_FROM = 2 * CURVATURE_SAMPLE  # customers from which the fast sums are used

_BESIDE = ThreadPoolExecutor(1, thread_name_prefix="clvtui-pareto")
_BESIDE_HESSIAN = ThreadPoolExecutor(1, thread_name_prefix="clvtui-pareto-hessian")


def _both(first: Callable[[], Any], second: Callable[[], Any]) -> list[Any]:
    """[first(), second()], the first on the other core meanwhile. Why: the two pair sets'
    ₂F₁ evaluations are independent, element-wise numpy and scipy work that lets go of the
    interpreter — the same values, in about half the wall time when a core is free."""
    beside = _BESIDE.submit(first)
    other = second()
    return [beside.result(), other]


def _log_j_pairs(theta: np.ndarray, x: np.ndarray, times: tuple, pairs: tuple) -> list[tuple]:
    """``log_j_parts`` at each distinct (x, t_x) and (x, T) pair."""
    r, alpha, s, beta = theta
    t_x, T = ((t[first], x[first]) for t, (first, _) in zip(times, pairs, strict=True))
    return _both(
        lambda: log_j_parts(r + t_x[1], s + 1.0, alpha, beta, t_x[0]),
        lambda: log_j_parts(r + T[1], s + 1.0, alpha, beta, T[0]),
    )


def _to_rows(pair_lj: list[np.ndarray], pairs: tuple) -> tuple[np.ndarray, np.ndarray]:
    """ln J(t_x) and ln J(T) per row, gathered from their distinct pairs."""
    return pair_lj[0][pairs[0][1]], pair_lj[1][pairs[1][1]]


def _log_difference(lj1: np.ndarray, lj2: np.ndarray, gap: np.ndarray) -> np.ndarray:
    """ln (J(t_x) − J(T)) = ln J(t_x) + log(1 − e^(ln J(T) − ln J(t_x))); −inf where t_x = T."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = lj1 + np.log(-np.expm1(np.minimum(lj2 - lj1, 0.0)))
    return np.where(gap > 1e-12, out, -np.inf)


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


class ExactLikelihood(LikelihoodBase):
    """Note eq. 19 on unique (x, t_x, T) rows, with the gradient described in ``paretonbd``'s
    docstring, summed row by row: the sums of the original implementation, bit for bit
    (``Likelihood`` keeps them below FAST_FROM customers)."""

    names: ClassVar[tuple[str, ...]] = NAMES
    _cache: tuple[Any, ...]  # arrays, and the pair terms as a list

    def start_inverse(self, start: np.ndarray) -> np.ndarray | None:
        """The warm start's curvature (``LikelihoodBase.start_inverse``), else the one of a
        thinned sample at the start (``start_curvature``).

        Why: s and β lie on a long ridge; from the identity BFGS walked along it for ~20
        iterations (≈ 50 likelihood and score evaluations at a million customers). With the
        inverse Hessian of a thinned sample of the customers as its first guess it takes a
        handful. The optimum and statsmodels' covariance (−H⁻¹ at the optimum) are the same;
        where no curvature is usable the plain statsmodels BFGS runs.
        """
        warm = super().start_inverse(start)
        return warm if warm is not None else start_curvature(self.rows, start)

    @cached_property
    def _pairs(self) -> tuple:
        return term_pairs(self.rows.x, self.rows.t_x, self.rows.T)

    def hessian(self, params: np.ndarray) -> np.ndarray:
        """``LikelihoodBase.hessian``'s central differences of the score — the same steps and
        arithmetic, so the same matrix — with half of the 8 scores on the other core, each
        side on its own copy of the likelihood (the caches of the last point are per copy)."""
        params = np.asarray(params, dtype=float)
        self._pairs, self._weight_per_x  # noqa: B018 — computed once, shared by the copy
        step = np.zeros((len(params), len(params)))
        np.fill_diagonal(step, 1e-4 / 2.0)  # statsmodels' approx_fprime: ε/2 each side

        def column(likelihood: ExactLikelihood, k: int) -> np.ndarray:
            up, down = likelihood.score(params + step[k]), likelihood.score(params - step[k])
            return (up - down) / (2 * step[k, k])

        half = len(params) // 2
        beside = _BESIDE_HESSIAN.submit(lambda: [column(copy.copy(self), k) for k in range(half)])
        rest = [column(self, k) for k in range(half, len(params))]
        h = np.array(beside.result() + rest).T
        h = (h + h.T) / 2.0
        self.last_hessian = (params.copy(), h)  # for boundary checks
        return h

    def _parts(self, theta: np.ndarray) -> tuple[Any, ...]:
        """Shared by loglike and score (BFGS asks for both at the same point): cached."""
        key = theta.tobytes()
        if getattr(self, "_cache_key", None) == key:
            return self._cache
        r, alpha, s, beta = theta
        rows: Rows = self.rows
        const = (gammaln(r + rows.ux) - gammaln(r))[rows.ix] + r * np.log(alpha) + s * np.log(beta)
        l1 = -(r + rows.x) * np.log(alpha + rows.T) - s * np.log(beta + rows.T)
        pair_lj = _log_j_pairs(theta, rows.x, (rows.t_x, rows.T), self._pairs)
        lj1, lj2 = _to_rows([part[0] for part in pair_lj], self._pairs)
        l2 = np.log(s) + _log_difference(lj1, lj2, rows.T - rows.t_x)
        lse = np.logaddexp(l1, l2)
        self._cache_key, self._cache = key, (const, l2, lse, lj1, lj2, pair_lj)
        return self._cache

    def row_loglike(self, theta: np.ndarray) -> np.ndarray:
        const, _, lse = self._parts(theta)[:3]
        return const + lse

    def total_score(self, theta: np.ndarray) -> np.ndarray:
        """Σ rows weight × ∂ℓ/∂θ (kept for the last point: the fit's convergence check and
        ``boundary.settle`` ask again where BFGS stopped)."""
        key = theta.tobytes()
        last = getattr(self, "_last_score", None)
        if last is None or last[0] != key:
            last = self._last_score = (key, self._total_score(theta))
        return last[1].copy()

    def _total_score(self, theta: np.ndarray) -> np.ndarray:
        """The ∂ ln J terms are per (x, t) pair, so each pair's coefficient is summed over its
        rows (``bincount``) and the pairs' gradients are never gathered to rows."""
        r, alpha, s, beta = theta
        rows: Rows = self.rows
        wt, pairs = rows.weight, self._pairs
        _, l2, lse, lj1, lj2, pair_lj = self._parts(theta)
        w2 = np.exp(l2 - lse)  # share of the "died between t_x and T" branch
        w1 = wt * (1.0 - w2)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            # d ln(J1 − J2) = g1 + (g1 − g2) / (e^(ln J1 − ln J2) − 1), free of cancellation;
            # weighted by w2, and 0 where that branch is absent (t_x = T)
            alive = w2 > 0
            near = np.where(alive, wt * w2, 0.0)
            far = np.where(alive, wt * w2 / np.expm1(lj1 - lj2), 0.0)
        total = np.zeros(4)
        grads = _both(*(partial(self._log_j_gradients, theta, i, pair_lj[i]) for i in (0, 1)))
        for i, coefficient in enumerate((near + far, -far)):
            first, inverse = pairs[i]
            by_pair = np.bincount(inverse, weights=coefficient, minlength=first.size)
            total[[1, 3, 0, 2]] += grads[i] @ by_pair
        n, wx = float(np.sum(wt)), self._weight_per_x
        total[0] += (digamma(r + rows.ux) - digamma(r)) @ wx + np.log(alpha) * n
        total[0] -= w1 @ np.log(alpha + rows.T)
        total[1] += r / alpha * n - w1 @ ((r + rows.x) / (alpha + rows.T))
        total[2] += np.log(beta) * n - w1 @ np.log(beta + rows.T) + np.sum(near) / s
        total[3] += s / beta * n - w1 @ (s / (beta + rows.T))
        return total

    @cached_property
    def _weight_per_x(self) -> np.ndarray:
        rows: Rows = self.rows
        return np.bincount(rows.ix, weights=rows.weight, minlength=rows.ux.size)

    def _log_j_gradients(self, theta: np.ndarray, i: int, parts: tuple) -> np.ndarray:
        """d ln J / d(α, β, p, q) at each distinct pair of set i (0: (x, t_x), 1: (x, T))."""
        r, alpha, s, beta = theta
        first, _ = self._pairs[i]
        x, t = self.rows.x[first], (self.rows.t_x, self.rows.T)[i][first]
        return log_j_gradients(r + x, s + 1.0, alpha, beta, t, parts)


class Likelihood(ExactLikelihood):
    """``ExactLikelihood`` with the per-row work cut to what each row needs (~3× faster at a
    million customers; the same sums to ~1e-15, the fit's optimum to ~1e-9 relative).

    ``exact`` (below FAST_FROM customers, which includes the model choice's 20 k sample and
    every shop of the tests' stored reports): the row-by-row sums of ``ExactLikelihood``, so
    those fits stay what they were to the last bit.
    """

    def __init__(self, rows: Any, **kwds: Any) -> None:
        super().__init__(rows, **kwds)
        self.exact = float(np.sum(rows.weight)) < FAST_FROM

    def hessian(self, params: np.ndarray) -> np.ndarray:
        if not self.exact:
            self._grid  # noqa: B018 — computed once, shared by the other core's copy
        return super().hessian(params)

    @cached_property
    def _grid(self) -> _Grid:
        return _Grid.of(self.rows)

    def _parts(self, theta: np.ndarray) -> tuple[Any, ...]:
        if self.exact:
            return super()._parts(theta)
        return self._fast_parts(theta)

    def _fast_parts(self, theta: np.ndarray) -> tuple[Any, ...]:
        """Shared by loglike and score (BFGS asks for both at the same point): cached.

        Per row only what must be: the pairs' ln J gathered, one expm1 and one log for
        ln(J(t_x) − J(T)), one exp and one log for the log-sum-exp of the two branches and
        the "died between t_x and T" share w2 from the same exp; ln(α+T), ln(β+T) are taken
        once per distinct T and gathered."""
        key = theta.tobytes()
        if getattr(self, "_cache_key", None) == key:
            return self._cache
        r, alpha, s, beta = theta
        rows: Rows = self.rows
        g = self._grid
        la_T, lb_T = np.log(alpha + g.uT), np.log(beta + g.uT)
        l1 = -(r + rows.x) * la_T[g.iT]
        l1 -= s * lb_T[g.iT]
        pair_lj = _log_j_pairs(theta, rows.x, (rows.t_x, rows.T), self._pairs)
        lj1, lj2 = _to_rows([part[0] for part in pair_lj], self._pairs)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            # 1 − J(T)/J(t_x); rows with t_x = T have no such branch: 1 here, −inf below
            gone = np.where(g.alive, -np.expm1(np.minimum(lj2 - lj1, 0.0)), 1.0)
            d = np.log(gone)
            d += lj1
            d += np.log(s)
            d -= l1  # l2 − l1
            d[~g.alive] = -np.inf
            e = np.exp(np.minimum(d, 700.0))
            one_e = e + 1.0
            lse = np.log(one_e)
            lse += l1
            far = d > 700.0  # e^d beyond floats: the log-sum-exp is l2 to the last bit
            if far.any():
                lse[far] = (l1 + d)[far]
            e /= one_e  # w2
        const_x = gammaln(r + rows.ux) - gammaln(r)
        self._cache_key = key
        self._cache = (const_x, lse, e, gone, la_T, lb_T, pair_lj)
        return self._cache

    def row_loglike(self, theta: np.ndarray) -> np.ndarray:
        if self.exact:
            return super().row_loglike(theta)
        r, alpha, s, beta = theta
        const_x, lse = self._parts(theta)[:2]
        return const_x[self.rows.ix] + (r * np.log(alpha) + s * np.log(beta)) + lse

    def loglike(self, params: np.ndarray) -> float:
        """Σ weight × ℓ without the per-row array of ``loglikeobs`` (the same sum when finite)."""
        if self.exact:
            return LikelihoodBase.loglike(self, params)
        theta = np.exp(np.clip(params, -30, 30))
        r, alpha, s, beta = theta
        const_x, lse = self._parts(theta)[:2]
        g = self._grid
        total = float(
            np.sum(self._weight_per_x * const_x) + g.n * (r * np.log(alpha) + s * np.log(beta))
            + np.sum(g.w * lse)
        )  # fmt: skip
        return total if np.isfinite(total) else LikelihoodBase.loglike(self, params)

    def _total_score(self, theta: np.ndarray) -> np.ndarray:
        if self.exact:
            return super()._total_score(theta)
        return self._fast_total_score(theta)

    def _fast_total_score(self, theta: np.ndarray) -> np.ndarray:
        """The ∂ ln J terms are per (x, t) pair, so each pair's coefficient is summed over its
        rows (``bincount``) and the pairs' gradients are never gathered to rows; the terms in
        T alone are per distinct T, from the rows' weights summed per T. No long ``np.dot``:
        it wakes BLAS's threads for a 290 k-element sum."""
        r, alpha, s, beta = theta
        rows: Rows = self.rows
        g, pairs = self._grid, self._pairs
        _, _, w2, gone, la_T, lb_T, pair_lj = self._parts(theta)
        # d ln(J1 − J2) = g1 + (g1 − g2) / (e^(ln J1 − ln J2) − 1), free of cancellation;
        # weighted by w2, and 0 where that branch is absent (t_x = T: w2 = 0)
        near = g.w * w2
        far = np.divide(near * (1.0 - gone), gone, out=np.zeros_like(near), where=near > 0)
        total = np.zeros(4)
        grads = _both(*(partial(self._log_j_gradients, theta, i, pair_lj[i]) for i in (0, 1)))
        for i, coefficient in enumerate((near + far, -far)):
            first, inverse = pairs[i]
            by_pair = np.bincount(inverse, weights=coefficient, minlength=first.size)
            total[[1, 3, 0, 2]] += np.sum(grads[i] * by_pair, axis=1)
        w1_T = g.w_T - np.bincount(g.iT, weights=near, minlength=g.uT.size)
        w1x_T = g.wx_T - np.bincount(g.iT, weights=near * rows.x, minlength=g.uT.size)
        n = g.n
        total[0] += np.sum((digamma(r + rows.ux) - digamma(r)) * self._weight_per_x)
        total[0] += np.log(alpha) * n - np.sum(w1_T * la_T)
        total[1] += r / alpha * n - np.sum((r * w1_T + w1x_T) / (alpha + g.uT))
        total[2] += np.log(beta) * n - np.sum(w1_T * lb_T) + np.sum(near) / s
        total[3] += s / beta * n - np.sum(s * w1_T / (beta + g.uT))
        return total


@dataclass(frozen=True)
class _Grid:
    """The rows' distinct T (each row's index, weight totals per T) and which rows have the
    "died between t_x and T" branch (t_x < T): parameter-free, built once per likelihood."""

    w: np.ndarray  # row weights
    n: float  # customers
    uT: np.ndarray
    iT: np.ndarray
    w_T: np.ndarray  # weight per distinct T
    wx_T: np.ndarray  # Σ weight × x per distinct T
    alive: np.ndarray  # t_x < T

    @classmethod
    def of(cls, rows: Rows) -> _Grid:
        uT, iT = np.unique(rows.T, return_inverse=True)
        iT = iT.ravel()
        w = np.asarray(rows.weight, dtype=float)
        return cls(
            w=w, n=float(np.sum(w)), uT=uT, iT=iT,
            w_T=np.bincount(iT, weights=w, minlength=uT.size),
            wx_T=np.bincount(iT, weights=w * rows.x, minlength=uT.size),
            alive=(rows.T - rows.t_x) > 1e-12,
        )  # fmt: skip


def start_curvature(rows: Rows, params: np.ndarray) -> np.ndarray | None:
    """An estimate of (−∇² loglike)⁻¹ at ``params`` (log scale, the whole shop), or None.

    From about CURVATURE_SAMPLE customers kept at random (each row's count thinned
    binomially, a fixed seed): the information is a sum over customers, so the sample's
    scaled by 1/fraction estimates the shop's to within a percent or so — plenty for a first
    guess that BFGS then corrects. None where it is not positive definite (a start far from
    any optimum) and for shops under 2 × CURVATURE_SAMPLE customers, whose evaluations are
    cheap (the choice's sample among them, fitted from the default starts where the
    curvature is rarely usable): BFGS then starts from the identity as before.
    """
    n = float(np.sum(rows.weight))
    if n < 2 * CURVATURE_SAMPLE:
        return None
    sample = _thinned(rows, CURVATURE_SAMPLE / n)
    if sample is None:
        return None
    fraction = CURVATURE_SAMPLE / n
    with np.errstate(all="ignore"):
        info = -Likelihood(sample).hessian(params) / fraction
    if not np.all(np.isfinite(info)):
        return None
    values, vectors = np.linalg.eigh(info)
    if values.min() <= 0:
        return None
    inverse = (vectors / values) @ vectors.T
    return (inverse + inverse.T) / 2.0  # exactly symmetric, as scipy's check requires


def _thinned(rows: Rows, fraction: float) -> Rows | None:
    """Each customer kept with probability ``fraction`` (fixed seed), as collapsed rows."""
    kept = np.random.default_rng(0).binomial(rows.weight.astype(np.int64), fraction)
    on = kept > 0
    if int(np.sum(rows.x[on] > 0)) < 2:
        return None
    ux, ix = np.unique(rows.x[on], return_inverse=True)
    return Rows(x=rows.x[on], t_x=rows.t_x[on], T=rows.T[on], weight=kept[on].astype(float),
                ux=ux, ix=ix.ravel())  # fmt: skip
