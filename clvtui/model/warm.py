"""What one fit hands to the next on the same shop: its parameters with their curvature, and
the customers' rows collapsed ahead of time on another thread.

Why: a run fits the same shop several times in a row — the choice's candidates on a sample,
the holdout's calibration fit, the final fit. BFGS from the identity spends most of its steps
learning a curvature the previous fit already knew, and the collapse of a million customers
to their distinct rows (a sort) needs only the summary, so it can be made while other work
leaves a core idle.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np

from clvtui.model.base import FittedModel, Rows

_COLLAPSING = ThreadPoolExecutor(1, thread_name_prefix="clvtui-rows")


class WarmStart(list[float]):
    """A fit's parameters (natural scale) as the next fit's start, with the curvature there:
    its covariance of ln θ times its customers (``per_customer``, None when the fit had no
    usable one). Why: the next fit on the same shop — the final fit after the choice's
    candidate or the holdout's calibration fit — starts BFGS with it (``LikelihoodBase.
    start_inverse``). A plain list wherever it is stored (the report's JSON)."""

    per_customer: np.ndarray | None = None

    @classmethod
    def of(cls, fit: FittedModel) -> WarmStart:
        start = cls(fit.params.values())
        cov = (fit.cov_log + fit.cov_log.T) / 2.0
        usable = not fit.not_identified and bool(np.all(np.isfinite(cov)))
        if usable and np.all(np.linalg.eigvalsh(cov) > 0):
            start.per_customer = cov * fit.n_customers
        return start


def rows_beside(x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> Future[Rows]:
    """``Rows.collapse`` of these customers on another thread (~0.2 s CPU at a million
    customers), in the order asked: made while the choice, the seasonality and the holdout
    checks run, it is no longer on the fits' path."""
    return _COLLAPSING.submit(Rows.collapse, x, t_x, T)
