"""The purchase models by name (each module exposes the same functions)."""

from __future__ import annotations

from types import ModuleType

from clvtui.errors import ModelError

PURCHASE_MODELS = ("bgnbd", "paretonbd", "mbgnbd")
LABELS = {
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
    else:
        raise ModelError(
            f"unknown model {name!r}; choose one of auto, {', '.join(PURCHASE_MODELS)}"
        )
    return mod


def fit_purchase(name: str, x, t_x, T, start=None):
    """Fit purchase model ``name`` on per-customer arrays (collapsed to unique rows first).

    ``start``: natural-scale parameters to try first (e.g. a fit on a sample of customers), which
    saves iterations on large shops.
    """
    import numpy as np

    from clvtui.model.base import Rows, fit_likelihood

    mod = module_for(name)
    rows = Rows.collapse(x, t_x, T)
    starts = mod.starts(rows)
    if start is not None:
        starts = [np.log(np.asarray(start, dtype=float)), *starts]
    return fit_likelihood(mod.Likelihood(rows), name, starts, rows.n_customers)
