"""The customer-equity draws' P(alive) sums as a Taylor series in the parameter draws.

Why: each equity draw s (``intervals.equity_draws``) needs, per distinct (x, T) pair,
Σ_rows w_r σ(z_r + g_r·δ_s) — one sigmoid per row and draw, 58 M of them at a million customers
(290 k rows × 200 draws), ~0.3 s of tanh. At that size the draws lie close to the estimate
(|g·δ| ≲ 0.06) and

    σ(z + u) = σ(z) + σ'(z) u + σ''(z) u²/2 + σ'''(z) u³/6 + R,   |R| ≤ max|σ''''| u⁴ / 24,

so the sum over a pair's rows is a cubic polynomial in δ_s whose 35 coefficients (k = 4
parameters) are sums over the rows, taken once; the draws are then one small dense product.
A row whose largest |g·δ_s| could give |R| > SERIES_TOL keeps the exact sigmoid. SERIES_TOL
bounds the change of each draw's total by SERIES_TOL × Σ_customers |value| × E[orders | alive]
(≈ $0.15 on the 1 M-customer demo's $7 M equity; in practice cents): far below the 90 % band's
own Monte-Carlo noise, and below its float32 round-off before.
"""

from __future__ import annotations

import math
from itertools import combinations_with_replacement

import numpy as np

SERIES_AT = 50_000  # rows from which the series is used; smaller shops keep the exact sums
SERIES_TOL = 1e-8  # the largest error of one row's σ the series may make
_SIGMA4_MAX = 0.1277  # max |σ''''| over the real line (0.12768…, on a fine grid), rounded up
U_MAX = (24.0 * SERIES_TOL / _SIGMA4_MAX) ** 0.25  # |g·δ| up to which the cubic is within tol
_BLOCK = 8192  # rows per block of the coefficient sums (≤ 18 MB of monomials at a time)


def near_rows(link: dict) -> np.ndarray:
    """Rows whose |g·δ_s| stays ≤ U_MAX for every draw s (P(alive) = 1 rows always: σ ≡ 1).

    The bound is Cauchy–Schwarz in the draws' own metric: with M the draws' second moment and
    ρ² = max_s δ_sᵀ M⁺ δ_s, |g·δ_s| ≤ ρ √(gᵀ M g) — within ~1.5× of the true maximum, where the
    plain ‖g‖·‖δ‖ was 4× off. Any part of a draw outside M's range (round-off of the
    parameters held fixed) is added as ‖g‖ × its largest norm.
    """
    delta, g = link["delta"], link["g_pa"]
    if not len(delta):
        return link["pa"] >= 1.0
    moment = delta.T @ delta / max(len(delta), 1)
    inverse = np.linalg.pinv(moment)
    rho = math.sqrt(max(float(np.max(np.einsum("si,ij,sj->s", delta, inverse, delta))), 0.0))
    outside = float(np.max(np.linalg.norm(delta - delta @ inverse @ moment, axis=1)))
    # gᵀ M g and ‖g‖² per row, k² passes over the rows (einsum's loop was 5× slower and a
    # matrix product of this shape wakes OpenBLAS's second thread: see ``_one_thread``)
    g_cols = g.T.copy()
    quad, norm2 = np.zeros(len(g)), np.zeros(len(g))
    for i in range(len(g_cols)):
        norm2 += g_cols[i] * g_cols[i]
        for j in range(len(g_cols)):
            quad += moment[i, j] * g_cols[i] * g_cols[j]
    bound = rho * np.sqrt(np.maximum(quad, 0.0)) + outside * np.sqrt(norm2)
    return (bound <= U_MAX) | (link["pa"] >= 1.0)


def pair_sums(link: dict, weights: list[np.ndarray], near: np.ndarray) -> np.ndarray:
    """Σ over each pair's near rows of w_r σ(z_r + g_r·δ_s), per weight: n_w × pairs × draws."""
    delta = link["delta"]
    k = delta.shape[1]
    coef = _coefficients(link, weights, near, k)  # (n_w · pairs) × monomials
    powers = np.column_stack(
        [np.ones(len(delta))]
        + [_products(delta, alpha) / _factorials(alpha) for alpha in _monomials(k)[1:]]
    )
    n_pair = len(link["base_disc"])
    out = _one_thread(coef, powers.T.copy(), np.empty((len(coef), len(delta))))
    return out.reshape(len(weights), n_pair, len(delta))


