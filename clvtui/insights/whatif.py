"""What if the margin, costs, discount rate or retention were different? No refit needed.

A CLV is (value of one order) × (expected discounted orders): the model decides the second
factor, the shop's economics the first. So a changed margin or cost per order changes only the
first factor, and is exact. The discounted orders D of each customer are recovered from the run:
D = CLV ÷ (margin × E[spend] − cost per order) under the run's own settings (or read from a
stored ``discounted_orders`` column when the run has one).

- **Discount rate** (approximate): D is rescaled by the ratio of the average monthly discount
  factors over the horizon — exact for a flat order stream, and the error of a decaying stream is
  second order for the rates shops use (under 1 % of CLV for 5 → 15 % a year over 12 months).
- **Retention uplift u** (exact under its definition): a programme that keeps a share u of the
  customers who would otherwise be gone: P(alive)' = P(alive) + u (1 − P(alive)). Expected future
  orders are P(alive) × E[orders | alive], so D scales by P(alive)' ÷ P(alive), and the risk
  bands move with P(alive)'.
Tiers are then re-assigned with the new values (the same rule).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from clvtui.errors import SettingsError
from clvtui.insights.segments import OneTimeRule, assign_segments, tier_rule, tier_table
from clvtui.settings import Settings


def order_value_expr(settings: Settings, own: bool = False) -> pl.Expr:
    """Value of one expected order on the settings' basis (net or revenue). ``own``: the run
    charged each customer their own cost to serve (an ``own_cost`` column) on top of the flat
    cost per order, so a changed cost per order changes that flat part only."""
    if settings.margin is None:
        return pl.col("expected_spend")
    value = settings.margin * pl.col("expected_spend") - settings.cost_per_order
    return value - pl.col("own_cost") if own else value


def mean_discount_factor(settings: Settings) -> float:
    """Average of (1 + monthly rate)^−k over the horizon's months k = 1..H."""
    k = np.arange(1, settings.horizon_months + 1)
    return float(np.mean((1.0 + settings.monthly_discount_rate) ** -k))


def discounted_orders_expr(run_settings: Settings, own: bool = False) -> pl.Expr:
    """Per customer D = CLV ÷ order value; where that value is ~0, E[orders] × mean discount."""
    unit = order_value_expr(run_settings, own)
    fallback = pl.col("expected_orders") * mean_discount_factor(run_settings)
    return (pl.when(unit.abs() > 1e-9).then(pl.col("clv") / unit).otherwise(fallback)).alias(
        "discounted_orders"
    )


@dataclass
class WhatIf:
    """Customer equity and tiers before and after the changes."""

    changes: dict[str, Any]
    equity_before: float
    equity_after: float
    tiers_before: pl.DataFrame
    tiers_after: pl.DataFrame
    customers_changing_tier: int
    rule: str
    value_kind: str
    notes: list[str] = field(default_factory=list)
    scored: pl.DataFrame | None = None  # per-customer result (not in JSON)

    def to_json(self) -> dict[str, Any]:
        return {
            "changes": self.changes,
            "value_kind": self.value_kind,
            "equity_before": self.equity_before,
            "equity_after": self.equity_after,
            "equity_change": self.equity_after - self.equity_before,
            "tiers_before": self.tiers_before.to_dicts(),
            "tiers_after": self.tiers_after.to_dicts(),
            "customers_changing_tier": self.customers_changing_tier,
            "rule": self.rule,
            "notes": self.notes,
        }


