"""Tiers over time, and the customers who moved between two runs.

Every fit is kept with its (tier, risk) cells, so a shop can see whether its best group grows
and which customers need a different treatment since last time (a customer falling from
"active" to "at risk" is the moment to act, not months later).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import polars as pl

from clvtui.core.group_sums import sums_by
from clvtui.insights.segments import TIERS


def tier_trend(segments: pl.DataFrame) -> pl.DataFrame:
    """Per run and tier: customers, CLV, and the run's customer equity (long format).

    ``segments``: rows of ``store.run_scores.run_segments_frame`` (run_id, created_at, as_of,
    value_kind, customer_equity, tier, risk, customers, clv_total). Every tier appears for every
    run (zeros when empty) so a chart has no gaps.
    """
    runs = segments.select("run_id", "created_at", "as_of", "value_kind", "customer_equity").unique(
        "run_id"
    )
    grid = runs.join(pl.DataFrame({"tier": list(TIERS)}), how="cross")
    agg = sums_by(  # row order: a group-by's float sum varied in its last digits
        segments.select("run_id", "tier", "customers", "clv_total"),
        ["run_id", "tier"],
        ["customers", "clv_total"],
        count="_rows",
    ).select("run_id", "tier", pl.col("customers").cast(segments.schema["customers"]), "clv_total")
    return (
        grid.join(agg, on=["run_id", "tier"], how="left")
        .with_columns(pl.col("customers").fill_null(0), pl.col("clv_total").fill_null(0.0))
        .sort("run_id", pl.col("tier").replace_strict(list(TIERS), list(range(len(TIERS)))))
    )


@dataclass
class Moved:
    """Customers whose tier or risk band changed between two runs."""

    run_id: int
    previous_run_id: int | None
    compared: int
    new_customers: int
    customers: pl.DataFrame  # one row per mover
    transitions: pl.DataFrame  # tier_before, tier_now, risk_before, risk_now, customers
    notes: list[str] = field(default_factory=list)

    def to_json(self, limit: int | None = 100) -> dict[str, Any]:
        rows = self.customers if limit is None else self.customers.head(limit)
        return {
            "run_id": self.run_id,
            "previous_run_id": self.previous_run_id,
            "customers_compared": self.compared,
            "new_customers": self.new_customers,
            "moved": self.customers.height,
            "transitions": self.transitions.to_dicts(),
            "customers": rows.to_dicts(),
            "notes": self.notes,
        }


def moved(
    before: pl.DataFrame, now: pl.DataFrame, *, run_id: int, previous_run_id: int | None
) -> Moved:
    """Compare two runs' (customer_id, tier, risk, clv): who changed tier or risk band.
    The newer run's ``p_order_30`` / ``p_order_90`` are listed with the movers when ``now`` has
    them.

    Only customers in both runs can move; customers new in ``now`` are counted apart. Movers are
    listed by the size of their CLV change, largest first (the ones worth a look).
    """
    if previous_run_id is None:
        empty = now.head(0).select("customer_id")
        return Moved(
            run_id,
            None,
            0,
            now.height,
            empty,
            pl.DataFrame(),
            ["only one run so far: fit again later to see who moved"],
        )
    chance = [c for c in ("p_order_30", "p_order_90") if c in now.columns]
    # one join that carries the newer run's chance columns along (a second join of the movers
    # back onto a million customers cost ~0.3 s and a copy of both)
    j = before.select("customer_id", tier_before="tier", risk_before="risk", clv_before="clv").join(
        now.select("customer_id", *chance, tier_now="tier", risk_now="risk", clv_now="clv"),
        on="customer_id",
        how="inner",
    )
    compared = j.height
    changed = j.filter(
        (pl.col("tier_before") != pl.col("tier_now"))
        | (pl.col("risk_before") != pl.col("risk_now"))
    ).with_columns((pl.col("clv_now") - pl.col("clv_before")).alias("clv_change"))
    del j  # the million compared customers: only the movers are kept
    changed = changed.sort(
        [pl.col("clv_change").abs(), "customer_id"], descending=[True, False]
    ).select(
        "customer_id",
        "tier_before",
        "tier_now",
        "risk_before",
        "risk_now",
        "clv_before",
        "clv_now",
        "clv_change",
        *chance,
    )
    return Moved(run_id, previous_run_id, compared, now.height - compared, changed,
                 _transitions(changed))  # fmt: skip


def _transitions(changed: pl.DataFrame) -> pl.DataFrame:
    """Movers counted by (tier, risk) before → now, commonest first."""
    return (
        changed.group_by("tier_before", "tier_now", "risk_before", "risk_now")
        .agg(pl.len().alias("customers"))
        .sort(
            ["customers", "tier_before", "risk_before", "tier_now", "risk_now"],
            descending=[True, False, False, False, False],
        )
    )
