"""The segments view: tiers × churn risk, the allowable CPA per tier, and who is slipping away.

``clvtui segments`` (text and ``--json``) shows :func:`segments_view`; the Segments screen
shows :func:`tier_risk_matrix` of the TUI's shared customer frame. Both frames carry tiers by
the one rule of ``services.tiers``, so the two faces count the same customers in each cell.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import polars as pl
import sqlite_utils

from clvtui.insights.segments import TierRule

#: What the slipping-away list adds for its few customers (reading them for all is slow).
SLIPPING_DETAILS = ["p_order_30", "p_order_90", "next_order_low", "next_order_high"]


@dataclass
class SegmentsView:
    """One run's segments by today's tier rule."""

    run_id: int
    as_of: dt.date
    value_kind: str
    currency: str
    rule: TierRule
    customer_equity: float
    tiers: pl.DataFrame  # name, customers, clv_total, clv_mean, share_of_value, allowable CPA…
    risk_matrix: pl.DataFrame  # tier × risk: customers, clv_total, value_at_stake
    slipping_away: pl.DataFrame  # valuable customers no longer active, by value at stake

    def to_json(self) -> dict[str, Any]:
        """The ``clvtui segments --json`` document."""
        return {
            "run_id": self.run_id,
            "value_kind": self.value_kind,
            "currency": self.currency,
            "rule": self.rule.describe(),
            "cutoffs": self.rule.to_json(),
            "customer_equity": self.customer_equity,
            "tiers": self.tiers.to_dicts(),
            "risk_matrix": self.risk_matrix.to_dicts(),
            "slipping_away": self.slipping_away.to_dicts(),
        }


def tier_risk_matrix(customers: pl.DataFrame) -> pl.DataFrame:
    """Tier × risk band of tiered customers (all nine cells): customers, CLV, value at stake."""
    from clvtui.insights.segments import risk_matrix

    return risk_matrix(customers)


def segments_view(
    db: sqlite_utils.Database, run_id: int | None = None, *, top: int = 20
) -> SegmentsView:
    """The segments of ``run_id`` (default: the latest fit), with the ``top`` valuable
    customers slipping away and their contact and next-order window."""
    from clvtui.insights.acquisition import allowable_cpa
    from clvtui.insights.segments import slipping_away, tier_rule, tier_table
    from clvtui.services.runs import load_context
    from clvtui.store import insights as store

    ctx = load_context(db, ["spend", "orders", "T"], run_id=run_id)
    s, sc = ctx.settings, ctx.scored
    table = tier_table(sc).join(allowable_cpa(sc, s).drop("customers"), on="name", how="left")
    top_ids = slipping_away(sc, limit=top).select("customer_id", "tier", "risk")
    details = store.scores_for_ids(
        db,
        ctx.run_id,
        top_ids["customer_id"].to_list(),
        SLIPPING_DETAILS,
        customer_columns=("email", "name"),
    )
    listed = sc.join(top_ids.select("customer_id"), on="customer_id", how="semi")
    slipping = slipping_away(listed.join(details, on="customer_id", how="left"), limit=top)
    return SegmentsView(
        run_id=ctx.run_id,
        as_of=ctx.as_of,
        value_kind=s.value_kind,
        currency=ctx.currency,
        rule=tier_rule(sc, s),
        customer_equity=float(sc["clv"].sum()),
        tiers=table,
        risk_matrix=tier_risk_matrix(sc),
        slipping_away=slipping,
    )
