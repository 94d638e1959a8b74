"""Split a marketing budget between winning back customers and acquiring look-alikes.

**Why equalise marginal returns.** Every target (win-back of valuable customers slipping away,
look-alikes of each tier) gets less back from each extra unit of money: the best win-back
candidates are contacted first, and an audience of look-alikes gets dearer as it is exhausted.
With such diminishing returns the budget earns the most when no unit could be moved from one
target to another and earn more — i.e. when the last unit spent on every target returns the
same. We get there by water-filling: hand out the budget in small steps, each to the target whose
next step returns most.

**Stopping rule.** A step is only worth taking if it returns at least ``ltv_cac_ratio`` times
its cost (the same bar as the allowable CPA). Money no target can put to work at that return is
reported as *unallocated*, with the reason — unless ``allow_below_target`` is set, in which case
it goes where it still returns something. Allocations + unallocated = the total, always.

**Response curves** (the assumptions, all named settings):
- Win-back: candidates are customers in the two valuable tiers who are no longer active, ranked
  by value at stake, CLV × (1 − P(alive)) (see ``segments.value_at_stake``). Each contact costs
  ``winback_cost_per_contact``; a share ``winback_response_rate`` of the contacted respond and
  keep the value at stake: expected value of contacting customer i = rate × CLV_i ×
  (1 − P(alive)_i); customers kept = rate × (1 − P(alive)_i) (the lapsed ones who come back).
- Acquisition of look-alikes of a tier: value(s) = V · N(s), N(s) = (k / c) (1 − exp(−s / k)):
  the first customers cost ``c`` (the acquisition cost — set, or observed from imported spend),
  and the marginal return halves every ``acquisition_saturation`` × budget spent
  (k = saturation × total / ln 2) — but no audience is endless: at most ``lookalike_pool`` new
  look-alikes per existing tier member can be won (k ≤ pool × tier size × c, as N(∞) = k / c).
  V = value at acquisition of a look-alike (``acquisition``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from clvtui.errors import SettingsError
from clvtui.insights.acquisition import payback_month
from clvtui.insights.segments import ACTIVE, VALUABLE, value_at_stake
from clvtui.settings import Settings

STEPS = 2000  # budget handed out in 1/2000 steps: allocations within 0.05 % of the optimum
WINBACK = "win-back: valuable customers slipping away"


@dataclass
class Allocation:
    target: str
    kind: str  # "retention" | "acquisition"
    tier: str | None
    spend: float = 0.0
    expected_value: float = 0.0
    customers: float = 0.0  # won (acquisition) or kept (retention), expected
    contacts: float | None = None
    marginal_return: float | None = None  # value per unit of the last step taken
    payback_month: int | None = None

    @property
    def roi(self) -> float | None:
        """(expected value − spend) ÷ spend."""
        return (self.expected_value - self.spend) / self.spend if self.spend > 0 else None

    def to_json(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "kind": self.kind,
            "tier": self.tier,
            "spend": round(self.spend, 2),
            "expected_value": round(self.expected_value, 2),
            "roi": None if self.roi is None else round(self.roi, 4),
            "customers": round(self.customers, 1),
            "contacts": None if self.contacts is None else round(self.contacts, 1),
            "marginal_return": None
            if self.marginal_return is None
            else round(self.marginal_return, 4),
            "payback_month": self.payback_month,
        }


@dataclass
class BudgetPlan:
    total: float
    allocations: list[Allocation]
    unallocated: float
    unallocated_reason: str | None
    assumptions: dict[str, Any]
    skipped: list[dict[str, str]] = field(default_factory=list)

    @property
    def expected_value(self) -> float:
        return sum(a.expected_value for a in self.allocations)

    @property
    def spent(self) -> float:
        return sum(a.spend for a in self.allocations)

    def to_json(self) -> dict[str, Any]:
        spent = self.spent
        return {
            "total": self.total,
            "allocations": [a.to_json() for a in self.allocations],
            "unallocated": round(self.unallocated, 2),
            "unallocated_reason": self.unallocated_reason,
            "expected_value": round(self.expected_value, 2),
            "roi": round((self.expected_value - spent) / spent, 4) if spent > 0 else None,
            "assumptions": self.assumptions,
            "skipped": self.skipped,
        }


class _Winback:
    """Piecewise-linear concave value of spend: contacts in order of value per contact."""

    def __init__(self, gains: np.ndarray, kept: np.ndarray, cost: float) -> None:
        order = np.argsort(-gains, kind="stable")
        self.cost = cost
        self.cum_value = np.concatenate([[0.0], np.cumsum(gains[order])])
        self.cum_kept = np.concatenate([[0.0], np.cumsum(kept[order])])
        self.n = len(gains)

    def _interp(self, cum: np.ndarray, spend: float) -> float:
        contacts = min(spend / self.cost, self.n) if self.cost > 0 else float(self.n)
        i = min(int(contacts), self.n - 1)
        return float(cum[i] + (contacts - i) * (cum[i + 1] - cum[i]))

    def value(self, spend: float) -> float:
        return self._interp(self.cum_value, spend)

    def cap(self, floor: float) -> float:
        """Most spend whose every contact returns at least ``floor`` per unit (> 0 if floor 0)."""
        gains = np.diff(self.cum_value)
        worth = gains >= floor * self.cost if floor > 0 else gains > 0
        return float(np.count_nonzero(worth)) * self.cost

    def customers(self, spend: float) -> float:
        return self._interp(self.cum_kept, spend)


class _LookAlikes:
    """value(s) = V · (k / c) · (1 − exp(−s / k)): concave, first customers cost ``c``."""

    def __init__(self, value_each: float, cost_each: float, k: float) -> None:
        self.v, self.c, self.k = value_each, cost_each, k

    def customers(self, spend: float) -> float:
        if self.k <= 0:  # a budget so small its saturation scale rounds to 0: nobody to win
            return 0.0
        return self.k / self.c * -math.expm1(-spend / self.k)

    def value(self, spend: float) -> float:
        return self.v * self.customers(spend)

    def cap(self, floor: float) -> float:
        """Spend at which the marginal return (V / c) exp(−s / k) falls to ``floor``."""
        if floor <= 0:
            return math.inf
        best = self.v / self.c
        return self.k * math.log(best / floor) if best > floor else 0.0


def acquisition_price(settings: Settings, observed: float | None) -> tuple[float | None, str]:
    """What a new customer costs in the plan, and where that figure comes from: the
    ``acquisition_cost`` setting when set, else the CAC observed from imported spend."""
    if settings.acquisition_cost <= 0 and observed is not None:
        return observed, "marketing spend ÷ new customers"
    return None, "setting acquisition_cost"


def plan_budget(
    total: float,
    scored: pl.DataFrame,
    acquisition: pl.DataFrame,
    settings: Settings,
    *,
    acquisition_cost: float | None = None,
    acquisition_cost_source: str = "setting acquisition_cost",
) -> BudgetPlan:
    """Water-fill ``total`` over win-back and per-tier look-alike acquisition.

    ``scored``: tier, risk, clv, p_alive per customer. ``acquisition``: the table of
    ``acquisition.allowable_cpa`` (name, value_at_acquisition, ...). ``acquisition_cost``: price
    of the first look-alikes (None → the setting when > 0; else acquisition is skipped, said so).
    """
    if not math.isfinite(total) or total < 0:
        raise SettingsError(f"the budget must be a positive amount (got {total})")
    if acquisition_cost is None and settings.acquisition_cost > 0:
        acquisition_cost = settings.acquisition_cost
    allocations: list[Allocation] = []
    curves: list[Any] = []
    skipped: list[dict[str, str]] = []
    _winback_target(scored, settings, allocations, curves, skipped)
    tier_meta = _acquisition_targets(
        acquisition, settings, total, acquisition_cost, allocations, curves, skipped
    )
    floor = 0.0 if settings.allow_below_target else settings.ltv_cac_ratio
    spend, last_return, reason = _water_fill(curves, total, floor, settings.ltv_cac_ratio)
    for alloc, curve, s, m in zip(allocations, curves, spend, last_return, strict=True):
        _settle(alloc, curve, s, m, tier_meta, settings)
    spent = float(sum(a.spend for a in allocations))
    unallocated = max(total - spent, 0.0)
    if unallocated < 1e-9 * max(total, 1.0):
        unallocated, reason = 0.0, None
    elif reason is None:
        reason = "every target is saturated: more spend would return nothing"
    # make the books balance to the cent's float: put the rounding remainder on the largest
    if allocations and unallocated == 0.0 and spent > 0:
        biggest = max(allocations, key=lambda a: a.spend)
        biggest.spend += total - spent
    step = total / STEPS if total > 0 else 0.0
    assumptions = _assumptions(settings, acquisition_cost, acquisition_cost_source, step)
    return BudgetPlan(total, allocations, unallocated, reason, assumptions, skipped)


def _winback_target(scored, settings: Settings, allocations, curves, skipped) -> None:
    """Win-back of valuable customers who are slipping away, or why there is none."""
    cand = scored.filter(pl.col("tier").is_in(list(VALUABLE)) & (pl.col("risk") != ACTIVE))
    if cand.height and settings.winback_response_rate > 0:
        stake = cand.select(value_at_stake())["value_at_stake"].to_numpy()
        gains = settings.winback_response_rate * np.maximum(stake, 0.0)
        kept = settings.winback_response_rate * (1.0 - cand["p_alive"].to_numpy())
        allocations.append(Allocation(WINBACK, "retention", None, contacts=0.0))
        curves.append(_Winback(gains, kept, settings.winback_cost_per_contact))
    else:
        skipped.append({"target": WINBACK, "reason": "no valuable customer is slipping away"})


def _acquisition_targets(
    acquisition: pl.DataFrame, settings: Settings, total: float, acquisition_cost: float | None,
    allocations: list[Allocation], curves: list[Any], skipped: list[dict[str, str]],
) -> dict[str, dict[str, Any]]:  # fmt: skip
    """One look-alike target per tier worth acquiring (or why not); the tier rows by target."""
    k = settings.acquisition_saturation * total / math.log(2) if total > 0 else 1.0
    tier_meta: dict[str, dict[str, Any]] = {}
    for row in acquisition.to_dicts():
        target = f"acquisition: look-alikes of {row['name']}"
        value = row["value_at_acquisition"] or 0.0
        if acquisition_cost is None or acquisition_cost <= 0:
            unknown = "acquisition cost unknown: set acquisition_cost or import marketing spend"
            skipped.append({"target": target, "reason": unknown})
            continue
        if row["customers"] == 0 or value <= 0:
            skipped.append({"target": target, "reason": "a look-alike is worth nothing net"})
            continue
        tier_meta[target] = row
        allocations.append(Allocation(target, "acquisition", row["name"]))
        k_tier = min(k, settings.lookalike_pool * row["customers"] * acquisition_cost)
        curves.append(_LookAlikes(value, acquisition_cost, k_tier))
    return tier_meta


def _water_fill(
    curves: list[Any], total: float, floor: float, ratio: float
) -> tuple[np.ndarray, list[float | None], str | None]:
    """Spend per curve, the return of each one's last step, and why money is left (if it is)."""
    caps = np.array([c.cap(floor) for c in curves])
    spend = np.zeros(len(curves))
    last_return: list[float | None] = [None] * len(curves)
    reason: str | None = None if curves else "no target to spend on (see skipped)"
    if curves and float(caps.sum()) <= total:
        # every target reaches the return floor within the budget: stop each exactly there
        spend = caps.astype(float)
        last_return = [floor if s > 0 else None for s in spend]
        if total - float(spend.sum()) > 0:
            reason = (
                f"no target returns {ratio:g}× its cost at the margin (ltv_cac_ratio); "
                "set allow_below_target to spend it anyway"
                if floor > 0
                else "nothing left to buy: every candidate is already contacted"
            )
    elif curves and total > 0:
        # the budget binds: water-fill in small steps, each to the best next step, up to caps
        step = total / STEPS
        for _ in range(STEPS):
            gains = np.array(
                [
                    c.value(min(s + step, cap)) - c.value(s) if s < cap else -1.0
                    for c, s, cap in zip(curves, spend, caps, strict=True)
                ]
            )
            best = int(np.argmax(gains))
            if gains[best] <= 0:
                reason = "every target is saturated: more spend would return nothing"
                break
            take = min(step, caps[best] - spend[best])
            spend[best] += take
            last_return[best] = gains[best] / take
    return spend, last_return, reason


