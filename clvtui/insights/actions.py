"""Next-best action per customer group: what to do with each tier × risk cell, and what it may cost.

**The rule table** is the owner's (settings ``action_*``, names in ``settings.ACTION_NAMES``):
each tier × churn-risk cell names one action, "Not profitable" one for all its bands, and
*recent one-time buyers* — one order so far, still "active" (inside the shop's own
first-to-second-order gap, ``segments.OneTimeRule``), in one of the two valuable tiers — get
``action_one_time`` instead of their cell's: a second order is what decides whether they stay.
Every customer lands in exactly one action, so the actions' customers add up to the shop's.

**The most worth spending per customer** follows the allowable-CPA rule of
``insights.acquisition``: keep the value an action buys at least ``ltv_cac_ratio`` times what it
costs, so spend at most value ÷ ratio. The value an action buys depends on the action:

- keeping or growing an active customer (VIP care, cross-sell, second-order nudge) buys their
  future value, the CLV: at most CLV ÷ ratio;
- a win-back (personal, or an offer) recovers only the value at stake, CLV × (1 − P(alive)): the
  rest comes anyway if they are still with the shop, and paying for it would pay for what is
  already yours. So the offer is capped at value at stake ÷ ratio (the budget's win-back
  values a contact the same way);
- "no paid contact": 0 — the customer does not bring back what a paid contact costs.

Negative values give 0: nothing is worth spending on a customer who costs more than they bring.

**Timing**: win-backs now (the as-of date); cross-sell and the second-order nudge at the start
of the customer's expected next-order window (``model.next_order``; now when there is none).
One order is too little to time a customer's own next one, so a recent one-time buyer's nudge
comes when the shop's typical second order does: their first order plus the median
first-to-second gap of the customers who came back (``OneTimeRule.typical_weeks``), now if that
has passed. VIP care is ongoing and "no paid contact" has no date.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import polars as pl

from clvtui.insights.segments import (
    ACTIVE,
    AT_RISK,
    HIGH,
    LOST,
    NOT_PROFITABLE,
    PROFITABLE,
    RISKS,
    TIERS,
    VALUABLE,
    value_at_stake,
)
from clvtui.settings import ACTION_NAMES, Settings

ONE_TIME = "Recent one-time buyers"  # the rule table's extra row


@dataclass(frozen=True)
class ActionSpec:
    """One action: its words, the value that bounds its cost, and when it happens."""

    name: str
    label: str
    basis: str | None  # "clv" | "stake" | None (nothing worth paying)
    timing: str  # "ongoing" | "now" | "window" | "none"
    about: str

    def timing_text(self) -> str:
        return {
            "ongoing": "ongoing",
            "now": "now",
            "window": "at their next-order window",
            "none": "—",
        }[self.timing]


ACTIONS: dict[str, ActionSpec] = {
    a.name: a
    for a in (
        ActionSpec("vip", "VIP / loyalty care", "clv", "ongoing",
                   "early access, thanks, service first; no discount: they buy anyway"),
        ActionSpec("personal-winback", "Personal win-back", "stake", "now",
                   "a personal call or note from the owner before they are gone"),
        ActionSpec("winback", "Win-back offer", "stake", "now",
                   "an offer capped at the allowable cost (value at stake ÷ ratio)"),
        ActionSpec("cross-sell", "Cross-sell", "clv", "window",
                   "suggest their best next product when they are due to order"),
        ActionSpec("second-order", "Second-order nudge", "clv", "window",
                   "a reminder or small incentive timed to their expected second order"),
        ActionSpec("no-paid-contact", "No paid contact", None, "none",
                   "newsletter only: a paid contact costs more than they bring"),
    )
}  # fmt: skip
assert tuple(ACTIONS) == ACTION_NAMES  # the settings' vocabulary and this table are one list

_TIER_KEYS = {HIGH: "high", PROFITABLE: "profitable"}
_RISK_KEYS = {ACTIVE: "active", AT_RISK: "at_risk", LOST: "lost"}


@dataclass(frozen=True)
class ActionRules:
    """The rule table: (tier, risk) → action name, and the one-time buyers' action."""

    cells: dict[tuple[str, str], str]
    one_time: str

    @classmethod
    def from_settings(cls, settings: Settings) -> ActionRules:
        cells: dict[tuple[str, str], str] = {}
        for tier in TIERS:
            for risk in RISKS:
                cells[(tier, risk)] = getattr(settings, setting_key(tier, risk))
        return cls(cells, settings.action_one_time)

    def to_json(self) -> list[dict[str, Any]]:
        rows = [
            {"tier": t, "risk": r, "setting": setting_key(t, r), "action": a}
            for (t, r), a in self.cells.items()
        ]
        return [*rows, {"tier": ONE_TIME, "risk": None, "setting": "action_one_time",
                        "action": self.one_time}]  # fmt: skip


