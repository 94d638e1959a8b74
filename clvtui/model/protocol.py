"""What a purchase model is: the functions every model module (bgnbd, paretonbd, mbgnbd, nbd)
provides, written down so the registry, the pipeline and the paths can be type-checked.

Each model is a module, not a class (the functions are pure maths on a parameter vector);
a module satisfies a Protocol structurally (PEP 544), so no adapter is needed. To add a model:
write a module with these members and name it in ``model.models``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, runtime_checkable

import numpy as np

from clvtui.model.base import LikelihoodBase, Rows


@runtime_checkable
class PurchaseModel(Protocol):
    """A purchase model: its likelihood for the fit, and what a fit predicts per customer.

    ``theta`` is always the natural-scale parameter vector in the order of ``NAMES``; ``x``,
    ``t_x`` and ``T`` are repeat purchases, time of the last one and age, in weeks.
    """

    # read-only (properties): a module's constants satisfy them whatever their exact type
    @property
    def NAME(self) -> str:
        """The model's name in the registry."""
        ...

    @property
    def NAMES(self) -> tuple[str, ...]:
        """The parameters, in the order of ``theta``."""
        ...

    @property
    def Likelihood(self) -> Callable[..., LikelihoodBase]:
        """The statsmodels likelihood over collapsed rows."""
        ...

    def starts(self, rows: Rows) -> list[np.ndarray]:
        """Log-scale starting points for the fit, most promising first."""
        ...

    def p_alive(
        self, theta: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray
    ) -> np.ndarray:
        """P(still a customer at T | x, t_x, T)."""
        ...

    def alive_expected(
        self, theta: np.ndarray, x: np.ndarray, T: np.ndarray, t: float
    ) -> np.ndarray:
        """E[repeat orders in (T, T + t] | alive at T, x]."""
        ...

    def expected(
        self, theta: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray, t: float
    ) -> np.ndarray:
        """E[repeat orders in (T, T + t] | x, t_x, T] = P(alive) · E[… | alive]."""
        ...

    def unconditional(self, theta: np.ndarray, t: float | np.ndarray) -> np.ndarray:
        """E[X(t)] for a customer just acquired."""
        ...

    def pmf(self, theta: np.ndarray, t: np.ndarray, k: int) -> np.ndarray:
        """P(X(t) = k) for a customer acquired t weeks ago (the calibration histogram)."""
        ...