def _one_thread(a: np.ndarray, b: np.ndarray, out: np.ndarray) -> np.ndarray:
    """a @ b into ``out`` in blocks of rows small enough (m·n·k ≤ 2^18) that OpenBLAS computes
    each on the calling thread: its second thread spin-waits for a core the fit's other work
    is using (as ``intervals._affine`` found), which cost several times the product."""
    rows = max(1, 2**18 // (b.shape[0] * b.shape[1]))
    for lo in range(0, len(a), rows):
        np.matmul(a[lo : lo + rows], b, out=out[lo : lo + rows])
    return out


def _monomials(k: int) -> list[tuple[int, ...]]:
    """The exponent tuples of the cubic in k variables, by degree: (), (i,), (i, j), (i, j, l)
    with i ≤ j ≤ l."""
    return [alpha for j in range(4) for alpha in combinations_with_replacement(range(k), j)]


def _factorials(alpha: tuple[int, ...]) -> float:
    """Π α_i!: σ⁽ʲ⁾ (g·δ)ʲ / j! = σ⁽ʲ⁾ Σ_|α|=j g^α δ^α / Π α_i! (the multinomial expansion)."""
    return float(math.prod(math.factorial(alpha.count(i)) for i in set(alpha)))


def _products(values: np.ndarray, alpha: tuple[int, ...]) -> np.ndarray:
    """Π_i values[:, i] over the indices of α."""
    return np.prod(values[:, list(alpha)], axis=1)


def _coefficients(link: dict, weights: list[np.ndarray], near: np.ndarray, k: int) -> np.ndarray:
    """Per (weight, pair) and monomial δ^α: Σ_rows w_r σ⁽ʲ⁾(z_r) g_r^α (j = |α|; the factorials
    go with the draws' powers). Rows gathered once in pair order, then in blocks that stay in
    cache, monomials × rows so that every product and every pair's segment sum (``reduceat``)
    runs along contiguous memory (a rows × monomials layout, or a sparse product, took 3–4×
    as long)."""
    pinv = link["pinv"]
    rows = np.flatnonzero(near)
    n_pair, n_w = len(link["base_disc"]), len(weights)
    key = pinv[rows].astype(np.int16) if n_pair < 2**15 else pinv[rows]
    rows = rows[np.argsort(key, kind="stable")]  # a radix sort for 16-bit keys
    pair, g = pinv[rows], link["g_pa"][rows].T.copy()  # g: k × rows
    derivative = _derivatives(link["pa"][rows])
    scaled = [[w[rows] * d for d in derivative] for w in weights]  # w σ⁽ʲ⁾ per weight, degree
    monomials = _monomials(k)
    lower = [monomials.index(alpha[:-1]) if len(alpha) > 1 else -1 for alpha in monomials]
    ends = np.cumsum([math.comb(k + j - 1, j) for j in range(4)])  # monomials listed by degree
    degrees = [slice(int(end) - math.comb(k + j - 1, j), int(end)) for j, end in enumerate(ends)]
    out = np.zeros((n_w, len(monomials), n_pair))
    features = np.empty((len(monomials), _BLOCK))
    weighted = np.empty((len(monomials), _BLOCK))
    for lo in range(0, len(rows), _BLOCK):
        hi = min(lo + _BLOCK, len(rows))
        f, fw = features[:, : hi - lo], weighted[:, : hi - lo]
        f[0] = 1.0
        f[1 : k + 1] = g[:, lo:hi]
        for col in range(k + 1, len(monomials)):  # one degree less (listed before) × one g
            np.multiply(f[lower[col]], g[monomials[col][-1], lo:hi], out=f[col])
        starts = np.flatnonzero(np.diff(pair[lo:hi], prepend=-1))
        for i in range(n_w):
            for j, sl in enumerate(degrees):
                np.multiply(f[sl], scaled[i][j][lo:hi], out=fw[sl])
            out[i][:, pair[lo + starts]] += np.add.reduceat(fw, starts, axis=1)
    return out.transpose(0, 2, 1).reshape(n_w * n_pair, len(monomials))


def _derivatives(pa: np.ndarray) -> tuple[np.ndarray, ...]:
    """σ, σ', σ'', σ''' at z = logit P(alive), from σ = P(alive) (clipped as ``logit`` is;
    1 with no slope where P(alive) = 1, as the exact sums have it)."""
    s = np.clip(pa, 1e-15, 1.0 - 1e-15)
    s[pa >= 1.0] = 1.0
    s1 = s * (1.0 - s)
    return s, s1, s1 * (1.0 - 2.0 * s), s1 * (1.0 - 6.0 * s + 6.0 * s * s)
