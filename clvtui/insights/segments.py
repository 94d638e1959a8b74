"""Profitability tiers and churn-risk bands: whom to treat how.

A shop owner acts on groups, not on parameter tables. Tiers answer "how much is this customer
worth from now on?", risk bands answer "is this customer still with us?"; crossing them finds
the customers worth a win-back (valuable but slipping away).

**Which value decides the tier.** Tiers use the customer's *future* value, ``clv``: net of margin
and cost per order when a margin is set (else revenue CLV, and every output says so). The
acquisition cost is deliberately *not* subtracted for existing customers: it has already been
paid (a sunk cost) and cannot change what a customer is worth from now on, so subtracting it
would only shift every customer by the same amount and mislabel good customers as "not
profitable". Acquisition cost enters where it is still a decision — buying *new* customers:
``insights.acquisition`` compares it with the allowable CPA of look-alikes of each tier.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import polars as pl

from clvtui.core.group_sums import sums_by
from clvtui.errors import ModelError
from clvtui.settings import Settings
from clvtui.wording import clv_label

HIGH = "Highly profitable"
PROFITABLE = "Profitable"
NOT_PROFITABLE = "Not profitable"
TIERS: tuple[str, ...] = (HIGH, PROFITABLE, NOT_PROFITABLE)

ACTIVE = "active"
AT_RISK = "at risk"
LOST = "likely lost"
RISKS: tuple[str, ...] = (ACTIVE, AT_RISK, LOST)

# The tiers worth keeping: the win-back list and the retention budget look only at these.
VALUABLE: tuple[str, ...] = (HIGH, PROFITABLE)


@dataclass(frozen=True)
class TierRule:
    """The tier rule with the cut-offs it produced on one set of scores (shown beside tiers)."""

    top_value_share: float
    profit_floor: float
    high_cutoff: float | None  # smallest clv inside "Highly profitable" (None: tier empty)
    value_kind: str
    floor_is_contact_cost: bool = False  # profit_floor unset: the floor is one contact's cost

    def describe(self) -> str:
        kind = clv_label(self.value_kind)
        high = (
            f"CLV ≥ {self.high_cutoff:,.2f}"
            if self.high_cutoff is not None
            else "nobody (no positive future value)"
        )
        floor_why = " (what one marketing contact costs)" if self.floor_is_contact_cost else ""
        return (
            f"Highly profitable: the fewest customers, by descending {kind}, holding "
            f"{self.top_value_share:.0%} of the positive future value ({high}); "
            f"Not profitable: CLV ≤ {self.profit_floor:,.2f}{floor_why}; Profitable: the rest. "
            "Acquisition cost is sunk for existing customers and not subtracted."
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "top_value_share": self.top_value_share,
            "profit_floor": self.profit_floor,
            "high_cutoff": self.high_cutoff,
            "value_kind": self.value_kind,
            "text": self.describe(),
        }


def high_cutoff(clv: pl.Series, settings: Settings) -> float | None:
    """The CLV at which "Highly profitable" starts.

    Customers sorted by descending CLV; walk down until the running total reaches
    ``top_value_share`` of the total *positive* future value. The CLV of the customer reached is
    the cut-off, and everyone at or above it is in the tier (ties are never split, so the rule is
    one number a person can check). Only customers above the floor (``Settings.tier_floor``)
    can be in the tier.
    """
    positive = clv.filter(clv > 0)
    total = float(positive.sum()) if positive.len() else 0.0
    if total <= 0.0:
        return None
    ordered = positive.sort(descending=True)
    del positive  # at 10 M customers every copy here is 80 MB: the summary fit's peak
    running = ordered.cum_sum()
    target = settings.top_value_share * total
    # first position where the running total reaches the target (guard float round-off)
    reached = (running >= target * (1.0 - 1e-12)).arg_true()
    idx = int(reached[0]) if reached.len() else ordered.len() - 1
    cutoff = float(ordered[idx])
    if cutoff <= settings.tier_floor:
        # the top group would dip into unprofitable customers: it stops at the floor
        above = ordered.filter(ordered > settings.tier_floor)
        return _least(above)
    return cutoff


# One-time buyers: BG/NBD-type models cannot see their dropout (P(alive) = 1 whatever their
# silence), so their band also follows the shop's own time to a second order.
ONE_TIME_QUANTILE = 0.9  # of observed first-to-second purchase gaps
ONE_TIME_FLOOR_WEEKS = 8.0  # never "at risk" sooner: quick repeat shops would flag everyone
ONE_TIME_DEFAULT_WEEKS = 26.0  # too few second orders (< ONE_TIME_MIN_GAPS) to measure a gap
ONE_TIME_MIN_GAPS = 20
ONE_TIME_LOST_FACTOR = 2.0  # silent twice as long: "likely lost"


@dataclass(frozen=True)
class OneTimeRule:
    """When a customer who bought once stops counting as "active", from the shop's own data.

    ``at_risk_weeks`` is the 90th percentile of the observed first-to-second purchase gaps (with
    an 8-week floor; 26 weeks when fewer than 20 customers ever came back): 9 in 10 customers
    who come back at all did so by then, so a one-time buyer silent for longer is no longer
    behaving like a future repeat buyer. Twice that is "likely lost". The rule only ever moves a
    customer to a worse band than P(alive) gives, whichever model was fitted.
    """

    at_risk_weeks: float
    lost_weeks: float
    gaps_seen: int
    # the median first-to-second gap: when a one-time buyer's second order is most likely due
    # (None with too few second orders to measure, and in runs made before it was stored)
    typical_weeks: float | None = None

    @classmethod
    def from_gaps(cls, gaps_weeks: np.ndarray) -> OneTimeRule:
        gaps = np.asarray(gaps_weeks, dtype=float)
        gaps = gaps[np.isfinite(gaps)]
        typical = None
        if gaps.size >= ONE_TIME_MIN_GAPS:
            at_risk = max(float(np.quantile(gaps, ONE_TIME_QUANTILE)), ONE_TIME_FLOOR_WEEKS)
            typical = float(np.median(gaps))
        else:
            at_risk = ONE_TIME_DEFAULT_WEEKS
        return cls(at_risk, ONE_TIME_LOST_FACTOR * at_risk, int(gaps.size), typical)

    @classmethod
    def from_json(cls, doc: Any) -> OneTimeRule | None:
        """The rule stored in a run's report (None for runs made before it existed)."""
        if not isinstance(doc, dict):
            return None
        try:
            typical = doc.get("typical_weeks")
            return cls(float(doc["at_risk_weeks"]), float(doc["lost_weeks"]),
                       int(doc.get("gaps_seen", 0)),
                       None if typical is None else float(typical))  # fmt: skip
        except (KeyError, TypeError, ValueError):
            return None

    def describe(self) -> str:
        basis = (
            f"9 in 10 of the {self.gaps_seen:,} customers who came back did so within "
            f"{self.at_risk_weeks:.0f} weeks"
            if self.gaps_seen >= ONE_TIME_MIN_GAPS and self.at_risk_weeks > ONE_TIME_FLOOR_WEEKS
            else (
                f"floor of {ONE_TIME_FLOOR_WEEKS:.0f} weeks"
                if self.gaps_seen >= ONE_TIME_MIN_GAPS
                else f"too few second orders to measure, so {ONE_TIME_DEFAULT_WEEKS:.0f} weeks"
            )
        )
        return (
            f"A customer who bought once is at most 'at risk' after {self.at_risk_weeks:.0f} "
            f"weeks of silence and 'likely lost' after {self.lost_weeks:.0f} ({basis})."
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "at_risk_weeks": self.at_risk_weeks,
            "lost_weeks": self.lost_weeks,
            "gaps_seen": self.gaps_seen,
            "typical_weeks": self.typical_weeks,
            "text": self.describe(),
        }


