"""Cox proportional hazards, Breslow ties: the repurchase-hazard model of ``clvtui profile``.

statsmodels' ``PHReg`` fits the same model, but importing it pulls in pandas, SciPy's stats
and formulaic (1–2 s of CPU, ~200 MB: half of ``profile`` at a million customers) for a fit
on a 10,000-customer sample that numpy does in milliseconds. The fit here follows PHReg's
own (``ties="breslow"``, Newton–Raphson from zero on the per-observation log-likelihood with
its 1e-10 ridge, stopping when no coefficient moves by more than 1e-8, covariance the inverse
of the negative Hessian), so the estimates agree with it to rounding; the tests check it
against PHReg on data sets with ties and censoring.

The risk-set sums are cumulative sums over the rows sorted by time, longest first: the risk
set of time t is every row with a time ≥ t, a prefix of that order. The Hessian's
Σ_t d_t·S2(t)/S0(t) is Xᵀ·diag(e·W)·X with W_j the running Σ d_t/S0(t) over the event times
up to row j's own — no per-time p × p matrices.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

TOL = 1e-8  # statsmodels' Newton tolerance: the largest coefficient change that stops it
RIDGE = 1e-10  # statsmodels' Newton ridge on the (per-observation) Hessian's diagonal
MAX_ITER = 100


@dataclass(frozen=True)
class CoxFit:
    params: np.ndarray  # log hazard ratios, one per exog column
    bse: np.ndarray  # their standard errors (nan where the Hessian gives none)
    converged: bool


@dataclass(frozen=True)
class _RiskSets:
    """The rows sorted by time, longest first, and where each distinct time's risk set ends."""

    exog: np.ndarray  # rows in that order
    event_rows: np.ndarray  # exog rows (in that order) that are events
    ends: np.ndarray  # per distinct time, longest first: last row index of its risk set
    deaths: np.ndarray  # per distinct time: events at it
    time_of_row: np.ndarray  # per row: its distinct time's index


def _risk_sets(durations: np.ndarray, events: np.ndarray, exog: np.ndarray) -> _RiskSets:
    order = np.argsort(-durations, kind="stable")
    t, d = durations[order], events[order]
    new = np.concatenate(([True], t[1:] != t[:-1]))
    time_of_row = np.cumsum(new) - 1
    ends = np.append(np.flatnonzero(new)[1:], len(t)) - 1
    deaths = np.bincount(time_of_row, weights=d, minlength=len(ends))
    x = exog[order]
    return _RiskSets(x, x[d > 0], ends, deaths, time_of_row)


def _score_hessian(rs: _RiskSets, params: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Gradient and Hessian of the Breslow log partial likelihood at ``params``."""
    lin = rs.exog @ params
    e = np.exp(lin - lin.max())  # the shift cancels in every ratio below
    s0 = np.cumsum(e)[rs.ends]
    s1 = np.cumsum(e[:, None] * rs.exog, axis=0)[rs.ends]
    failing = rs.deaths > 0
    mean = s1[failing] / s0[failing, None]  # the risk set's e-weighted mean exog
    d = rs.deaths[failing]
    score = rs.event_rows.sum(axis=0) - d @ mean
    # W per distinct time: Σ d_t / S0(t) over event times t up to it (shortest first)
    w = np.where(failing, rs.deaths / s0, 0.0)
    weight = (np.cumsum(w[::-1])[::-1])[rs.time_of_row] * e
    info = (rs.exog * weight[:, None]).T @ rs.exog - (mean * d[:, None]).T @ mean
    return score, -info


def fit_breslow(durations: np.ndarray, events: np.ndarray, exog: np.ndarray) -> CoxFit:
    """Fit the Cox model of ``durations`` (events 1, censored 0) on ``exog`` (no intercept).

    Raises ``numpy.linalg.LinAlgError`` when a Newton step's Hessian is singular, as PHReg
    does."""
    x = np.asarray(exog, float)
    rs = _risk_sets(np.asarray(durations, float), np.asarray(events, float), x)
    n, p = x.shape
    params, previous = np.zeros(p), np.full(p, np.inf)
    iterations = 0
    while iterations < MAX_ITER and np.any(np.abs(params - previous) > TOL):
        score, hessian = _score_hessian(rs, params)
        step_matrix = -hessian / n
        step_matrix[np.diag_indices(p)] += RIDGE
        previous = params
        params = previous + np.linalg.solve(step_matrix, score / n)
        iterations += 1
    _, hessian = _score_hessian(rs, params)
    cov = np.linalg.inv(-hessian / n) / n  # as statsmodels scales it
    with np.errstate(invalid="ignore"):
        bse = np.sqrt(np.diag(cov))
    return CoxFit(params, bse, iterations < MAX_ITER)
