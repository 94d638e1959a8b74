"""E[Y(t) | alive at T, x] of each purchase model — the shape of a customer's future orders —
with numpy and scipy.special only.

Why a module of its own: forecasting the existing customers (the cohort table, the revenue
planner) needs this one formula per model and the parameter names, not the fitting machinery;
``model.base`` subclasses statsmodels' likelihood model, whose import alone takes about a second
of a command that should take two. The model modules re-export these functions, so the maths
has one home.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from clvtui.model.special import jacobi_beta_nodes, log_hyp2f1

#: Each model's natural-scale parameters, in the order of its ``theta`` vector.
PARAMETERS = {
    "bgnbd": ("r", "alpha", "a", "b"),
    "mbgnbd": ("r", "alpha", "a", "b"),
    "paretonbd": ("r", "alpha", "s", "beta"),
    "nbd": ("r", "alpha"),
}

AliveExpected = Callable[[np.ndarray, np.ndarray, np.ndarray, float], np.ndarray]


def theta_of(name: str, params: dict[str, float | None]) -> np.ndarray | None:
    """A stored fit's parameters as model ``name``'s vector, or None when the model has no
    formula (the empirical estimate) or a parameter is missing or was not computable."""
    names = PARAMETERS.get(name)
    if names is None:
        return None
    values = [params.get(n) for n in names]
    if any(v is None for v in values):
        return None
    theta = np.array(values, dtype=float)
    return theta if np.all(np.isfinite(theta)) else None


def bgnbd(theta: np.ndarray, x: np.ndarray, T: np.ndarray, t: float) -> np.ndarray:
    """E[Y(t) | alive at T, x]: eq. (10) without its P(alive) factor; depends on (x, T) only.

    Written with Euler's transformation so the ₂F₁ has small parameters:
    (1−z)^(r+x) ₂F₁(r+x, b+x; a+b+x−1; z) = (1−z)^(a−1) ₂F₁(a+b−1−r, a−1; a+b+x−1; z),
    z = t/(α+T+t). Where the closed form cannot hold (a + b + x − 1 ≤ 0, the a + b ≤ 1 trap,
    or a ≈ 1) the expectation is integrated over the dropout probability instead.
    """
    r, alpha, a, b = theta
    return bgnbd_terms(r, alpha, a, b, np.asarray(x, float), np.asarray(T, float), t)


def bgnbd_terms(
    r: float, alpha: float, a: float, b: float, x: np.ndarray, T: np.ndarray, t: float
) -> np.ndarray:
    """:func:`bgnbd` with the parameters apart (MBG/NBD passes b + 1)."""
    x, T = np.broadcast_arrays(x, T)
    if t <= 0:
        return np.zeros(x.shape)
    z = t / (alpha + T + t)
    c = a + b + x - 1.0
    out = np.full(x.shape, np.nan)
    closed = (c > 0) & (abs(a - 1.0) > 1e-4)
    if closed.any():
        lf = log_hyp2f1(a + b - 1.0 - r, a - 1.0, c[closed], z[closed])
        bracket = -np.expm1((a - 1.0) * np.log1p(-z[closed]) + lf)
        out[closed] = c[closed] / (a - 1.0) * bracket
    todo = ~np.isfinite(out) | (out < 0)
    if todo.any():
        out[todo] = bgnbd_quadrature(r, alpha, a, b, x[todo], T[todo], t)
    return out


def bgnbd_quadrature(
    r: float, alpha: float, a: float, b: float, x: np.ndarray, T: np.ndarray, t: float
) -> np.ndarray:
    """E_p[(1/p)(1 − ((α+T)/(α+T+p·t))^(r+x))], p ~ Beta(a, b+x), by Gauss–Jacobi quadrature."""
    out = np.empty(x.shape)
    for xv in np.unique(x):
        sel = x == xv
        p, w = jacobi_beta_nodes(a, b + xv)
        base = (alpha + T[sel])[:, None]
        g = -np.expm1((r + xv) * np.log(base / (base + p[None, :] * t))) / p[None, :]
        out[sel] = np.sum(g * w[None, :], axis=1)
    return out


def mbgnbd(theta: np.ndarray, x: np.ndarray, T: np.ndarray, t: float) -> np.ndarray:
    """BG/NBD's alive term with b + 1 (x + 1 survived coin flips)."""
    r, alpha, a, b = theta
    return bgnbd_terms(r, alpha, a, b + 1.0, np.asarray(x, float), np.asarray(T, float), t)


def paretonbd(theta: np.ndarray, x: np.ndarray, T: np.ndarray, t: float) -> np.ndarray:
    """(r+x)(β+T)/((α+T)(s−1)) · [1 − ((β+T)/(β+T+t))^(s−1)] (note eq. 24 / P(alive)),
    with the s → 1 limit (r+x)/(α+T)·(β+T)·ln((β+T+t)/(β+T))."""
    r, alpha, s, beta = theta
    x, T = np.asarray(x, float), np.asarray(T, float)
    lr = np.log((beta + T) / (beta + T + t))
    factor = -lr if abs(s - 1.0) < 1e-8 else -np.expm1((s - 1.0) * lr) / (s - 1.0)
    return (r + x) * (beta + T) / (alpha + T) * factor


def nbd(theta: np.ndarray, x: np.ndarray, T: np.ndarray, t: float) -> np.ndarray:
    """E[Y(t) | x, T] = (r+x)·t / (α+T): the posterior mean rate times the horizon."""
    r, alpha = theta
    x, T = np.broadcast_arrays(np.asarray(x, float), np.asarray(T, float))
    return (r + x) * max(float(t), 0.0) / (alpha + T)


#: Each model's E[Y(t) | alive] by name.
FORMULAS: dict[str, AliveExpected] = {
    "bgnbd": bgnbd,
    "mbgnbd": mbgnbd,
    "paretonbd": paretonbd,
    "nbd": nbd,
}
