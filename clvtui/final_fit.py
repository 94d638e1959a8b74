"""The final fit's two models — purchases and spend — apart from the predictions made with them.

Why apart from ``pipeline.fit_models``: the fits are one step (Gamma-Gamma on a second thread
beside the purchase model, their notes, the calibration histogram), and the pipeline module
keeps to the order of the steps.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from clvtui.backtest import epoch_day, fit_spend
from clvtui.errors import ModelError
from clvtui.model import validate
from clvtui.model.base import FittedModel, Rows
from clvtui.model.beside import quiet_pool
from clvtui.model.registry import LABELS, fit_purchase, module_for
from clvtui.model.seasonal import SeasonalClock
from clvtui.report import ModelFit
from clvtui.shop import Shop


@dataclass
class FinalFits:
    """The purchase and spend fits on all orders to as-of, the rows they share with the
    predictions, and their notes for the report (the purchase model's first)."""

    purchase_fit: FittedModel
    spend_fit: FittedModel | None
    purchase: ModelFit | None  # as reported, with its calibration histogram
    rows: Rows
    notes: list[str]


def model_times(
    shop: Shop, clock: SeasonalClock | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """x, t_x, T of every customer in the model's time (operational with a seasonal clock)."""
    x, t_x, T = shop.arrays
    if clock is not None:
        t_x, T = clock.summary_times(t_x, T, epoch_day(shop.end))
    return x, t_x, T


def fit_final(
    shop: Shop, name: str, start: list[float] | None,
    times: tuple[np.ndarray, np.ndarray, np.ndarray], collapsed: Future[Rows] | None = None,
) -> FinalFits:  # fmt: skip
    """Both models on all orders to as-of, on ``times`` (:func:`model_times`): Gamma-Gamma on
    a second thread beside the purchase model (maybe the nested model its boundary leads to).
    ``collapsed``: the rows of ``times`` collapsed already (``model.warm.rows_beside``)."""
    x, t_x, T = times
    # once for the fit and the predictions (~0.2 s at 1 M)
    rows = collapsed.result() if collapsed is not None else Rows.collapse(x, t_x, T)
    notes: list[str] = []
    spend_notes: list[str] = []
    with quiet_pool("clvtui-spend") as pool:
        # Gamma-Gamma needs x and m only: fitted on the other core beside the purchase model
        # (numpy lets go of the interpreter); its notes follow the purchase model's, as before
        spending = pool.submit(fit_spend, x, shop.m, spend_notes)
        purchase_fit = _purchase_fit(name, x, t_x, T, start, rows, notes)
        histogram = validate.calibration_histogram(
            purchase_fit.theta, x, T, module_for(purchase_fit.model).pmf, rows
        )
        spend_fit = spending.result()
    purchase = ModelFit.from_json(purchase_fit.summary_dict() | {"histogram": histogram})
    return FinalFits(purchase_fit, spend_fit, purchase, rows, notes + spend_notes)


def _purchase_fit(
    name: str, x: np.ndarray, t_x: np.ndarray, T: np.ndarray, start: list[float] | None,
    rows: Rows, warnings: list[str],
) -> FittedModel:  # fmt: skip
    """The purchase model's fit (maybe the nested model its boundary leads to), its notes."""
    with numerical_errors(f"the {LABELS[name]} fit"):
        purchase_fit = fit_purchase(name, x, t_x, T, start=start, rows=rows)
    name = purchase_fit.model
    warnings += purchase_fit.boundary + purchase_fit.warnings
    th = purchase_fit.params
    if name in ("bgnbd", "mbgnbd") and th["a"] + th["b"] <= 1.0:
        warnings.append(
            f"{name}: a + b = {th['a'] + th['b']:.3f} ≤ 1, where the closed-form prediction "
            "breaks down; predictions were integrated numerically instead"
        )
    return purchase_fit


@contextmanager
def numerical_errors(what: str) -> Iterator[None]:
    """Numerical failures inside the model code (a singular covariance, an overflow) become one
    readable ModelError line instead of a traceback: the user can try another model."""
    try:
        yield
    except (np.linalg.LinAlgError, FloatingPointError, OverflowError, ZeroDivisionError) as err:
        raise ModelError(
            f"{what} failed numerically on this data ({type(err).__name__}: {err}); "
            "try another --model, a later --as-of or no holdout"
        ) from err
