"""How much a new customer is worth paying for: allowable CPA per tier, and actual CAC.

**Why CPA = value ÷ ratio.** A new customer is worth what they will bring in, net, from the
day they are acquired. Paying all of it would leave nothing for the overheads the margin does not
cover, for the risk that the prediction is optimistic, and for profit; the common rule is to keep
lifetime value at least ``ltv_cac_ratio`` times (default 3) the acquisition cost. So the most you
should pay for a customer who will turn out like a tier's members is their expected net value at
acquisition divided by the ratio.

**Value at acquisition of a look-alike.** We cannot see a new customer's future, but we can see
what the tier's members brought from their first order on: their net value so far (margin ×
spend − cost per order × orders, or spend for revenue CLV) plus their predicted future value
(CLV). Both are discounted back to the acquisition day with the monthly discount rate — past
orders at mid-tenure (they are spread over the tenure), the future from the end of the tenure.
Acquisition cost is *not* subtracted here: it is what the CPA is compared with (``headroom``).
This is the same logic as the tiers, where acquisition cost of existing customers is sunk.

**Payback month**: the first order pays back at once (month 0); the rest of the value is taken
as arriving evenly over tenure + horizon. Undiscounted and approximate — a planning figure.
"""

from __future__ import annotations

import math
from typing import Any

import polars as pl

from clvtui.core.group_sums import sums_by
from clvtui.errors import ClvError
from clvtui.insights.segments import TIERS
from clvtui.settings import Settings

WEEKS_PER_MONTH = 365.25 / 12 / 7


def historical_net_expr(settings: Settings) -> pl.Expr:
    """Net value of the orders so far, on the same basis as the run's CLV."""
    if settings.margin is None:
        return pl.col("spend")
    return settings.margin * pl.col("spend") - settings.cost_per_order * pl.col("orders")


def first_order_net_expr(settings: Settings) -> pl.Expr:
    """Net value of an average order of the customer: what the first order pays back at once."""
    aov = pl.col("spend") / pl.col("orders").clip(lower_bound=1)
    return aov if settings.margin is None else settings.margin * aov - settings.cost_per_order


def value_at_acquisition_expr(settings: Settings) -> pl.Expr:
    """Per customer: net value from acquisition on, discounted to the acquisition day."""
    v = 1.0 / (1.0 + settings.monthly_discount_rate)
    tenure = pl.col("T") / WEEKS_PER_MONTH
    past = historical_net_expr(settings) * pl.lit(v).pow(tenure / 2.0)
    future = pl.col("clv") * pl.lit(v).pow(tenure)
    return (past + future).alias("value_at_acquisition")


def payback_month(
    cost: float, first_order: float, value: float, lifetime_months: float
) -> int | None:
    """First month in which a look-alike's cumulative net value reaches ``cost`` (None: never)."""
    if cost <= first_order:
        return 0
    rate = (value - first_order) / lifetime_months if lifetime_months > 0 else 0.0
    if rate <= 0:
        return None
    month = math.ceil((cost - first_order) / rate - 1e-12)
    return month if month <= lifetime_months + 1e-9 else None


def allowable_cpa(scored: pl.DataFrame, settings: Settings) -> pl.DataFrame:
    """One row per tier: value at acquisition of a look-alike, allowable CPA, payback month.

    ``scored`` needs tier, clv, spend, orders, T. ``headroom`` = allowable CPA − the known
    acquisition cost (null when acquisition cost is unknown, i.e. 0). ``first_order`` (mean net
    value of an order) and ``lifetime_months`` (tenure + horizon) feed the payback month.
    """
    per = scored.select(
        "tier",
        value_at_acquisition_expr(settings),
        first_order_net_expr(settings).alias("first_order"),
        (pl.col("T") / WEEKS_PER_MONTH).alias("tenure_months"),
    )
    # means as sums in row order ÷ counts: a group-by's mean added its threads' partial sums
    # in any order, and the last digits of the JSON changed from run to run
    means = ("value_at_acquisition", "first_order", "tenure_months")
    counted = per.with_columns(
        pl.col(c).is_not_null().cast(pl.Float64).alias(f"n_{c}") for c in means
    )
    agg = sums_by(counted, ["tier"], [*means, *(f"n_{c}" for c in means)]).select(
        "tier", "customers", *(pl.col(c) / pl.col(f"n_{c}") for c in means)
    )
    rows: list[tuple[Any, ...]] = []
    by_tier = {r["tier"]: r for r in agg.to_dicts()}
    for name in TIERS:
        r = by_tier.get(name)
        if r is None:
            rows.append((name, 0, 0.0, 0.0, None, None, 0.0, 0.0))
            continue
        value = float(r["value_at_acquisition"])
        cpa = max(value, 0.0) / settings.ltv_cac_ratio
        lifetime = float(r["tenure_months"]) + settings.horizon_months
        pay = payback_month(cpa, float(r["first_order"]), value, lifetime) if cpa > 0 else None
        headroom = cpa - settings.acquisition_cost if settings.acquisition_cost > 0 else None
        rows.append(
            (name, int(r["customers"]), value, cpa, pay, headroom, r["first_order"], lifetime)
        )
    return pl.DataFrame(
        rows,
        schema={
            "name": pl.Utf8,
            "customers": pl.Int64,
            "value_at_acquisition": pl.Float64,
            "allowable_cpa": pl.Float64,
            "payback_month": pl.Int64,
            "headroom": pl.Float64,
            "first_order": pl.Float64,
            "lifetime_months": pl.Float64,
        },
        orient="row",
    )


