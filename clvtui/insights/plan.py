"""The revenue-target planner: how far the existing customers carry a revenue goal, and what the
rest costs in new customers (``clvtui plan``, the Cohorts screen's Plan panel).

1. **The existing base, month by month.** Each customer's expected orders in each month after
   as-of come from the fitted model (``insights.forecast``: the run's stored expected orders,
   spread over time by the model's own curve), times their expected spend (revenue) or their
   order value (net). Summed per month and per tier.
2. **Its 90 % interval** combines two sources, in quadrature: *parameter uncertainty* — the run's
   customer-equity band (200 draws of both fitted models, ``model.clv``) taken as a relative
   band — and *process noise*, the Poisson-gamma variance of the orders that many customers
   will actually place (closed form, ``forecast.variance_factor``).
3. **The gap** = goal − expected revenue of the base over the plan months.
4. **What a new customer brings** within the plan: the revenue per acquired customer in their
   first months, from the recent cohorts (acquired in the 12 months before as-of; actual, then
   the model's expectation — ``insights.cohorts``), averaged over a plan in which new customers
   arrive evenly month by month. Its interval is the cohorts' band.
5. **New customers needed** = gap ÷ that value; **allowable CPA** = the value at acquisition of a
   recent customer ÷ the LTV:CAC ratio (``insights.acquisition``, the same rule as ``budget``);
   **implied budget** = customers needed × allowable CPA. When the known acquisition cost per
   customer is above the allowable CPA (or a new customer brings nothing), the goal is out of
   reach at the allowed CPA, and the plan says so.
6. **Retention uplift**: the what-if rule (``insights.whatif``) — P(alive) + u(1 − P(alive)) —
   scales each customer's expected orders, and the gap is recomputed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from clvtui.core.group_sums import sums_by
from clvtui.core.normal import Z90
from clvtui.insights.forecast import (
    WEEKS_PER_MONTH,
    OrderPaths,
    group_sums,
    order_paths,
    variance_factor,
)
from clvtui.settings import Settings

RECENT_MONTHS = 12
MIN_RECENT_CUSTOMERS = 500  # a new customer is judged on at least this many


@dataclass(frozen=True)
class ModelRef:
    """The fitted purchase model of a run and its customer-equity band (relative)."""

    model: str
    params: dict[str, float | None]
    band_low: float = 1.0  # equity_low ÷ equity
    band_high: float = 1.0


@dataclass
class BaseForecast:
    """Expected revenue and net value of the existing customers per month, with bands."""

    monthly: pl.DataFrame  # month, revenue, revenue_low, revenue_high, net
    by_tier: pl.DataFrame  # tier, customers, revenue, net
    revenue: float
    revenue_low: float
    revenue_high: float
    net: float


@dataclass
class NewCustomerValue:
    """Revenue a new customer brings within the plan, from recent cohorts."""

    value: float
    low: float
    high: float
    cohorts: int
    customers: int
    curve: list[float]  # cumulative revenue per customer by month since acquisition (0-based)


@dataclass
class Plan:
    goal: float
    months: int
    value_kind: str
    base: BaseForecast
    new_customer: NewCustomerValue
    allowable_cpa: float
    acquisition_cost: float | None
    acquisition_cost_source: str | None
    uplift: dict[str, Any]
    verdict: str = ""
    method: list[str] = field(default_factory=list)

    @property
    def gap(self) -> float:
        return self.goal - self.base.revenue

    def needed(self, gap: float) -> float:
        value = self.new_customer.value
        return max(gap, 0.0) / value if value > 0 else float("inf")

    def to_json(self) -> dict[str, Any]:
        nc = self.new_customer
        gap_band = (self.goal - self.base.revenue_high, self.goal - self.base.revenue_low)
        n_band = (
            self.needed(gap_band[0]) if nc.high <= 0 else max(gap_band[0], 0.0) / nc.high,
            self.needed(gap_band[1]) if nc.low <= 0 else max(gap_band[1], 0.0) / nc.low,
        )
        needed = self.needed(self.gap)
        return {
            "goal": self.goal,
            "months": self.months,
            "value_kind": self.value_kind,
            "base": {
                "revenue": self.base.revenue,
                "revenue_low": self.base.revenue_low,
                "revenue_high": self.base.revenue_high,
                "net": self.base.net,
                "monthly": self.base.monthly.to_dicts(),
                "by_tier": self.base.by_tier.to_dicts(),
            },
            "gap": self.gap,
            "gap_low": gap_band[0],
            "gap_high": gap_band[1],
            "new_customer": {
                "value": nc.value,
                "low": nc.low,
                "high": nc.high,
                "cohorts": nc.cohorts,
                "customers": nc.customers,
                "curve": nc.curve,
            },
            "new_customers_needed": needed,
            "new_customers_needed_low": n_band[0],
            "new_customers_needed_high": n_band[1],
            "allowable_cpa": self.allowable_cpa,
            "implied_budget": needed * self.allowable_cpa,
            "acquisition_cost": self.acquisition_cost,
            "acquisition_cost_source": self.acquisition_cost_source,
            "reachable": self.reachable,
            "retention_uplift": self.uplift,
            "verdict": self.verdict,
            "method": self.method,
        }

    @property
    def reachable(self) -> bool:
        if self.gap <= 0:
            return True
        if self.new_customer.value <= 0 or self.allowable_cpa <= 0:
            return False
        cost = self.acquisition_cost
        return cost is None or cost <= self.allowable_cpa


@dataclass(frozen=True)
class TierGroups:
    """The customers' tiers as :func:`insights.group_sums.sums_by` groups them (in order of
    first appearance), made once for the base and its uplift scenario."""

    names: pl.Series
    index: np.ndarray  # each customer's row of ``names``


def tier_groups(tiers: pl.Series) -> TierGroups | None:
    """The tiers' groups; None when a tier is missing (``sums_by`` then groups the nulls)."""
    if tiers.null_count():
        return None
    names = tiers.unique(maintain_order=True)
    rows = pl.int_range(0, names.len(), dtype=pl.UInt32, eager=True)
    index = tiers.replace_strict(names, rows, return_dtype=pl.UInt32).to_numpy()
    return TierGroups(names, index)


