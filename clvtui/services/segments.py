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
from clvtui.settings import Settings

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
    min_value_at_stake: float = 0.0  # the list's floor (``min_value_at_stake``)
    slipping_total: int = 0  # how many customers the whole list holds (``top`` are shown)

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
            "slipping_min_value_at_stake": self.min_value_at_stake,
            "slipping_away_total": self.slipping_total,
            "slipping_away": self.slipping_away.to_dicts(),
        }


def min_value_at_stake(scored: pl.DataFrame, settings: Settings) -> float:
    """The least value at stake that makes a customer "valuable but slipping away":
    ``slipping_min_stake`` × the fit's average CLV (what an average customer is worth).

    Why: "valuable" by tier alone meant CLV > 0, so the demo's list held 4,050 of 5,000
    customers, 98 of them worth under 0.50. Relative to the shop's average CLV, the floor
    scales with any shop and currency; 1 × average keeps the win-backs worth a contact
    (85 of the demo's 5,000). ``slipping_min_stake=0`` lists every valuable customer who is
    not active, as before.
    """
    mean = scored["clv"].mean() if scored.height else None
    average = float(mean) if isinstance(mean, int | float) else 0.0
    return settings.slipping_min_stake * max(average, 0.0)


def slipping_away_list(
    scored: pl.DataFrame, floor: float, limit: int | None = None
) -> pl.DataFrame:
    """The one slipping-away list (segments, export ``--at-risk``, the screens): valuable
    customers who are not active and have at least ``floor`` at stake, most at stake first."""
    from clvtui.insights.segments import slipping_away

    out = slipping_away(scored, limit=None).filter(pl.col("value_at_stake") >= floor)
    return out.head(limit) if limit is not None else out


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
    from clvtui.insights.segments import tier_rule, tier_table
    from clvtui.services.runs import load_context
    from clvtui.store import run_scores as store

    # the slipping-away details are per purchase pattern in the blob: cheap for everyone,
    # and one read of the blob instead of a second one for twenty customers
    ctx = load_context(db, ["spend", "orders", "T", *SLIPPING_DETAILS], run_id=run_id)
    s, sc = ctx.settings, ctx.scored
    table = tier_table(sc).join(allowable_cpa(sc, s).drop("customers"), on="name", how="left")
    floor = min_value_at_stake(sc, s)
    everyone = slipping_away_list(sc, floor)
    top_ids = everyone.head(top).select("customer_id")
    listed = sc.join(top_ids, on="customer_id", how="semi")
    listed = store.with_customer_columns(db, listed, ("email", "name"))  # 20 rows, by id
    slipping = slipping_away_list(listed, floor, top)
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
        min_value_at_stake=floor,
        slipping_total=everyone.height,
    )


@dataclass
class TierDetail:
    """One tier of a fit, opened from the Segments screen: everything its tabs show."""

    tier: str
    run_id: int
    customers: pl.DataFrame  # the tier's customers, highest CLV first
    trend: list[tuple[int, float, int]]  # per fit: run id, tier CLV total, customers
    lift: pl.DataFrame | None  # attribute, value, share_in_tier, share_overall, lift
    drivers: pl.DataFrame | None  # attribute, hazard_ratio, ci_low, ci_high, reading
    retention: pl.DataFrame | None  # all customers' retention curve (month, survival, …)
    moved: dict[str, Any] | None  # rows (movers in/out) and summary; None before a 2nd fit
    notes: list[str]


def tier_detail(
    db: sqlite_utils.Database, run_id: int, tier: str, customers: pl.DataFrame
) -> TierDetail:
    """``tier`` of fit ``run_id``; ``customers``: the fit's tiered ranking (the TUI's shared
    frame, ``services.tiers.ranked_customers``), from which the tier is cut."""
    from clvtui.services.trends import moved_in_and_out, tier_history
    from clvtui.store.runs import retention_frame

    history = tier_history(db).filter(pl.col("tier") == tier).sort("run_id")
    trend = [
        (int(r["run_id"]), float(r["clv_total"]), int(r["customers"]))
        for r in history.iter_rows(named=True)
    ]
    notes: list[str] = []
    lift, drivers = _profile(db, run_id, tier, notes)
    retention = retention_frame(db, run_id)
    if "cohort" in retention.columns:
        retention = retention.filter(pl.col("cohort") == "all")
    return TierDetail(
        tier=tier,
        run_id=run_id,
        customers=customers.filter(pl.col("tier") == tier),
        trend=trend,
        lift=lift,
        drivers=drivers,
        retention=retention.sort("month"),
        moved=moved_in_and_out(db, run_id, customers, tier),
        notes=notes,
    )


def _profile(
    db: sqlite_utils.Database, run_id: int, tier: str, notes: list[str]
) -> tuple[pl.DataFrame | None, pl.DataFrame | None]:
    """Lift of each attribute in the tier, and the repurchase-hazard (PHReg) readings."""
    from clvtui.services.profile import run_profile

    result = run_profile(db, run_id).profile
    notes.extend(result.notes)
    lift = (
        result.attributes.filter(pl.col("tier") == tier)
        .rename({"level": "value", "share": "share_in_tier", "share_all": "share_overall"})
        .sort("lift", descending=True)
    )
    drivers = pl.DataFrame(
        [
            {
                "attribute": f"{h.attribute} = {h.level} (vs {h.reference})",
                "hazard_ratio": h.ratio,
                "ci_low": h.low,
                "ci_high": h.high,
                "reading": h.reading(),
            }
            for h in result.hazard
        ]
    )
    return lift, drivers if drivers.height else None
