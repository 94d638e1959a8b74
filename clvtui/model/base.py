"""What every purchase model shares: collapsed rows, the statsmodels fit, restarts, results.

Why collapse: customers with the same (x, t_x, T) contribute identical likelihood terms, so the
fit runs on unique rows with frequency weights (4.6× fewer rows at 1 M customers, day
resolution). Terms that depend on x only (lnΓ, ψ) are evaluated once per distinct x and
gathered, which is where most of the time went.

Why log parameters: every parameter is positive; optimising ln θ keeps it so without bounds, and
standard errors return to the natural scale by the delta method (SE(θ) = θ · SE(ln θ)).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
from statsmodels.base.model import GenericLikelihoodModel
from statsmodels.tools.numdiff import approx_fprime

from clvtui.errors import ModelError

EDGE_LOG = float(np.log(1e4))  # |ln θ| beyond which a parameter has run to the edge of its range
WARM_CURVATURE_FROM = 40_000  # customers from which a warm start's curvature starts BFGS


@dataclass(frozen=True)
class Rows:
    """Unique (x, t_x, T) rows with frequency weights, plus the distinct-x index."""

    x: np.ndarray
    t_x: np.ndarray
    T: np.ndarray
    weight: np.ndarray
    ux: np.ndarray  # distinct x values
    ix: np.ndarray  # x == ux[ix]
    inverse: np.ndarray | None = None  # customer i -> row inverse[i]

    @classmethod
    def collapse(cls, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> Rows:
        """Collapse per-customer arrays (weeks) to unique rows with their counts."""
        x = np.asarray(x, dtype=np.int64)
        key = row_key(x, np.asarray(t_x, float), np.asarray(T, float))
        # not return_index: it forces a stable sort (2× slower at 1 M customers); any customer
        # of a row will do as its representative, as they share (x, t_x, T)
        uniq, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
        inverse = inverse.ravel()
        first = np.empty(len(uniq), dtype=np.int64)
        first[inverse] = np.arange(len(key))
        ux, ix = np.unique(x[first], return_inverse=True)
        return cls(
            x=x[first].astype(float),
            t_x=np.asarray(t_x, float)[first],
            T=np.asarray(T, float)[first],
            weight=counts.astype(float),
            ux=ux.astype(float),
            ix=ix,
            inverse=inverse.ravel(),
        )

    @property
    def n_customers(self) -> int:
        return int(self.weight.sum())


def row_key(x: np.ndarray, *times: np.ndarray) -> np.ndarray:
    """One int64 per (x, times...) so ``np.unique`` sorts integers, not rows (10× faster).

    Day-resolution summaries put every time on a grid of 1/7 week: the key packs x and the day
    counts into 64 bits. Anything else (the every-order summaries of the recovery tests) falls
    back to exact row-wise uniqueness, returned as the inverse index of ``np.unique(axis=0)``.
    """
    days = [np.rint(t * 7.0) for t in times]
    on_grid = all(
        np.allclose(d, t * 7.0, rtol=0, atol=1e-6) for d, t in zip(days, times, strict=True)
    )
    bits = 21
    if (
        on_grid
        and x.size
        and x.max() < 2**bits
        and all(d.size == 0 or (d.min() >= 0 and d.max() < 2**bits) for d in days)
    ):
        key = x.astype(np.int64)
        for d in days:
            key = (key << bits) | d.astype(np.int64)
        return key
    stacked = np.stack([x.astype(float), *times], axis=1)
    _, inverse = np.unique(stacked, axis=0, return_inverse=True)
    return inverse.ravel().astype(np.int64)


class LikelihoodBase(GenericLikelihoodModel):
    """A GenericLikelihoodModel over collapsed rows; subclasses give ``row_loglike``/``row_score``.

    ``loglikeobs`` returns each row's weighted contribution, so statsmodels' ``loglike`` (their
    sum) is the full-sample log-likelihood and its Hessian the full-sample information.
    """

    names: ClassVar[tuple[str, ...]] = ()
    # (ln θ of a warm start, its inverse information per customer): ``model.warm.WarmStart``
    warm: tuple[np.ndarray, np.ndarray] | None = None

    def __init__(self, rows: Any, **kwds: Any) -> None:
        self.rows = rows
        endog = np.asarray(rows.weight, dtype=float)
        super().__init__(endog, None, extra_params_names=[f"log_{n}" for n in self.names], **kwds)

    def fit(self, start_params: Any = None, method: str = "bfgs", **kwds: Any) -> Any:
        """BFGS started with ``start_inverse``'s curvature where there is one (through
        statsmodels' ``minimize`` wrapper), else from the identity as statsmodels does. The
        optimum and the covariance (−H⁻¹ at the optimum) are the same either way."""
        inverse = None
        if method == "bfgs" and start_params is not None:
            inverse = self.start_inverse(np.asarray(start_params, dtype=float))
        if inverse is None:
            return super().fit(start_params=start_params, method=method, **kwds)
        return super().fit(start_params=start_params, method="minimize", min_method="BFGS",
                           hess_inv0=inverse * len(self.endog), **kwds)  # fmt: skip

    def start_inverse(self, start: np.ndarray) -> np.ndarray | None:
        """(−∇² loglike)⁻¹ at ``start`` (log scale) for BFGS's first steps, or None.

        The warm start's own curvature (``model.warm.WarmStart``), scaled to this shop's
        customers, when BFGS starts there on a shop of WARM_CURVATURE_FROM customers or more:
        from the identity BFGS spends most of its steps learning it (BG/NBD's final fit: 18
        of its 28 evaluations at a million customers, 8 with it).
        Smaller shops keep the identity, and their fits what they were to the last bit.
        """
        n = float(np.sum(self.rows.weight))
        if self.warm is None or n < WARM_CURVATURE_FROM or not np.array_equal(self.warm[0], start):
            return None
        return self.warm[1] / n

    # subclasses: natural-scale parameters -> per-row log-likelihood, and either the per-row
    # gradient (n_params × n_rows) or its weighted sum over rows directly
    def row_loglike(self, theta: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def row_score(self, theta: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def total_score(self, theta: np.ndarray) -> np.ndarray:
        """Σ over rows of weight × ∂ℓ/∂θ (natural scale)."""
        grad = self.row_score(theta)
        # column sums without BLAS (tiny reductions, 2 cores)
        return np.array([np.sum(grad[k] * self.rows.weight) for k in range(len(theta))])

    def loglikeobs(self, params: np.ndarray) -> np.ndarray:
        theta = np.exp(np.clip(params, -30, 30))
        ll = self.row_loglike(theta) * self.rows.weight
        return np.where(np.isfinite(ll), ll, -1e300)

    def loglike(self, params: np.ndarray) -> float:
        return float(np.sum(self.loglikeobs(params)))

    def score(self, params: np.ndarray) -> np.ndarray:
        theta = np.exp(np.clip(params, -30, 30))
        return self.total_score(theta) * theta  # chain rule to the log scale

    def hessian(self, params: np.ndarray) -> np.ndarray:
        """Central differences of the analytic score, step 1e-4 on the log scale.

        Not statsmodels' default step (√ε for forward differences): Pareto/NBD's score holds
        difference quotients with ~1e-9 relative noise, which a tiny step turns into a 4 %
        error in SE(β), and a 1e-5 forward step still into ~1e-3 differences between two
        machines' BLAS builds. At 1e-4 the noise is ~1e-5 and the truncation error ~1e-8.
        """
        h = approx_fprime(params, self.score, epsilon=1e-4, centered=True)
        h = (h + h.T) / 2.0
        self.last_hessian = (np.asarray(params, dtype=float).copy(), h)  # for boundary checks
        return h

    def hessian_at(self, params: np.ndarray) -> np.ndarray:
        """The Hessian at ``params``, reusing the one the fit computed there."""
        last = getattr(self, "last_hessian", None)
        if last is not None and np.array_equal(last[0], params):
            return last[1]
        return self.hessian(params)


@dataclass
class FittedModel:
    """A fitted model on the natural scale, with the covariance of its log-parameters.

    Boundary fits (see ``boundary.py``): ``identified`` names the parameters the data pin down;
    the others sit at the edge of their range, are held fixed in draws and have no standard
    error (``not_identified``: name → plain reason; their rows and columns of ``cov_log`` are
    0). ``boundary`` holds plain-words notes for the report; ``nested_from`` the model that was
    asked for when the data only support this nested one, and ``boundary_fit`` that model's own
    (boundary) fit for reference.
    """

    model: str
    names: tuple[str, ...]
    theta: np.ndarray
    cov_log: np.ndarray
    loglik: float
    n_customers: int
    n_rows: int
    converged: bool
    warnings: list[str] = field(default_factory=list)
    not_identified: dict[str, str] = field(default_factory=dict)
    boundary: list[str] = field(default_factory=list)
    nested_from: str | None = None
    boundary_fit: dict[str, Any] | None = None

    @property
    def params(self) -> dict[str, float]:
        return {n: float(v) for n, v in zip(self.names, self.theta, strict=True)}

    @property
    def identified(self) -> tuple[str, ...]:
        return tuple(n for n in self.names if n not in self.not_identified)

    @property
    def stderr(self) -> dict[str, float | None]:
        """Delta method: SE(θ) = θ · SE(ln θ); None for a parameter the data do not identify."""
        se = np.sqrt(np.clip(np.diag(self.cov_log), 0, None)) * self.theta
        return {
            n: None if n in self.not_identified or not np.isfinite(v) else float(v)
            for n, v in zip(self.names, se, strict=True)
        }

    @property
    def aic(self) -> float:
        return 2 * len(self.theta) - 2 * self.loglik

    @property
    def bic(self) -> float:
        return len(self.theta) * float(np.log(max(self.n_customers, 1))) - 2 * self.loglik

    def draws(self, n: int, seed: int = 0) -> np.ndarray:
        """Parameter sets drawn from the asymptotic normal of ln θ (n × k, natural scale).

        Through the Cholesky factor, which is unique: an eigendecomposition's eigenvector signs
        depend on the LAPACK build, so the same fit and seed gave other draws (and a 90 %
        interval ~1e-4 apart) on another CPU. Only the identified parameters are drawn (the
        others are held at their boundary value), and their covariance is checked first: one
        that is not positive definite is floored (``_nearest_covariance``) before the factor.
        """
        rng = np.random.default_rng(seed)
        idx = [i for i, name in enumerate(self.names) if name not in self.not_identified]
        base = np.log(self.theta)
        out = np.tile(base, (n, 1))
        if idx:
            out[:, idx] += (
                rng.standard_normal((n, len(idx)))
                @ cholesky_factor(self.cov_log[np.ix_(idx, idx)]).T
            )
        return np.exp(np.clip(out, -30.0, 30.0))

    def summary_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "params": self.params,
            "stderr": self.stderr,
            "loglik": self.loglik,
            "n_customers": self.n_customers,
            "aic": self.aic,
            "bic": self.bic,
            "converged": self.converged,
            "identified": list(self.identified),
            "not_identified": dict(self.not_identified),
            "boundary": list(self.boundary),
            "nested_from": self.nested_from,
        }
        if self.boundary_fit is not None:
            out["boundary_fit"] = self.boundary_fit
        return out


def cholesky_factor(cov: np.ndarray) -> np.ndarray:
    """Lower Cholesky factor of a covariance, flooring it first if it is not positive definite
    (or not finite): never a LinAlgError from a fit that ended on a flat likelihood."""
    cov = np.where(np.isfinite(cov), cov, 0.0)
    cov = (cov + cov.T) / 2.0
    try:
        return np.linalg.cholesky(cov)
    except np.linalg.LinAlgError:
        return np.linalg.cholesky(_nearest_covariance(cov))


def fit_likelihood(
    likelihood: LikelihoodBase, model: str, starts: list[np.ndarray], n_customers: int
) -> FittedModel:
    """``fit_from_starts``; a fit that ends on the edge of the parameter space is made again
    with the likelihood's ``exact`` (row-by-row) sums when it has faster ones (BG/NBD, and
    Pareto/NBD at large shops): the
    likelihood is flat there and the optimiser's path follows round-off."""
    fitted = fit_from_starts(likelihood, model, starts, n_customers)
    edge = bool(np.any(np.abs(np.log(fitted.theta)) > EDGE_LOG))
    if edge and getattr(likelihood, "exact", True) is False:
        likelihood.exact = True
        for kept in ("last_hessian", "_last_score", "_cache_key"):  # the fast sums' values
            likelihood.__dict__.pop(kept, None)
        fitted = fit_from_starts(likelihood, model, starts, n_customers)
    return fitted