def _by_tier(
    scored: pl.DataFrame, groups: TierGroups | None, revenue: np.ndarray, net: np.ndarray
) -> pl.DataFrame:
    """Customers, revenue and net per tier, each tier's sum in customer order (the bits of
    ``sums_by``, without grouping the million tiers again for the uplift scenario)."""
    if groups is None:
        tiers = scored.select("tier").with_columns(
            pl.Series("revenue", revenue), pl.Series("net", net)
        )
        return sums_by(tiers, ["tier"], ["revenue", "net"])
    n = groups.names.len()
    return groups.names.to_frame().with_columns(
        pl.Series("customers", np.bincount(groups.index, minlength=n), dtype=pl.UInt32),
        pl.Series("revenue", np.bincount(groups.index, revenue, minlength=n)),
        pl.Series("net", np.bincount(groups.index, net, minlength=n)),
    )


def base_paths(scored: pl.DataFrame, ref: ModelRef, settings: Settings, months: int) -> OrderPaths:
    """The customers' order paths at each month end of the plan (the base and its uplift
    scenario share them: the uplift scales the orders, not their timing)."""
    weeks = [j * WEEKS_PER_MONTH for j in range(months + 1)]
    x, T = (scored[c].to_numpy().astype(float, copy=False) for c in ("x", "T"))
    horizon = settings.horizon_months * WEEKS_PER_MONTH
    return order_paths(ref.model, ref.params, x, T, weeks, horizon)