def setting_key(tier: str | None, risk: str | None) -> str:
    """The setting that holds a cell's action (``None`` tier: the one-time buyers' row)."""
    if tier is None:
        return "action_one_time"
    if tier == NOT_PROFITABLE:
        return "action_unprofitable"
    return f"action_{_TIER_KEYS[tier]}_{_RISK_KEYS[risk or ACTIVE]}"


def one_time_expr(columns: list[str]) -> pl.Expr:
    """Recent one-time buyers: one order, still active, in a valuable tier (from ``x``, the
    repeat orders, else ``orders``; a frame with neither has none)."""
    if "x" in columns:
        once = pl.col("x") == 0
    elif "orders" in columns:
        once = pl.col("orders") == 1
    else:
        return pl.lit(False).alias("one_time")
    valuable = pl.col("tier").is_in(list(VALUABLE))
    return (once & (pl.col("risk") == ACTIVE) & valuable).alias("one_time")


def assign_actions(
    scored: pl.DataFrame,
    settings: Settings,
    as_of: dt.date,
    *,
    second_order_weeks: float | None = None,
) -> pl.DataFrame:
    """``scored`` (customer_id, tier, risk, clv, p_alive, x; next_order_low and T if known) with
    ``one_time``, ``action``, ``value_at_stake``, ``max_spend`` and ``contact_on`` (a date, or
    null for ongoing and no contact). Exactly one action per customer.

    ``second_order_weeks``: the shop's median first-to-second gap; a one-time buyer's window
    opens that long after their first order (T weeks before as-of)."""
    rules = ActionRules.from_settings(settings)
    chain: Any = pl.when(pl.col("one_time")).then(pl.lit(rules.one_time))
    for (tier, risk), name in rules.cells.items():
        chain = chain.when((pl.col("tier") == tier) & (pl.col("risk") == risk)).then(pl.lit(name))
    by_basis = {b: [n for n, a in ACTIONS.items() if a.basis == b] for b in ("clv", "stake")}
    by_time = {t: [n for n, a in ACTIONS.items() if a.timing == t] for t in ("now", "window")}
    ratio = settings.ltv_cac_ratio
    action = pl.col("action")
    start = pl.lit(as_of, dtype=pl.Date)
    window_weeks = (
        pl.col("next_order_low").fill_nan(None).fill_null(0.0).clip(lower_bound=0.0)
        if "next_order_low" in scored.columns
        else pl.lit(0.0)
    )
    if second_order_weeks is not None and "T" in scored.columns:
        due = (pl.lit(second_order_weeks) - pl.col("T")).clip(lower_bound=0.0)
        window_weeks = pl.when(pl.col("one_time")).then(due).otherwise(window_weeks)
    window = start + pl.duration(days=(window_weeks * 7.0).round(0).cast(pl.Int64))
    return (
        scored.with_columns(one_time_expr(scored.columns), value_at_stake())
        .with_columns(chain.otherwise(pl.lit(None, dtype=pl.Utf8)).alias("action"))
        .with_columns(
            pl.when(action.is_in(by_basis["clv"]))
            .then(pl.col("clv").clip(lower_bound=0.0) / ratio)
            .when(action.is_in(by_basis["stake"]))
            .then(pl.col("value_at_stake").clip(lower_bound=0.0) / ratio)
            .otherwise(0.0)
            .alias("max_spend"),
            pl.when(action.is_in(by_time["now"]))
            .then(start)
            .when(action.is_in(by_time["window"]))
            .then(window)
            .otherwise(pl.lit(None, dtype=pl.Date))
            .alias("contact_on"),
        )
    )


