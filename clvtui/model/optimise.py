"""The optimiser run behind every fit: BFGS, stopped when a parameter runs away.

Why its own module: on data that put a model on the edge of its parameter space (no visible
dropout, customers who all buy or spend alike) the likelihood is flat along the runaway
direction and BFGS crawls toward infinity for hundreds of iterations — minutes for Pareto/NBD,
whose every step integrates. Stopping there, then finishing the parameters that did settle,
gives the same fit in seconds; ``boundary.settle`` decides what it means.
"""

from __future__ import annotations

import warnings as warnings_module
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from clvtui.model.base import LikelihoodBase

RUNAWAY_LOG = float(np.log(1e6))  # |ln θ| at which the optimiser is stopped


class _RanAway(Exception):
    """Raised from the optimiser's callback when a parameter leaves the plausible range."""

    def __init__(self, params: np.ndarray) -> None:
        super().__init__("a parameter ran to the edge of its range")
        self.params = params


def optimise(
    likelihood: LikelihoodBase, start: np.ndarray
) -> tuple[np.ndarray, float, np.ndarray | None]:
    """BFGS from ``start``: the log-parameters, the log-likelihood and −H⁻¹ (None if absent).

    Stopped once a log-parameter passes ±RUNAWAY_LOG: the likelihood is then flat along that
    direction (the other parameters have long settled) and every further step is a slow
    crawl towards infinity that changes the fit by nothing — minutes for Pareto/NBD on a shop
    with no visible dropout. ``boundary.settle`` takes the fit from there.
    """

    def stop_at_edge(xk: np.ndarray) -> None:
        if np.any(np.abs(xk) > RUNAWAY_LOG):
            raise _RanAway(np.array(xk, dtype=float))

    try:
        with warnings_module.catch_warnings():
            warnings_module.simplefilter("ignore")  # convergence is judged by the caller
            res = likelihood.fit(
                start_params=start,
                method="bfgs",
                maxiter=500,
                gtol=1e-7,
                disp=0,
                callback=stop_at_edge,
            )
    except _RanAway as edge:
        params = _polish(likelihood, edge.params, _runaway_with_partners(likelihood, edge.params))
        return params, likelihood.loglike(params), None
    # statsmodels already inverted −Hessian (our ``hessian``) at the optimum: reuse it
    cov = getattr(res, "normalized_cov_params", None)
    return np.asarray(res.params), float(res.llf), None if cov is None else np.asarray(cov, float)


# shape/scale pairs that run away together (their ratio stays identified)
PARTNERS = (("r", "alpha"), ("a", "b"), ("s", "beta"), ("q", "gamma"))


def _runaway_with_partners(likelihood: LikelihoodBase, params: np.ndarray) -> np.ndarray:
    """Parameters past ±RUNAWAY_LOG, and their shape/scale partners: held in the finish."""
    names = likelihood.names
    held = np.abs(params) > RUNAWAY_LOG
    for a, b in PARTNERS:
        if a in names and b in names:
            i, j = names.index(a), names.index(b)
            held[i] = held[j] = bool(held[i] or held[j])
    return held


def _polish(likelihood: LikelihoodBase, params: np.ndarray, fixed: np.ndarray) -> np.ndarray:
    """Finish the optimisation of the parameters that did not run away, the others held
    (nothing to do when every parameter is held)."""
    from scipy.optimize import minimize

    free = ~fixed
    if not free.any():
        return params

    def full(z: np.ndarray) -> np.ndarray:
        out = params.copy()
        out[free] = z
        return out

    def stop_at_edge(z: np.ndarray) -> None:  # another one running away: as good as it gets
        if np.any(np.abs(z) > RUNAWAY_LOG):
            raise _RanAway(full(np.array(z, dtype=float)))

    try:
        with warnings_module.catch_warnings():
            warnings_module.simplefilter("ignore")
            res = minimize(
                lambda z: -likelihood.loglike(full(z)),
                params[free],
                jac=lambda z: -likelihood.score(full(z))[free],
                method="BFGS",
                options={"gtol": 1e-7, "maxiter": 60},  # a finish, not a second fit
                callback=stop_at_edge,
            )
    except _RanAway as edge:
        return edge.params
    return full(res.x) if np.all(np.isfinite(res.x)) else params