def _settle(alloc: Allocation, curve: Any, s: float, m: float | None,
            tier_meta: dict[str, dict[str, Any]], settings: Settings) -> None:  # fmt: skip
    """An allocation's spend, value, customers, marginal return and payback month."""
    alloc.spend = float(s)
    alloc.expected_value = curve.value(s)
    alloc.customers = curve.customers(s)
    alloc.marginal_return = m
    if isinstance(curve, _Winback):
        alloc.contacts = min(s / curve.cost, curve.n) if curve.cost > 0 else float(curve.n)
        if s > 0 and alloc.expected_value > 0:  # recovered value taken as even over horizon
            months = settings.horizon_months * s / alloc.expected_value
            alloc.payback_month = math.ceil(months) if months <= settings.horizon_months else None
    elif s > 0 and alloc.customers > 0:
        meta = tier_meta[alloc.target]
        alloc.payback_month = payback_month(
            s / alloc.customers,
            meta["first_order"],
            meta["value_at_acquisition"],
            meta["lifetime_months"],
        )


def _assumptions(settings: Settings, acquisition_cost: float | None, source: str, step: float):
    """The settings a plan rests on, shown beside it."""
    return {
        "value_kind": settings.value_kind,
        "ltv_cac_ratio": settings.ltv_cac_ratio,
        "allow_below_target": settings.allow_below_target,
        "winback_response_rate": settings.winback_response_rate,
        "winback_cost_per_contact": settings.winback_cost_per_contact,
        "acquisition_saturation": settings.acquisition_saturation,
        "lookalike_pool": settings.lookalike_pool,
        "acquisition_cost": acquisition_cost,
        "acquisition_cost_source": source if acquisition_cost else None,
        "horizon_months": settings.horizon_months,
        "margin": settings.margin,
        "cost_per_order": settings.cost_per_order,
        "step": step,
    }
