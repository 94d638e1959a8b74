"""The purchase models by name: the registry (each module satisfies ``PurchaseModel``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from clvtui.errors import ModelError

if TYPE_CHECKING:
    import numpy as np

    from clvtui.model.protocol import PurchaseModel

PURCHASE_MODELS = ("bgnbd", "paretonbd", "mbgnbd")
# nested models a fit falls back to when the data put the requested one on its boundary
NESTED_MODELS = ("nbd",)
LABELS = {
    "nbd": "NBD (no dropout visible)",
    "bgnbd": "BG/NBD",
    "paretonbd": "Pareto/NBD",
    "mbgnbd": "MBG/NBD",
    "empirical": "empirical estimate (too little data for a model)",
}


def module_for(name: str) -> PurchaseModel:
    """The module implementing ``name`` (imported on first use: ``clvtui --help`` stays fast)."""
    if name == "bgnbd":
        from clvtui.model import bgnbd

        return bgnbd
    if name == "paretonbd":
        from clvtui.model import paretonbd

        return paretonbd
    if name == "mbgnbd":
        from clvtui.model import mbgnbd

        return mbgnbd
    if name == "nbd":
        from clvtui.model import nbd

        return nbd
    raise ModelError(f"unknown model {name!r}; choose one of auto, {', '.join(PURCHASE_MODELS)}")


def theta_of(name: str, params: dict[str, float | None]) -> np.ndarray | None:
    """A stored fit's parameters as model ``name``'s vector, or None when the model has no
    formula (the empirical estimate) or a parameter is missing or was not computable."""
    # here, not at the top: the CLI reads the names above for ``--help`` without numpy; and
    # from ``model.alive``, not the model module, so no statsmodels import for a parameter list
    from clvtui.model.alive import theta_of as parameters_of

    return parameters_of(name, params)


def fit_purchase(name: str, x, t_x, T, start=None, rows=None):
    """Fit purchase model ``name`` on per-customer arrays (collapsed to unique rows first).

    ``start``: natural-scale parameters to try first (e.g. a fit on a sample of customers), which
    saves iterations on large shops.

    The result may be another model than ``name``: when the fit runs to the edge of the
    parameter space the data support a nested model (NBD when nobody visibly left) or some
    parameters are held at their edge — see ``boundary.settle``; the fit says so in
    ``boundary`` / ``nested_from``.
    """
    import numpy as np

    from clvtui.model.base import Rows, fit_likelihood
    from clvtui.model.boundary import settle

    mod = module_for(name)
    rows = rows if rows is not None else Rows.collapse(x, t_x, T)  # given: already collapsed
    starts = mod.starts(rows)
    if start is not None:
        starts = [np.log(np.asarray(start, dtype=float)), *starts]
    likelihood = mod.Likelihood(rows)
    curvature = getattr(start, "per_customer", None)  # a ``base.WarmStart``'s
    if curvature is not None:
        likelihood.warm = (starts[0], curvature)
    return settle(fit_likelihood(likelihood, name, starts, rows.n_customers), likelihood)


def requested_model(model: str | None, holdout_weeks: int | None) -> str | None:
    """The model asked for (None: choose), after refusing what cannot be fitted."""
    from clvtui.core.timefmt import check_holdout_weeks

    model = None if model in (None, "auto") else model
    if model is not None and model not in PURCHASE_MODELS:
        raise ModelError(f"unknown model {model!r}; choose auto, {', '.join(PURCHASE_MODELS)}")
    check_holdout_weeks(holdout_weeks)
    return model