def base_forecast(
    scored: pl.DataFrame,
    ref: ModelRef,
    settings: Settings,
    months: int,
    as_of_month: int,
    paths: OrderPaths | None = None,
    tiers: TierGroups | None = None,
) -> BaseForecast:
    """Expected revenue of the existing customers in each of ``months`` months after as-of.

    ``scored``: customer_id, tier, x, T, p_alive, expected_orders, expected_spend (and
    ``uplift``, a per-customer factor on expected orders, when present). ``as_of_month``: the
    calendar month number (year × 12 + month − 1) of as-of, to label the months. ``paths``:
    :func:`base_paths` of these customers, when already computed; ``tiers``:
    :func:`tier_groups` of their tiers, likewise.
    """

    def col(name: str) -> np.ndarray:
        return scored[name].to_numpy().astype(float, copy=False)

    x = col("x")
    paths = paths or base_paths(scored, ref, settings, months)
    stored = col("expected_orders")
    if "uplift" in scored.columns:
        stored = stored * col("uplift")
    spend = col("expected_spend")
    unit = spend if settings.margin is None else settings.margin * spend - settings.cost_per_order
    factor = variance_factor(ref.model, ref.params, x, col("p_alive"))
    monthly_shares = np.diff(paths.shares, axis=1)  # orders placed within each month
    terms = [(stored * spend, 1), (stored * unit, 1), (stored * spend**2, 1)]
    if factor is not None:
        terms.append((stored**2 * factor * spend**2, 2))
    one = np.zeros(len(x), dtype=np.int64)
    revenue, net, *var = (s[0] for s in group_sums(monthly_shares, paths.pair, one, 1, terms))
    del terms, one, monthly_shares  # memory: four customer-long arrays, before the totals
    sd = np.sqrt(sum(var))
    lows, highs = _band(revenue, sd, ref)
    labels = [_month_label(as_of_month + j) for j in range(1, months + 1)]
    monthly = pl.DataFrame({"month": labels, "revenue": revenue, "revenue_low": lows,
                            "revenue_high": highs, "net": net})  # fmt: skip
    total = stored * paths.at(months)
    total_var = total + total**2 * factor if factor is not None else total
    total_sd = float(np.sqrt((total_var * spend**2).sum()))
    t_rev = float(total @ spend)
    t_low, t_high = _band(np.array([t_rev]), np.array([total_sd]), ref)
    by_tier = _by_tier(scored, tiers, total * spend, total * unit)
    return BaseForecast(monthly, by_tier.sort("revenue", descending=True), t_rev,
                        float(t_low[0]), float(t_high[0]), float(total @ unit))  # fmt: skip


def _band(point: np.ndarray, sd: np.ndarray, ref: ModelRef) -> tuple[np.ndarray, np.ndarray]:
    """Relative parameter band and process noise, in quadrature; never below zero."""
    down = np.hypot(point * (1.0 - min(ref.band_low, 1.0)), Z90 * sd)
    up = np.hypot(point * (max(ref.band_high, 1.0) - 1.0), Z90 * sd)
    return np.maximum(point - down, 0.0), point + up


def _month_label(number: int) -> str:
    return f"{number // 12}-{number % 12 + 1:02d}"


def recent_cohorts(rows: pl.DataFrame, last_cohort: int) -> pl.DataFrame:
    """The cohorts a new customer is judged by: those acquired in the 12 months up to
    ``last_cohort``, reaching further back until they hold ``MIN_RECENT_CUSTOMERS`` (or all)."""
    ordered = rows.select("cohort", "customers").sort("cohort", descending=True)
    before = ordered["customers"].cum_sum() - ordered["customers"]
    return ordered.filter(
        (pl.col("cohort") > last_cohort - RECENT_MONTHS) | (before < MIN_RECENT_CUSTOMERS)
    )


def new_customer_value(
    cells: pl.DataFrame, rows: pl.DataFrame, last_cohort: int, months: int
) -> NewCustomerValue:
    """Revenue per new customer within a plan of ``months`` months (arrivals spread evenly),
    from the monthly revenue cohorts of :func:`recent_cohorts`.

    Band: the cohorts' own 90 % bands (size-weighted) widened in quadrature by the
    cohort-to-cohort spread of the plan value (its standard error over the cohorts)."""
    recent = recent_cohorts(rows, last_cohort)
    c = cells.join(recent, on="cohort").filter(pl.col("offset") < months)
    weighted = [(pl.col(k) * pl.col("customers")).sum() / pl.col("customers").sum()
                for k in ("value", "low", "high")]  # fmt: skip
    per = c.group_by("offset").agg(weighted).sort("offset")
    if per.height < months or not recent.height:
        return NewCustomerValue(0.0, 0.0, 0.0, recent.height, 0, per["value"].to_list())
    by_cohort = (  # sorted: the spread's sums then add in one order (a group-by's is any)
        c.group_by("cohort").agg(pl.col("value").sum() / months, pl.col("customers").first())
    ).sort("cohort")
    value = float(
        np.mean(per["value"].to_numpy())
    )  # arrivals evenly over the plan: the curve's mean
    se = 0.0
    if by_cohort.height > 1:
        w = by_cohort["customers"].to_numpy() / by_cohort["customers"].sum()
        v = by_cohort["value"].to_numpy()
        se = float(np.sqrt(np.sum(w * (v - np.sum(w * v)) ** 2) / (by_cohort.height - 1)))
    low = value - float(np.hypot(value - float(np.mean(per["low"].to_numpy())), Z90 * se))
    high = value + float(np.hypot(float(np.mean(per["high"].to_numpy())) - value, Z90 * se))
    return NewCustomerValue(value, max(low, 0.0), high, recent.height,
                            int(recent["customers"].sum()), per["value"].to_list())  # fmt: skip


