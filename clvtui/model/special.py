"""Numerically safe special functions for the buy-till-you-die models.

Why a module of its own: the Gauss hypergeometric function ₂F₁ appears in the BG/NBD and MBG/NBD
conditional expectations and in the Pareto/NBD likelihood, and it is where other CLV libraries
return NaN or inf (the "known traps" of the CDNOW README). Everything here works on numpy arrays
and never lets a NaN through silently: a value that cannot be computed by any route stays NaN so
the caller can fall back (to quadrature) or raise a clear ModelError.
"""

from __future__ import annotations

import numpy as np
from scipy.special import gammaln, hyp2f1


def log_hyp2f1(a: np.ndarray, b: np.ndarray, c: np.ndarray, z: np.ndarray) -> np.ndarray:
    """ln ₂F₁(a, b; c; z) for 0 ≤ z < 1 and c > 0, with fallbacks where scipy overflows.

    1. scipy.special.hyp2f1 where it returns a finite positive value;
    2. Euler's transformation ₂F₁(a,b;c;z) = (1−z)^(c−a−b) ₂F₁(c−a, c−b; c; z) (Abramowitz &
       Stegun 15.3.3) evaluated in log space — it tames the large first parameters (r+s+x) of the
       Pareto/NBD likelihood, whose series diverges like (1−z)^(c−a−b);
    3. the power series summed in log space (terms are positive when a, b, c > 0).
    """
    a, b, c, z = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (a, b, c, z)))
    out = np.full(a.shape, np.nan)
    with np.errstate(all="ignore"):
        direct = hyp2f1(a, b, c, z)
        good = np.isfinite(direct) & (direct > 0)
        out[good] = np.log(direct[good])
        bad = ~good
        if bad.any():
            ab, bb, cb, zb = a[bad], b[bad], c[bad], z[bad]
            euler = hyp2f1(cb - ab, cb - bb, cb, zb)
            val = (cb - ab - bb) * np.log1p(-zb) + np.log(euler)
            ok = np.isfinite(val) & (euler > 0)
            sub = out[bad]
            sub[ok] = val[ok]
            if (~ok).any():
                sub[~ok] = _log_series(ab[~ok], bb[~ok], cb[~ok], zb[~ok])
            out[bad] = sub
    return out


def _log_series(a: np.ndarray, b: np.ndarray, c: np.ndarray, z: np.ndarray) -> np.ndarray:
    """ln Σ_n (a)_n (b)_n / ((c)_n n!) zⁿ by log-sum-exp over up to 20 000 terms (a, b, c > 0)."""
    out = np.full(a.shape, np.nan)
    for i in range(a.size):
        ai, bi, ci, zi = a.flat[i], b.flat[i], c.flat[i], z.flat[i]
        if zi == 0.0:
            out.flat[i] = 0.0
            continue
        if min(ai, bi, ci) <= 0 or not 0.0 < zi < 1.0:
            continue
        n = np.arange(20_000, dtype=float)
        terms = (
            gammaln(ai + n) - gammaln(ai) + gammaln(bi + n) - gammaln(bi)
            - gammaln(ci + n) + gammaln(ci) - gammaln(n + 1) + n * np.log(zi)
        )  # fmt: skip
        top = terms.max()
        out.flat[i] = top + np.log(np.sum(np.exp(terms - top)))
    return out


def jacobi_beta_nodes(a: float, b: float, n: int = 48) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights so that Σ w·g(p) ≈ E[g(p)] for p ~ Beta(a, b) (Gauss–Jacobi).

    Used where the closed form of E[Y(t) | alive] has a ₂F₁ with c ≤ 0 (BG/NBD with a + b ≤ 1
    and x = 0) or a pole at a = 1: the expectation is then integrated directly over the dropout
    probability p, which is always well defined.
    """
    from scipy.special import roots_jacobi

    # roots_jacobi's weight is (1−u)^α (1+u)^β on [−1, 1]; with p = (1+u)/2 that is
    # p^β (1−p)^α, so α = b − 1 and β = a − 1.
    u, w = roots_jacobi(n, b - 1.0, a - 1.0)
    p = (1.0 + u) / 2.0
    w = w / w.sum()
    return p, w
