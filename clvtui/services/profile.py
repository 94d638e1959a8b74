"""The ideal customer: each tier against all, and what speeds up the second order
(``clvtui profile``, the Tier screen's profile and drivers tabs).

Tiers are those of ``services.tiers``. The repurchase-hazard model (PHReg) needs customer
attributes; without any, the orders are not read at all.
"""

from __future__ import annotations

import importlib
import threading
from dataclasses import dataclass

import sqlite_utils

from clvtui.insights.profile import Profile


def warm_import(module: str) -> None:
    """Import ``module`` in a background thread, so that its ~1 s (statsmodels with pandas
    and scipy: Python code holding the interpreter) runs beside reading and aggregating the
    customers (SQLite and polars: native code that lets it run) on the other core. The
    foreground's own import of it then waits for this one to finish, or repeats it."""

    def load() -> None:
        try:
            importlib.import_module(module)
        except ImportError:
            return  # the foreground's own import raises it again, where it is reported

    threading.Thread(target=load, name=f"clvtui-import-{module}", daemon=True).start()


@dataclass
class RunProfile:
    run_id: int
    profile: Profile


def run_profile(db: sqlite_utils.Database, run_id: int | None = None) -> RunProfile:
    """Numbers, attribute lifts per tier and repurchase hazard ratios of fit ``run_id``
    (default: the latest)."""
    from clvtui.insights.profile import build_profile, hazard_sample, time_to_repurchase
    from clvtui.services.runs import load_context
    from clvtui.store import run_scores as store

    attrs = store.customer_attribute_names(db)
    if attrs:  # the hazard model will need statsmodels: import it while the data is read
        warm_import("statsmodels.duration.hazard_regression")
    ctx = load_context(db, ["spend", "orders", "T"], run_id=run_id, customer_columns=attrs)
    durations = None
    if attrs:  # the hazard model needs attributes; without them skip reading orders
        sample = hazard_sample(ctx.scored["customer_id"])
        purchases = store.purchase_times(db, sample.to_list(), ctx.as_of.isoformat())
        durations = time_to_repurchase(purchases, ctx.as_of)
    profile = build_profile(ctx.scored, ctx.as_of, attrs, durations, sampled_from=ctx.scored.height)
    return RunProfile(ctx.run_id, profile)