def recent_allowable_cpa(scored: pl.DataFrame, settings: Settings, weeks: float) -> float:
    """The most to pay for a new customer: a recent customer's value at acquisition ÷ the
    LTV:CAC ratio (customers of :func:`recent_cohorts`, i.e. at most ``weeks`` old)."""
    from clvtui.insights.acquisition import value_at_acquisition_expr

    used = scored.select(c for c in ("T", "clv", "spend", "orders") if c in scored.columns)
    recent = used.filter(pl.col("T") <= weeks)  # not every column: ids are 1 M texts
    recent = recent if recent.height else used
    values = recent.select(value_at_acquisition_expr(settings)).to_series().to_numpy()
    value = float(np.mean(values)) if values.size else 0.0
    return max(value, 0.0) / settings.ltv_cac_ratio


def plan_revenue(
    goal: float,
    months: int,
    base: BaseForecast,
    uplifted: BaseForecast,
    uplift: float,
    new: NewCustomerValue,
    cpa: float,
    cost: tuple[float | None, str | None],
    settings: Settings,
) -> Plan:
    """Put the pieces together, with the plain-words verdict and the uplift scenario."""
    plan = Plan(goal, months, settings.value_kind, base, new, cpa, cost[0], cost[1], {})
    gap_up = goal - uplifted.revenue
    plan.uplift = {
        "retention_uplift": uplift,
        "revenue": uplifted.revenue,
        "revenue_low": uplifted.revenue_low,
        "revenue_high": uplifted.revenue_high,
        "gap": gap_up,
        "new_customers_needed": plan.needed(gap_up),
        "implied_budget": plan.needed(gap_up) * cpa,
    }
    plan.verdict = verdict(plan)
    plan.method = [
        "base: the run's expected orders per customer, spread over the months by the fitted "
        "model, × expected spend; 90 % band = the run's customer-equity parameter band and "
        "Poisson-gamma process noise, in quadrature",
        f"a new customer: revenue per acquired customer in their first {months} months from the "
        f"{new.cohorts} most recent monthly cohorts ({new.customers:,} customers; actual, then "
        "expected), arrivals spread evenly over the plan",
        f"allowable CPA: value at acquisition of recent customers ÷ {settings.ltv_cac_ratio:g}",
    ]
    return plan


def verdict(plan: Plan) -> str:
    """One plain sentence: reached by the base, reachable at the allowed CPA, or not."""
    base = plan.base
    if plan.gap <= 0:
        sure = base.revenue_low >= plan.goal
        return (
            f"Your existing customers are expected to bring {base.revenue:,.0f} in {plan.months} "
            f"months, {'above' if sure else 'around'} the goal of {plan.goal:,.0f}"
            + ("." if sure else " — but the goal is inside the 90 % band, so not certain.")
        )
    needed = plan.needed(plan.gap)
    if plan.new_customer.value <= 0:
        return (
            f"The goal is out of reach: the gap is {plan.gap:,.0f} and recent new customers "
            "bring no revenue to measure within the plan."
        )
    cost = plan.acquisition_cost
    if plan.allowable_cpa <= 0 or (cost is not None and cost > plan.allowable_cpa):
        return (
            f"The goal is out of reach at the allowed CPA: closing the gap of {plan.gap:,.0f} "
            f"takes about {needed:,.0f} new customers, and at {cost or 0:,.2f} each they cost "
            f"more than the {plan.allowable_cpa:,.2f} a new customer is worth paying."
        )
    return (
        f"Closing the gap of {plan.gap:,.0f} takes about {needed:,.0f} new customers in "
        f"{plan.months} months; paying at most {plan.allowable_cpa:,.2f} each, a budget of up "
        f"to {needed * plan.allowable_cpa:,.0f}."
    )