def fit_from_starts(
    likelihood: LikelihoodBase, model: str, starts: list[np.ndarray], n_customers: int
) -> FittedModel:
    """Fit from the first start; on failure retry from the others; then a clear ModelError.

    BFGS with the analytic score and a tight gradient tolerance, so the optimum is precise
    enough for the 1e-3 log-likelihood comparisons; the Hessian (differences of the analytic
    score) is computed once, at the optimum, for the covariance.
    """
    from clvtui.model.optimise import optimise

    best = None
    failures: list[str] = []
    for start in starts:
        try:
            params, llf, cov = optimise(likelihood, np.asarray(start, dtype=float))
        except (np.linalg.LinAlgError, ValueError, FloatingPointError) as err:
            failures.append(f"start {np.round(np.exp(start), 3).tolist()}: {err}")
            continue
        grad = likelihood.score(params)
        ok = np.all(np.isfinite(params)) and np.isfinite(llf) and np.all(np.abs(params) < 25)
        tol = 1e-2 * max(1.0, n_customers / 1e4)
        # running to the edge of the parameter space the likelihood is flat along the runaway
        # direction and BFGS creeps: there the parameters still inside must have settled (to a
        # looser tolerance); the runaway ones are ``boundary``'s business
        inside = np.abs(params) <= EDGE_LOG
        if not inside.all():
            tol *= 10.0
            grad = np.where(inside, grad, 0.0)
        if ok and (best is None or llf > best[1]):
            best = (params, llf, bool(np.max(np.abs(grad)) < tol), cov)
        if best is not None and best[2]:
            break
    if best is None:
        detail = "; ".join(failures) or "the likelihood never became finite"
        raise ModelError(f"the {model} fit did not converge from any starting point ({detail})")
    params, llf, converged, cov = best
    if cov is None or cov.shape != (len(params),) * 2:
        cov = np.linalg.pinv(-likelihood.hessian(params))
    warnings: list[str] = []
    if not converged:
        warnings.append(f"{model}: the optimiser stopped before the gradient vanished")
    if not np.all(np.isfinite(cov)) or np.any(np.linalg.eigvalsh((cov + cov.T) / 2) <= 0):
        warnings.append(f"{model}: the likelihood is flat in some direction; SEs are unreliable")
        cov = _nearest_covariance(np.where(np.isfinite(cov), cov, 0.0))
    return FittedModel(
        model=model,
        names=likelihood.names,
        theta=np.exp(params),
        cov_log=cov,
        loglik=llf,
        n_customers=n_customers,
        n_rows=len(likelihood.endog),
        converged=converged,
        warnings=warnings,
    )