def assign_segments(
    scores: pl.DataFrame,
    settings: Settings,
    one_time: OneTimeRule | None = None,
    *,
    text: bool = True,
) -> pl.DataFrame:
    """Add ``tier`` and ``risk`` (Utf8) to a per-customer scores frame.

    ``text=False`` leaves them as Enums (4 bytes a row): as text they cost ~160 MB each at
    10 M customers, so a summary fit keeps them compact and ``store.runs`` writes the text.

    Every customer gets exactly one tier and one risk band, so tier values sum to the customer
    equity. Risk bands come from P(alive): ``active`` at or above ``active_min_p_alive``,
    ``likely lost`` at or below ``lost_max_p_alive``, ``at risk`` in between. With a
    ``one_time`` rule (and ``x``, ``T`` in the frame) a customer who bought once and has been
    silent longer than its limits is moved down to "at risk" or "likely lost".
    """
    if scores.height and (scores["clv"].is_null().any() or scores["clv"].is_nan().any()):
        raise ModelError("some customers have no CLV (NaN); the fit did not produce usable values")
    if scores.height and (scores["p_alive"].is_null().any() or scores["p_alive"].is_nan().any()):
        raise ModelError("some customers have no P(alive) (NaN); the fit is not usable")
    cutoff = high_cutoff(scores["clv"], settings) if scores.height else None
    clv = pl.col("clv")
    high = (clv >= cutoff) & (clv > settings.tier_floor) if cutoff is not None else pl.lit(False)
    # built as Enums (4 bytes a row), text only at the end: each when/then step of a text
    # column is a copy of it (~0.7 GB more at 10 M customers)
    tiers = pl.Enum(list(TIERS))
    tier = (
        pl.when(clv <= settings.tier_floor)
        .then(pl.lit(NOT_PROFITABLE, dtype=tiers))
        .when(high)
        .then(pl.lit(HIGH, dtype=tiers))
        .otherwise(pl.lit(PROFITABLE, dtype=tiers))
    )
    risk = risk_band(settings, one_time if {"x", "T"} <= set(scores.columns) else None)
    if text:
        tier, risk = tier.cast(pl.Utf8), risk.cast(pl.Utf8)
    return scores.with_columns(tier.alias("tier"), risk.alias("risk"))


