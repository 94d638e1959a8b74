"""The purchase models by name (each module exposes the same functions)."""

from __future__ import annotations

from types import ModuleType

from clvtui.errors import ModelError

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


def module_for(name: str) -> ModuleType:
    """The module implementing ``name``: Likelihood, starts, p_alive, alive_expected, ..."""
    if name == "bgnbd":
        from clvtui.model import bgnbd as mod
    elif name == "paretonbd":
        from clvtui.model import paretonbd as mod
    elif name == "mbgnbd":
        from clvtui.model import mbgnbd as mod
    elif name == "nbd":
        from clvtui.model import nbd as mod
    else:
        raise ModelError(
            f"unknown model {name!r}; choose one of auto, {', '.join(PURCHASE_MODELS)}"
        )
    return mod


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
    return settle(fit_likelihood(likelihood, name, starts, rows.n_customers), likelihood)
