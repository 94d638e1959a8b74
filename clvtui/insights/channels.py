"""What each acquisition channel (first product, discount code, country) may pay for a customer.

**Value at acquisition** of a group is the mean, over the customers acquired through it, of
``acquisition.value_at_acquisition_expr``: their net value so far plus their predicted CLV,
discounted to the day they were acquired — the same figure the tiers' allowable CPA uses.
**Allowable CPA** = max(value, 0) ÷ ``ltv_cac_ratio``.

**90 % interval** of the group's value: two sources, combined in quadrature. (1) Which customers
a channel happens to bring: the standard error of the mean, 1.645 · sd / √n. (2) The model:
each customer's CLV band moved to its low (high) end together — the bands share the fitted
parameters, so they move together, not independently. A group with fewer than
:data:`MIN_GROUP` customers gets no CPA: its mean would be mostly noise.

**Actual CAC** per channel (imported marketing spend): spend ÷ new customers acquired through
that channel in the months with spend (channels matched case- and space-insensitively). The
**verdict** compares it with the allowable CPA's interval: *over* when even the high end is
below the CAC, *under* when the low end is above it, else *about right*.

**Budget by channel**: each channel's response is the look-alike curve of ``insights.budget``,
value(s) = V · (k / c)(1 − e^(−s/k)), c the channel's CAC (else the shop's acquisition price),
k = ``acquisition_saturation`` × total / ln 2. The marginal return V/c · e^(−s/k) is equalised
in closed form (water level λ: s = k · ln(V/c ÷ λ)), never below ``ltv_cac_ratio`` unless
``allow_below_target``; what no channel can use at that return stays unallocated.
"""

from __future__ import annotations

import math
from typing import Any

import polars as pl

from clvtui.core.group_sums import sums_by
from clvtui.core.normal import Z90
from clvtui.insights.acquisition import WEEKS_PER_MONTH, historical_net_expr
from clvtui.settings import Settings

MIN_GROUP = 30  # customers: below this a group's mean value is mostly noise
GROUPINGS = ("channel", "first_product", "discount_code", "country")
NONE_LABEL = "(none)"
_OUT = ["group", "customers", "value", "value_low", "value_high", "enough", "allowable_cpa",
        "cpa_low", "cpa_high"]  # fmt: skip


def _value(clv: str, settings: Settings) -> pl.Expr:
    v = 1.0 / (1.0 + settings.monthly_discount_rate)
    tenure = pl.col("T") / WEEKS_PER_MONTH
    past = historical_net_expr(settings) * pl.lit(v).pow(tenure / 2.0)
    return past + pl.col(clv) * pl.lit(v).pow(tenure)


def group_key(by: str) -> pl.Expr:
    """The group label: trimmed text, "(none)" when the customer has no value for it."""
    text = pl.col(by).cast(pl.Utf8).str.strip_chars()
    return pl.when(text.str.len_chars() > 0).then(text).otherwise(pl.lit(NONE_LABEL))


def channel_values(
    scored: pl.DataFrame, by: str, settings: Settings, min_group: int = MIN_GROUP
) -> pl.DataFrame:
    """One row per group (most customers first): customers, value at acquisition with its
    90 % interval, allowable CPA with its interval (null below ``min_group`` customers).

    ``scored`` needs ``by``, clv, clv_low, clv_high, spend, orders, T (a run's scores)."""
    per = scored.select(
        group_key(by).alias("group"),
        _value("clv", settings).alias("v"),
        _value("clv_low", settings).alias("v_low"),
        _value("clv_high", settings).alias("v_high"),
    )
    agg = per.group_by("group").agg(
        customers=pl.len(),
        value=pl.col("v").mean(),
        sd=pl.col("v").std(),
        model_low=pl.col("v_low").mean(),
        model_high=pl.col("v_high").mean(),
    )
    sampling = Z90 * pl.col("sd").fill_null(0.0) / pl.col("customers").cast(pl.Float64).sqrt()
    down = (sampling**2 + (pl.col("value") - pl.col("model_low")) ** 2).sqrt()
    up = (sampling**2 + (pl.col("model_high") - pl.col("value")) ** 2).sqrt()
    enough = pl.col("customers") >= min_group
    ratio = settings.ltv_cac_ratio
    return (
        agg.with_columns(value_low=pl.col("value") - down, value_high=pl.col("value") + up)
        .with_columns(
            enough=enough,
            allowable_cpa=pl.when(enough).then(pl.col("value").clip(lower_bound=0.0) / ratio),
            cpa_low=pl.when(enough).then(pl.col("value_low").clip(lower_bound=0.0) / ratio),
            cpa_high=pl.when(enough).then(pl.col("value_high").clip(lower_bound=0.0) / ratio),
        )
        .select(*_OUT)
        .sort(["customers", "group"], descending=[True, False])
    )