def risk_band(settings: Settings, one_time: OneTimeRule | None = None) -> pl.Expr:
    """Each customer's risk band (an Enum) from P(alive), with one-time buyers moved down by
    the ``one_time`` rule (which needs ``x`` and ``T``)."""
    risks = pl.Enum(list(RISKS))
    p = pl.col("p_alive")
    risk = (
        pl.when(p >= settings.active_min_p_alive)
        .then(pl.lit(ACTIVE, dtype=risks))
        .when(p <= settings.lost_max_p_alive)
        .then(pl.lit(LOST, dtype=risks))
        .otherwise(pl.lit(AT_RISK, dtype=risks))
    )
    if one_time is None:
        return risk
    once = pl.col("x") == 0
    return (
        pl.when(once & (pl.col("T") > one_time.lost_weeks))
        .then(pl.lit(LOST, dtype=risks))
        .when(once & (pl.col("T") > one_time.at_risk_weeks) & (risk == ACTIVE))
        .then(pl.lit(AT_RISK, dtype=risks))
        .otherwise(risk)
    )


def _least(values: pl.Series) -> float | None:
    """The smallest value as a float; None when there are no values."""
    return float(cast(float, values.min())) if values.len() else None


def tier_rule(scored: pl.DataFrame, settings: Settings) -> TierRule:
    """The rule and the cut-off it gives on these scores (read back from the assigned tiers)."""
    high = scored.filter(pl.col("tier") == HIGH)["clv"]
    return TierRule(
        top_value_share=settings.top_value_share,
        profit_floor=settings.tier_floor,
        high_cutoff=_least(high),
        value_kind=settings.value_kind,
        floor_is_contact_cost=settings.profit_floor is None,
    )


def tier_table(scored: pl.DataFrame) -> pl.DataFrame:
    """One row per tier (all three, even if empty): customers, clv_total, clv_mean, share_of_value.

    ``share_of_value`` is the tier's share of the customer equity (the sum of every CLV), so the
    shares add up to 1 and a negative "Not profitable" share shows value being lost.
    """
    equity = float(scored["clv"].sum()) if scored.height else 0.0
    agg = sums_by(scored.select("tier", clv_total="clv"), ["tier"], ["clv_total"])
    base = pl.DataFrame({"tier": list(TIERS)})
    out = base.join(agg, on="tier", how="left").with_columns(
        pl.col("customers").fill_null(0).cast(pl.Int64),
        pl.col("clv_total").fill_null(0.0),
    )
    return out.with_columns(
        pl.when(pl.col("customers") > 0)
        .then(pl.col("clv_total") / pl.col("customers"))
        .otherwise(0.0)
        .alias("clv_mean"),
        (pl.col("clv_total") / equity if equity != 0 else pl.lit(0.0)).alias("share_of_value"),
    ).rename({"tier": "name"})


def risk_matrix(scored: pl.DataFrame) -> pl.DataFrame:
    """Tier × risk band: customers, CLV and value at stake in each of the nine cells (empty
    cells as zeros)."""
    grid = pl.DataFrame({"tier": list(TIERS)}).join(
        pl.DataFrame({"risk": list(RISKS)}), how="cross"
    )
    cells = scored.select("tier", "risk", value_at_stake(), clv_total="clv")
    agg = sums_by(cells, ["tier", "risk"], ["clv_total", "value_at_stake"])
    return grid.join(agg, on=["tier", "risk"], how="left").with_columns(
        pl.col("customers").fill_null(0).cast(pl.Int64),
        pl.col("clv_total", "value_at_stake").fill_null(0.0),
    )


def value_at_stake() -> pl.Expr:
    """CLV × (1 − P(alive)): the part of a customer's expected value that churn puts at risk.

    The usual "value at risk" of retention marketing: what the customer is worth, weighted by the
    chance that they are already slipping away. A loyal big spender (P(alive) ≈ 1) and a small
    customer who is surely gone both score low; a valuable customer going quiet scores high.
    Deliberately conservative: the model's value *if still alive*, CLV ÷ P(alive), extrapolates
    the old buying rate of someone who may have changed, and would put customers worth almost
    nothing today at the top of a list meant for valuable ones. The budget's win-back uses the
    same figure, so the list and the spend agree.
    """
    return (pl.col("clv") * (1.0 - pl.col("p_alive"))).alias("value_at_stake")


def slipping_away(scored: pl.DataFrame, limit: int | None = 50) -> pl.DataFrame:
    """Valuable customers (top two tiers) who are no longer active, by value at stake.

    Keeps the expected next-order window (weeks after the run's as-of date, when the frame has
    it) so a campaign can be timed before the customer's window closes.
    """
    ident = [c for c in ("customer_id", "email", "name") if c in scored.columns]
    window = [
        c
        for c in ("p_order_30", "p_order_90", "next_order_low", "next_order_high")
        if c in scored.columns
    ]
    out = (
        scored.filter(pl.col("tier").is_in(list(VALUABLE)) & (pl.col("risk") != ACTIVE))
        .with_columns(value_at_stake())
        .sort(["value_at_stake", "customer_id"], descending=[True, False])
        .select(*ident, "tier", "risk", "clv", "p_alive", "value_at_stake", *window)
    )
    return out.head(limit) if limit is not None else out
