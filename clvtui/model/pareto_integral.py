"""Pareto/NBD's integral J(t) = ∫_t^∞ (α+τ)^−p (β+τ)^−q dτ and its gradient, per distinct pair.

Why a module of its own: J is the one hard part of the likelihood (its ₂F₁ form, the
quadrature where that form is slow, the gradient through both); ``model.paretonbd`` sums the
likelihood, its score and the predictions from it. See that module's docstring for the maths.
"""

from __future__ import annotations

import numpy as np

from clvtui.model.special import log_hyp2f1, log_power_integral

Z_SERIES = 0.9  # ₂F₁ argument up to which scipy's series is fast and exact
_STEP = 1e-5  # central-difference step in p and q: error ~1e-10 (truncation), ~1e-9 (rounding)


def log_j(
    p: np.ndarray, q: float | np.ndarray, alpha: float, beta: float, t: np.ndarray
) -> np.ndarray:
    """ln J(t) = ln ∫_t^∞ (α+τ)^−p (β+τ)^−q dτ, for p > 0, q > 1 (see the module docstring).

    The ₂F₁ form where its argument z = |α−β|/(max(α,β)+t) ≤ Z_SERIES (scipy sums it in
    microseconds); beyond, and wherever it fails, the integral itself by bounded quadrature
    (``special.log_power_integral``): near z = 1 — β running away in a shop with no visible
    dropout, or an as-of long after the last order — scipy needs milliseconds per value and
    the series thousands of terms, which made fits take minutes.
    """
    return log_j_parts(p, q, alpha, beta, t)[0]


def log_j_parts(
    p: np.ndarray, q: float | np.ndarray, alpha: float, beta: float, t: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ln J, which elements came from quadrature, and their gradient (4 × those elements).

    The quadrature gives d ln J / d(α, β, p, q) from the same nodes as means under the
    normalised integrand: −p·E[1/(α+τ)], −q·E[1/(β+τ)], −E[ln(α+τ)], −E[ln(β+τ)].
    """
    p, t = np.broadcast_arrays(np.asarray(p, dtype=float), np.asarray(t, dtype=float))
    q = np.broadcast_to(np.asarray(q, dtype=float), p.shape)
    n = p + q - 1.0
    top, second = (alpha, q) if alpha >= beta else (beta, p)
    z = abs(alpha - beta) / (top + t)
    out = np.full(p.shape, np.nan)
    series = z <= Z_SERIES
    if series.any():
        out[series] = (
            log_hyp2f1(n[series], second[series], n[series] + 1.0, z[series])
            - n[series] * np.log(top + t[series])
            - np.log(n[series])
        )
    quad = ~np.isfinite(out)
    grads = np.empty((4, 0))
    if quad.any():
        pq, qq = p[quad], q[quad]
        e_c, e_m = (pq, qq) if alpha <= beta else (qq, pq)
        out[quad], (m_lc, m_lm, m_ic, m_im) = log_power_integral(
            e_c, e_m, min(alpha, beta), abs(alpha - beta), t[quad], moments=True
        )
        # (α+τ) is the "c" (smaller) term when α ≤ β, else the other one
        log_a, log_b, inv_a, inv_b = (
            (m_lc, m_lm, m_ic, m_im) if alpha <= beta else (m_lm, m_lc, m_im, m_ic)
        )
        grads = np.stack([-pq * inv_a, -qq * inv_b, -log_a, -log_b])
    return out, quad, grads


def log_j_gradients(
    p: np.ndarray,
    q: float,
    alpha: float,
    beta: float,
    t: np.ndarray,
    parts: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> np.ndarray:
    """d ln J / d(α, β, p, q) (4 × elements), ``parts`` = ``log_j_parts`` at the same point.

    Where ln J comes from the ₂F₁: ∂/∂α = −p J(p+1, q)/J and ∂/∂β = −q J(p, q+1)/J, and central
    differences in p and q (the shifted J use the same route: z does not depend on p, q). Where
    it came from quadrature, the gradient that came with it.
    """
    base, quad, quad_grads = parts
    p, t = np.broadcast_arrays(np.asarray(p, dtype=float), np.asarray(t, dtype=float))
    out = np.empty((4, p.size))
    out[:, quad] = quad_grads
    ser = ~quad
    if ser.any():
        ps, ts, bs = p[ser], t[ser], base[ser]

        def shifted(dp: float, dq: float) -> np.ndarray:
            return log_j(ps + dp, q + dq, alpha, beta, ts)

        out[:, ser] = np.stack([
            -ps * np.exp(shifted(1.0, 0.0) - bs),  # ∂/∂α = −p J(p+1, q) / J
            -q * np.exp(shifted(0.0, 1.0) - bs),  # ∂/∂β = −q J(p, q+1) / J
            (shifted(_STEP, 0.0) - shifted(-_STEP, 0.0)) / (2 * _STEP),  # ∂/∂p
            (shifted(0.0, _STEP) - shifted(0.0, -_STEP)) / (2 * _STEP),  # ∂/∂q
        ])  # fmt: skip
    return out