def what_if(
    scored: pl.DataFrame,
    run_settings: Settings,
    *,
    margin: float | None = None,
    discount_rate: float | None = None,
    cost_per_order: float | None = None,
    retention_uplift: float = 0.0,
    tier_settings: Settings | None = None,
    one_time: OneTimeRule | None = None,
) -> WhatIf:
    """Recompute CLV, equity and tiers for changed economics.

    ``scored``: customer_id, clv, expected_spend, expected_orders, p_alive, tier, risk (and
    ``discounted_orders`` if stored). ``run_settings``: the settings the run was fitted with.
    ``tier_settings``: the current tier/risk rule (default: the run's). ``one_time``: the run's
    risk rule for one-time buyers (needs ``x`` and ``T`` in ``scored``).
    """
    new, changes = _changed(run_settings, margin, discount_rate, cost_per_order, retention_uplift)
    rule = tier_settings or run_settings
    rule_new = rule.with_changes(
        margin=new.margin,
        cost_per_order=new.cost_per_order,
        annual_discount_rate=new.annual_discount_rate,
    )
    notes: list[str] = []
    base, own = scored, "own_cost" in scored.columns
    if "discounted_orders" not in base.columns:
        base = base.with_columns(discounted_orders_expr(run_settings, own))
    rate_factor = _rate_factor(run_settings, new, discount_rate, notes)
    p = pl.col("p_alive")
    p_new = kept_p_alive(retention_uplift)
    d = pl.col("discounted_orders") * rate_factor
    d_new = pl.when(p > 0).then(d * p_new / p).otherwise(d)
    after = base.with_columns(
        (order_value_expr(new, own) * d_new).alias("clv"),
        p_new.alias("p_alive"),
    ).drop("tier", "risk", strict=False)
    after = assign_segments(after, rule_new, one_time)
    before = scored if "tier" in scored.columns else assign_segments(scored, rule, one_time)
    moved = int(
        (before["tier"] != after["tier"]).sum() if before.height == after.height else after.height
    )
    if run_settings.margin is None and new.margin is not None:
        notes.append("values change from revenue CLV to net CLV (a margin is now set)")
    return WhatIf(
        changes=changes,
        equity_before=float(before["clv"].sum()),
        equity_after=float(after["clv"].sum()),
        tiers_before=tier_table(before),
        tiers_after=tier_table(after),
        customers_changing_tier=moved,
        rule=tier_rule(after, rule_new).describe(),
        value_kind=new.value_kind,
        notes=notes,
        scored=after,
    )


def kept_p_alive(retention_uplift: float) -> pl.Expr:
    """P(alive) with a retention uplift u: P + u(1 − P), a share u of would-be churners kept
    (the planner's scenario uses the same rule without the rest of a what-if)."""
    p = pl.col("p_alive")
    return p + retention_uplift * (1.0 - p)


def _changed(
    run_settings: Settings, margin: float | None, discount_rate: float | None,
    cost_per_order: float | None, retention_uplift: float,
) -> tuple[Settings, dict[str, Any]]:  # fmt: skip
    """The run's settings with the asked changes applied (validated), and the changes named."""
    if not 0.0 <= retention_uplift <= 1.0:
        raise SettingsError(
            f"retention uplift must be between 0 and 100 % (got {retention_uplift:.0%})"
        )
    changes: dict[str, Any] = {}
    new = run_settings
    if margin is not None:
        new = new.with_changes(margin=margin)  # validated: 0 < margin ≤ 1
        changes["margin"] = margin
    if discount_rate is not None:
        new = new.with_changes(annual_discount_rate=discount_rate)
        changes["annual_discount_rate"] = discount_rate
    if cost_per_order is not None:
        new = new.with_changes(cost_per_order=cost_per_order)
        changes["cost_per_order"] = cost_per_order
    if retention_uplift:
        changes["retention_uplift"] = retention_uplift
    return new, changes


def _rate_factor(
    run_settings: Settings, new: Settings, discount_rate: float | None, notes: list[str]
) -> float:
    """How much a new discount rate scales the discounted orders (said in ``notes``)."""
    rate_factor = mean_discount_factor(new) / mean_discount_factor(run_settings)
    if discount_rate is not None and abs(rate_factor - 1.0) > 1e-12:
        notes.append(
            "discount rate: discounted orders rescaled by the ratio of mean discount factors "
            f"({rate_factor:.4f}); exact for a flat order stream, approximate otherwise"
        )
    return rate_factor