def _norm_channel(col: str) -> pl.Expr:
    return pl.col(col).fill_null("(none)").str.strip_chars().str.to_lowercase()


def actual_cac(spend: pl.DataFrame, cohorts: pl.DataFrame, exponent: int) -> pl.DataFrame:
    """Actual CAC per acquisition month and channel beside the cohort's predicted CLV.

    ``spend``: month, channel, amount_minor, currency (the marketing_spend table);
    ``cohorts``: month, channel, new_customers, clv_total (new customers of each month).
    Channels match case- and space-insensitively; each month also gets an "(all)" row, the
    honest figure when the shop's channel labels and the spend sheet's do not line up.
    ``ltv_cac`` = mean predicted CLV ÷ CAC — compare it with the target ratio.
    """
    currencies = spend["currency"].unique().to_list()
    if len(currencies) > 1:
        raise ClvError(f"marketing spend mixes currencies ({', '.join(sorted(currencies))})")
    s = spend.with_columns(
        _norm_channel("channel"), (pl.col("amount_minor") / 10**exponent).alias("spend")
    )
    c = _summed(
        cohorts.select("month", _norm_channel("channel"), "new_customers", "clv_total"),
        ["month", "channel"],
    )
    s = _summed(s.select("month", "channel", "spend"), ["month", "channel"])
    per_channel = s.join(c, on=["month", "channel"], how="left")
    all_spend = _summed(s.drop("channel"), ["month"])
    all_new = _summed(c.drop("channel"), ["month"])
    per_month = all_spend.join(all_new, on="month", how="left").with_columns(
        pl.lit("(all)").alias("channel")
    )
    out = pl.concat([per_channel, per_month.select(per_channel.columns)], how="vertical")
    n = pl.col("new_customers").fill_null(0)
    return (
        out.with_columns(n.alias("new_customers"), pl.col("clv_total").fill_null(0.0))
        .with_columns(
            pl.when(n > 0).then(pl.col("spend") / n).otherwise(None).alias("cac"),
            pl.when(n > 0).then(pl.col("clv_total") / n).otherwise(None).alias("clv_mean"),
        )
        .with_columns((pl.col("clv_mean") / pl.col("cac")).alias("ltv_cac"))
        .select("month", "channel", "spend", "new_customers", "cac", "clv_mean", "ltv_cac")
        .sort("month", "channel")
    )


def _summed(frame: pl.DataFrame, by: list[str]) -> pl.DataFrame:
    """``frame``'s other columns (spend, new customers, CLV) summed per group of ``by`` in row
    order (``sums_by``): a group-by's float sums changed in their last digits from run to run."""
    columns = [c for c in frame.columns if c not in by]
    sums = sums_by(frame, by, columns, count="_rows").drop("_rows")
    if "new_customers" in columns:
        sums = sums.with_columns(pl.col("new_customers").cast(pl.Int64))
    return sums


def overall_cac(table: pl.DataFrame) -> float | None:
    """Spend ÷ new customers over every month with spend: the price of a customer, observed."""
    alls = table.filter(pl.col("channel") == "(all)")
    n = int(alls["new_customers"].sum()) if alls.height else 0
    return float(alls["spend"].sum()) / n if n > 0 else None
