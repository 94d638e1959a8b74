"""Campaigns measured against a control group: the random split, and "did it work?".

The chosen customers are split at random into *contacted* and *control* (a share held back,
never sent anything). Both groups then live through the same weeks, so whatever differs in
what they bought afterwards is the campaign's doing, up to chance — which the interval says.

The interval is Welch's: the difference of the two groups' mean value per customer, with the
standard error sqrt(s²₁/n₁ + s²₀/n₀) (unequal variances: a contacted group that responds is
more spread out than its control) and the normal quantile 1.645 for 90 %. Why not a
bootstrap: the same answer for groups of hundreds or more (means of sums are close to normal
there), exact and repeatable without a random draw, and instant at a million members; for
tiny groups neither is trustworthy, and the report says so (``MIN_GROUP``). Response rates
are compared the same way (a difference of two proportions).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import polars as pl

from clvtui.core.normal import Z90

MIN_GROUP = 30  # below this many customers in a group, the interval is not worth printing
CONTACTED, CONTROL = "contacted", "control"


def split_groups(customer_ids: pl.Series, holdout: float, seed: int) -> pl.DataFrame:
    """customer_id, member_group: a random ``holdout`` share (rounded) held back as control.

    Reproducible: the ids are sorted first, so the same list and seed give the same split
    whatever order the list came in.
    """
    ids = customer_ids.unique().sort()
    n_control = round(holdout * ids.len())
    order = np.random.default_rng(seed).permutation(ids.len())
    control = np.zeros(ids.len(), dtype=bool)
    control[order[:n_control]] = True
    return pl.DataFrame({"customer_id": ids, "member_group": np.where(control, CONTROL, CONTACTED)})


def per_member(
    members: pl.DataFrame, purchases: pl.DataFrame, margin: float | None, cost_per_order: float
) -> pl.DataFrame:
    """One row per member: orders, revenue (net of refunds, major units) and value since the
    start. ``value`` is profit (margin × revenue − cost per order × orders) when a margin is
    set, else revenue — the same kind as the shop's CLV."""
    bought = purchases.group_by("customer_id").agg(
        orders=pl.len().cast(pl.Float64), revenue=pl.col("amount").sum()
    )
    rows = members.select("customer_id", "member_group").join(bought, on="customer_id", how="left")
    rows = rows.with_columns(pl.col("orders", "revenue").fill_null(0.0))
    value = (
        pl.col("revenue")
        if margin is None
        else margin * pl.col("revenue") - (cost_per_order * pl.col("orders"))
    )
    return rows.with_columns(responded=(pl.col("orders") > 0).cast(pl.Float64), value=value)


@dataclass(frozen=True)
class Difference:
    """contacted − control of a per-customer mean, with its 90 % interval (Welch)."""

    contacted: float
    control: float
    difference: float
    low: float
    high: float


def welch(a: np.ndarray, b: np.ndarray) -> Difference:
    """Mean of ``a`` − mean of ``b`` with a normal 90 % interval on Welch's standard error."""
    ma, mb = float(a.mean()), float(b.mean())
    va = float(a.var(ddof=1)) if a.size > 1 else 0.0
    vb = float(b.var(ddof=1)) if b.size > 1 else 0.0
    se = math.sqrt(va / a.size + vb / b.size)
    d = ma - mb
    return Difference(ma, mb, d, d - Z90 * se, d + Z90 * se)


@dataclass(frozen=True)
class CampaignResult:
    """What a campaign did, per contacted customer and in total."""

    contacted: int
    control: int
    days: int  # days of orders since the start (both groups alike)
    response: Difference  # share who bought at least once
    orders: Difference  # orders per customer
    revenue: Difference  # net revenue per customer
    value: Difference  # profit (or revenue without a margin) per customer
    value_kind: str
    cost: float  # cost per contact × contacted
    incremental_value: float  # value difference × contacted
    incremental_low: float
    incremental_high: float
    roi: float | None  # (incremental value − cost) / cost; None without a cost
    roi_low: float | None
    roi_high: float | None
    enough: bool  # both groups have at least MIN_GROUP customers

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def measure(
    rows: pl.DataFrame, *, days: int, cost_per_contact: float, value_kind: str
) -> CampaignResult:
    """Compare the groups of ``per_member`` rows: response, orders, revenue, value, and the
    campaign's incremental value and return on its cost, each with a 90 % interval."""
    groups = {g: rows.filter(pl.col("member_group") == g) for g in (CONTACTED, CONTROL)}
    n1, n0 = groups[CONTACTED].height, groups[CONTROL].height
    if n1 == 0 or n0 == 0:
        raise ValueError("both groups need at least one customer")

    def diff(col: str) -> Difference:
        return welch(groups[CONTACTED][col].to_numpy(), groups[CONTROL][col].to_numpy())

    value = diff("value")
    cost = cost_per_contact * n1
    total = (value.difference * n1, value.low * n1, value.high * n1)
    roi = [(t - cost) / cost if cost > 0 else None for t in total]
    return CampaignResult(
        contacted=n1, control=n0, days=days,
        response=diff("responded"), orders=diff("orders"), revenue=diff("revenue"),
        value=value, value_kind=value_kind, cost=cost,
        incremental_value=total[0], incremental_low=total[1], incremental_high=total[2],
        roi=roi[0], roi_low=roi[1], roi_high=roi[2],
        enough=min(n1, n0) >= MIN_GROUP,
    )  # fmt: skip


def measured_response_rate(result: CampaignResult) -> float:
    """The budget's ``winback_response_rate`` this campaign measured: the extra share of
    contacted customers who bought *because* they were contacted (contacted − control), in
    [0, 1]. The raw response of the contacted would credit the campaign with customers who
    would have come back anyway."""
    return min(max(result.response.difference, 0.0), 1.0)