def _nearest_covariance(cov: np.ndarray) -> np.ndarray:
    """Symmetric, with eigenvalues floored at a small positive value (so draws stay possible)."""
    vals, vecs = np.linalg.eigh((cov + cov.T) / 2)
    vals = np.clip(vals, max(1e-8, 1e-10 * float(np.max(np.abs(vals)))), None)
    out = (vecs * vals) @ vecs.T
    # rounding can leave the rebuilt matrix a hair short of positive definite: lift the diagonal
    return (out + out.T) / 2.0 + np.eye(len(out)) * 1e-12


PAlive = Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray], np.ndarray]
AliveExpected = Callable[[np.ndarray, np.ndarray, np.ndarray, float], np.ndarray]


def conditional_expected(
    p_alive: PAlive,
    alive_expected: AliveExpected,
    theta: np.ndarray,
    x: np.ndarray,
    t_x: np.ndarray,
    T: np.ndarray,
    t: float,
) -> np.ndarray:
    """E[Y(t) | x, t_x, T] = P(alive | x, t_x, T) · E[Y(t) | alive, x, T].

    The same shape in every model (a customer who has left buys nothing more); only the two
    factors differ, so each model passes its own.
    """
    return p_alive(theta, x, t_x, T) * alive_expected(theta, x, T, t)


def for_new_customer(
    value: Callable[[np.ndarray, float], np.ndarray], t: float | np.ndarray
) -> np.ndarray:
    """``value(zeros, horizon)[0]`` for each horizon in ``t``: a customer just acquired has
    x = t_x = T = 0, which is how every model's unconditional E[X(t)] is evaluated."""
    t = np.atleast_1d(np.asarray(t, dtype=float))
    z = np.zeros(1)
    return np.array([value(z, float(tv))[0] for tv in t])