def norm_label(col: str) -> pl.Expr:
    """Channel names as the spend sheet and the orders may spell them: trimmed, lower case."""
    return pl.col(col).fill_null(NONE_LABEL).str.strip_chars().str.to_lowercase()


def channel_cac(cac_table: pl.DataFrame) -> pl.DataFrame:
    """Per channel (normalised): spend and new customers over the months with spend, CAC.

    ``cac_table``: ``acquisition.actual_cac``'s month × channel rows ("(all)" rows dropped)."""
    rows = cac_table.filter(pl.col("channel") != "(all)")
    sums = sums_by(rows.select("channel", "spend", "new_customers"), ["channel"],
                   ["spend", "new_customers"], count="_rows")  # fmt: skip
    return (
        sums.drop("_rows")
        .with_columns(pl.col("new_customers").cast(rows.schema["new_customers"]))
        .with_columns(
            cac=pl.when(pl.col("new_customers") > 0).then(pl.col("spend") / pl.col("new_customers"))
        )
        .rename({"channel": "key"})
    )


def with_cac(values: pl.DataFrame, cac: pl.DataFrame | None) -> pl.DataFrame:
    """The value table with spend, new customers, actual CAC and the verdict per channel."""
    if cac is None:
        return values.with_columns(
            spend=pl.lit(None, pl.Float64), cac=pl.lit(None, pl.Float64),
            verdict=pl.lit(None, pl.Utf8),
        )  # fmt: skip
    joined = values.with_columns(key=norm_label("group")).join(
        cac.select("key", "spend", "cac"), on="key", how="left", maintain_order="left"
    )
    c = pl.col("cac")
    verdict = (
        pl.when(c.is_null() | pl.col("allowable_cpa").is_null())
        .then(pl.lit(None, pl.Utf8))
        .when(c > pl.col("cpa_high"))
        .then(pl.lit("over: pays more than its customers are worth"))
        .when(c < pl.col("cpa_low"))
        .then(pl.lit("under: room to pay more"))
        .otherwise(pl.lit("about right"))
    )
    return joined.with_columns(verdict=verdict).drop("key")


def split_budget(
    table: pl.DataFrame, total: float, settings: Settings, default_cost: float | None
) -> dict[str, Any]:
    """Split ``total`` across the groups by what their customers are worth (see module doc).

    Returns allocations (group, spend, expected customers and value, cost per customer used,
    its source), the unallocated amount and why."""
    k = settings.acquisition_saturation * total / math.log(2)
    floor = 0.0 if settings.allow_below_target else settings.ltv_cac_ratio
    cands = []
    for r in table.filter(pl.col("enough")).iter_rows(named=True):
        cost, source = (r.get("cac"), "actual CAC") if r.get("cac") else (default_cost, "")
        if not cost or cost <= 0 or r["value"] <= 0:
            continue
        cands.append((r["group"], r["value"], cost, source or "acquisition price"))
    spends = _water_level(k, [v / c for _, v, c, _ in cands], total, floor)
    allocations = []
    for (group, value, cost, source), s in zip(cands, spends, strict=True):
        if s <= 0:
            continue
        n = (k / cost) * (1.0 - math.exp(-s / k))
        allocations.append({"group": group, "spend": round(s, 2), "customers": round(n, 1),
                            "expected_value": round(n * value, 2), "cost_per_customer": cost,
                            "cost_source": source})  # fmt: skip
    used = sum(a["spend"] for a in allocations)
    left = round(max(total - used, 0.0), 2)
    why = None
    if left > 0.005:
        why = f"no channel returns {settings.ltv_cac_ratio:g}× its cost beyond this"
        if not cands:
            why = "no channel with enough customers, a positive value and a known cost"
            if not default_cost:
                why += (" (set acquisition_cost, or import marketing spend: clvtui spend "
                        "import FILE)")  # fmt: skip
    return {"total": total, "allocations": allocations, "unallocated": left, "reason": why}


def _water_level(k: float, returns: list[float], total: float, floor: float) -> list[float]:
    """Spends s_i = k · ln(R_i / λ) ≥ 0 with Σ s = total, λ ≥ ``floor`` (then Σ s ≤ total)."""
    if not returns or total <= 0:
        return [0.0] * len(returns)
    active = sorted(range(len(returns)), key=lambda i: -returns[i])
    while active:
        logs = [math.log(returns[i]) for i in active]
        level = max((sum(logs) - total / k) / len(active), math.log(floor) if floor > 0 else -1e9)
        if returns[active[-1]] > math.exp(level) or len(active) == 1:
            break
        active.pop()
    out = [0.0] * len(returns)
    for i in active:
        out[i] = max(k * (math.log(returns[i]) - level), 0.0)
    return out
