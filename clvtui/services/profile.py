"""The ideal customer: each tier against all, and what speeds up the second order
(``clvtui profile``, the Tier screen's profile and drivers tabs).

Tiers are those of ``services.tiers``. The repurchase-hazard model (``model.cox``) needs
customer attributes; without any, the orders are not read at all.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlite_utils

from clvtui.insights.profile import Profile


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
    ctx = load_context(db, ["spend", "orders", "T"], run_id=run_id, customer_columns=attrs)
    durations = None
    if attrs:  # the hazard model needs attributes; without them skip reading orders
        sample = hazard_sample(ctx.scored["customer_id"])
        purchases = store.purchase_times(db, sample.to_list(), ctx.as_of.isoformat())
        durations = time_to_repurchase(purchases, ctx.as_of)
    profile = build_profile(ctx.scored, ctx.as_of, attrs, durations, sampled_from=ctx.scored.height)
    return RunProfile(ctx.run_id, profile)
