"""P(at least one order in the next t weeks | x, t_x, T): the number owners read most easily.

Every model answers the same question — will this customer order again within 30 (or 90) days
of the as-of date? — from its own story, conditioned on what the customer did so far. While alive,
purchases are Poisson(λ) and, given the customer's history and that they are alive at T,
λ ~ Gamma(r + x, α + T) (the usual conjugate update), so the chance of *no* purchase in t weeks
while alive is E[e^(−λt)] = ((α+T)/(α+T+t))^(r+x).

- BG/NBD, MBG/NBD: dropout can only happen right after a purchase, so a customer alive at T who
  does not buy stays alive through the window:
      P(no order) = 1 − P(alive) + P(alive) · ((α+T)/(α+T+t))^(r+x).
- NBD (nobody leaves): P(no order) = ((α+T)/(α+T+t))^(r+x).
- Pareto/NBD: death can come inside the window. Given alive at T, λ ~ Gamma(r+x, α+T) and
  μ ~ Gamma(s, β+T) independently (the likelihood of "alive at T" is λ^x e^(−λT) e^(−μT)). With
  lifetime left τ ~ Exp(μ) (memoryless), a purchase happens in (T, T+t] iff the first purchase
  time u ~ Exp(λ) comes before min(τ, t):
      P(order | λ, μ) = ∫_0^t λ e^(−(λ+μ)u) du
      P(order | alive) = ∫_0^t E[λ e^(−λu)] · E[e^(−μu)] du
                       = ∫_0^W ((β+T)/(β+T+u(w)))^s dw,
  substituting w = 1 − ((α+T)/(α+T+u))^(r+x) (the Lomax CDF, whose density is exactly the first
  factor), W = w(t), u(w) = (α+T)((1−w)^(−1/(r+x)) − 1). The integrand lies in (0, 1] and is
  smooth, so a 48-point Gauss–Legendre rule is accurate to ~1e-10; s → 0 gives back the NBD.
  Checked against a simulation in ``tests/model/test_next_order.py``.
- empirical (too little data for a model): the shrunk weekly rate ρ_i = (x_i + ρ·k)/(T_i + k) of
  ``choose.empirical`` and its P(still buying) p_i = e^(−ρ_i (T − t_x)):
      P(order) = p_i · (1 − e^(−ρ_i t)),   theta = (ρ,) the shop-wide repeat rate.
"""

from __future__ import annotations

import numpy as np

DAYS_30 = 30.0 / 7.0
DAYS_90 = 90.0 / 7.0
EMPIRICAL_PRIOR_WEEKS = 26.0  # k of choose.empirical
_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(48)


def p_order_within(
    model_name: str,
    theta: np.ndarray | list[float],
    x: np.ndarray,
    t_x: np.ndarray,
    T: np.ndarray,
    t_weeks: float,
    p_alive: np.ndarray | None = None,
    pairs: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """P(at least one purchase in (T, T + t_weeks]) per customer, in [0, 1].

    ``p_alive``: the model's P(alive) of these customers, when known (the predictions have it);
    ``pairs``: the first index and inverse of their distinct (x, T) (``distinct_pairs``)."""
    theta = np.asarray(theta, dtype=float)
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    if t_weeks <= 0:
        return np.zeros(x.shape)
    if model_name == "empirical":
        rho = float(theta[0])
        k = EMPIRICAL_PRIOR_WEEKS
        rate = (x + rho * k) / (T + k)
        out = np.exp(-rate * (T - t_x)) * -np.expm1(-rate * t_weeks)
    elif model_name == "nbd":
        out = -np.expm1(_log_silent_alive(theta, x, T, t_weeks))
    elif model_name in ("bgnbd", "mbgnbd"):
        from clvtui.model.registry import module_for

        pa = module_for(model_name).p_alive(theta, x, t_x, T) if p_alive is None else p_alive
        out = pa * -np.expm1(_log_silent_alive(theta, x, T, t_weeks))
    elif model_name == "paretonbd":
        from clvtui.model import paretonbd

        pa = paretonbd.p_alive(theta, x, t_x, T) if p_alive is None else p_alive
        out = pa * _pareto_order_if_alive(theta, x, T, t_weeks, pairs)
    else:
        from clvtui.errors import ModelError

        raise ModelError(f"no next-order probability for model {model_name!r}")
    return np.clip(np.nan_to_num(out, nan=0.0), 0.0, 1.0)


def _log_silent_alive(theta: np.ndarray, x: np.ndarray, T: np.ndarray, t: float) -> np.ndarray:
    """ln E[e^(−λt)] for λ ~ Gamma(r + x, α + T): ln P(no purchase in t | alive throughout)."""
    r, alpha = theta[0], theta[1]
    return -(r + x) * np.log1p(t / (alpha + T))


def p_orders_within(
    model_name: str, theta: np.ndarray | list[float], x: np.ndarray, t_x: np.ndarray,
    T: np.ndarray, horizons: list[float], p_alive: np.ndarray | None = None,
) -> list[np.ndarray]:  # fmt: skip
    """``p_order_within`` at several horizons (weeks), with Pareto/NBD's distinct (x, T) found
    once for all of them (a sort of the rows each time otherwise)."""
    x, T = np.asarray(x, dtype=float), np.asarray(T, dtype=float)
    pairs = distinct_pairs(x, T) if model_name == "paretonbd" else None
    return [p_order_within(model_name, theta, x, t_x, T, t, p_alive, pairs) for t in horizons]


def distinct_pairs(x: np.ndarray, T: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The first index and the inverse of the customers' distinct (x, T)."""
    from clvtui.model.base import row_key

    whole = x.size == 0 or bool(np.all(x == np.rint(x)) and x.min() >= 0)
    key = (
        row_key(x.astype(np.int64), T)
        if whole
        else np.unique(np.stack([x, T], axis=1), axis=0, return_inverse=True)[1].ravel()
    )
    _, first, inv = np.unique(key, return_index=True, return_inverse=True)
    return first, inv.ravel()


def _pareto_order_if_alive(
    theta: np.ndarray, x: np.ndarray, T: np.ndarray, t: float,
    pairs: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:  # fmt: skip
    """∫_0^W ((β+T)/(β+T+u(w)))^s dw per customer (module docstring), once per distinct (x, T)."""
    r, alpha, s, beta = theta
    first, inv = pairs if pairs is not None else distinct_pairs(x, T)
    ux, uT = x[first], T[first]
    shape, scale = r + ux, alpha + uT
    big_w = -np.expm1(-shape * np.log1p(t / scale))  # W = w(t)
    # nodes on [0, W]: w = W (1 + z) / 2
    w = big_w[:, None] * (1.0 + _NODES[None, :]) / 2.0
    with np.errstate(divide="ignore", over="ignore"):
        u = scale[:, None] * np.expm1(-np.log1p(-w) / shape[:, None])
    u = np.minimum(u, t)  # round-off at w = W
    f = np.exp(-s * np.log1p(u / (beta + uT)[:, None]))
    val = big_w / 2.0 * (f @ _WEIGHTS)
    return val[inv]
