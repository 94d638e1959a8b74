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

import copy
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import cached_property, partial
from typing import Any, ClassVar

import numpy as np
from scipy.special import digamma, gammaln

from clvtui.model.alive import PARAMETERS
from clvtui.model.alive import paretonbd as alive_expected
from clvtui.model.base import (
    LikelihoodBase,
    Rows,
    conditional_expected,
    for_new_customer,
    row_key,
)
from clvtui.model.customer_rows import KeptRows
from clvtui.model.pareto_integral import Z_SERIES as Z_SERIES  # re-exported: the tests' names
from clvtui.model.pareto_integral import log_j as log_j
from clvtui.model.pareto_integral import log_j_gradients, log_j_parts

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


class Likelihood(LikelihoodBase):
    """Note eq. 19 on unique (x, t_x, T) rows, with the gradient described in the docstring."""

    names: ClassVar[tuple[str, ...]] = NAMES
    _cache: tuple[Any, ...]  # arrays, and the pair terms as a list

    def fit(self, start_params: Any = None, method: str = "bfgs", **kwds: Any) -> Any:
        """BFGS started with the curvature at the start (``start_curvature``), not the identity.

        Why: s and β lie on a long ridge; from the identity BFGS walked along it for ~20
        iterations (≈ 50 likelihood and score evaluations at a million customers). With the
        inverse Hessian of a thinned sample of the customers as its first guess it takes a
        handful. The optimum and statsmodels' covariance (−H⁻¹ at the optimum) are the same;
        where no curvature is usable the plain statsmodels BFGS runs.
        """
        inverse = None
        if method == "bfgs" and start_params is not None:
            inverse = start_curvature(self.rows, np.asarray(start_params, dtype=float))
        if inverse is None:
            return super().fit(start_params=start_params, method=method, **kwds)
        return super().fit(start_params=start_params, method="minimize", min_method="BFGS",
                           hess_inv0=inverse * len(self.endog), **kwds)  # fmt: skip

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

        def column(likelihood: Likelihood, k: int) -> np.ndarray:
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


CURVATURE_SAMPLE = 20_000  # customers in the thinned sample whose Hessian starts BFGS


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
    u, w = np.polynomial.legendre.leggauss(nodes)
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