def _totals(frame: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """Per group of ``keys``: customers, CLV, value at stake, max spend (mean and total) and
    the median contact date."""
    return frame.group_by(keys).agg(
        pl.len().alias("customers"),
        pl.col("clv").sum().alias("clv_total"),
        pl.col("value_at_stake").sum(),
        pl.col("max_spend").mean().alias("max_spend_each"),
        pl.col("max_spend").sum().alias("max_spend_total"),
        pl.col("contact_on").min().alias("contact_first"),
        pl.col("contact_on").median().cast(pl.Date).alias("contact_median"),
    )


_EMPTY = {
    "customers": 0, "clv_total": 0.0, "value_at_stake": 0.0, "max_spend_each": 0.0,
    "max_spend_total": 0.0, "contact_first": None, "contact_median": None,
}  # fmt: skip


def action_table(
    assigned: pl.DataFrame, settings: Settings, used: set[str] | None = None
) -> list[dict[str, Any]]:
    """One row per action the rule table uses (in ``ACTIONS`` order, empty ones too; ``used``:
    only these): its customers, CLV, value at stake, the most worth spending per customer
    (mean; and in all), timing and the command that writes its list."""
    if used is None:
        rules = ActionRules.from_settings(settings)
        used = {*rules.cells.values(), rules.one_time}
    agg = {r["action"]: r for r in _totals(assigned, ["action"]).to_dicts()}
    rows = []
    for name, spec in ACTIONS.items():
        if name not in used and name not in agg:
            continue
        row = _EMPTY | agg.get(name, {})
        rows.append(
            {"action": name, "label": spec.label, "about": spec.about}
            | {k: row[k] for k in _EMPTY}
            | {"timing": spec.timing_text(), "export": f"clvtui export --action {name} -o FILE"}
        )
    return rows


def cell_table(assigned: pl.DataFrame, settings: Settings) -> list[dict[str, Any]]:
    """The rule table with its figures: the nine tier × risk cells (one-time buyers taken out)
    and the recent one-time buyers' row, each with its action, customers, CLV, value at stake,
    max spend per customer and median contact date. The rows add up to every customer."""
    rules = ActionRules.from_settings(settings)
    agg = {
        (r["tier"], r["risk"]): r
        for r in _totals(assigned.filter(~pl.col("one_time")), ["tier", "risk"]).to_dicts()
    }
    once = assigned.filter(pl.col("one_time"))
    once_row = _totals(once.with_columns(pl.lit(1).alias("k")), ["k"]).to_dicts()
    rows = []
    for (tier, risk), name in rules.cells.items():
        row = _EMPTY | agg.get((tier, risk), {})
        rows.append({"tier": tier, "risk": risk, "action": name} | {k: row[k] for k in _EMPTY})
    row = _EMPTY | (once_row[0] if once_row else {})
    rows.append({"tier": ONE_TIME, "risk": None, "action": rules.one_time}
                | {k: row[k] for k in _EMPTY})  # fmt: skip
    return rows


def cell_filter(tier: str, risk: str | None) -> pl.Expr:
    """The customers of one row of :func:`cell_table` (its drill-down and its export)."""
    if tier == ONE_TIME:
        return pl.col("one_time")
    return (pl.col("tier") == tier) & (pl.col("risk") == risk) & ~pl.col("one_time")
