"""Cost to serve: what each customer's orders cost the shop beyond the goods, from the exports.

Per costly order (a purchase, or an order refunded in full — it was shipped and paid for, so
its fee and shipping were spent), in the shop's currency:

- **payment fee** (Stripe ``Fee``, PayPal ``Fee``, Etsy ``Card Processing Fees``, Square
  ``Fees``), as charged;
- **uncovered shipping**: ``shipping_cost`` (setting: what shipping one order costs the shop)
  minus the shipping the customer was charged, when that is less (free or under-charged
  shipping). Only where the export has a shipping column: without one we cannot tell;
- **discount**: every supported export's order total is *after* discounts, so the net spend
  the model values is already discounted — but the margin applies to the list price, not to
  the discounted one: profit = margin × list − discount = margin × net − (1 − margin) ×
  discount. The cost of a netted discount is therefore (1 − margin) × discount (none without
  a margin: revenue CLV has no costs at all).

Refunds are already out of the net spend; what a refund still costs is the refunded order's
fee and shipping, which stay on the customer (divided by their purchases).

**Shrinkage.** A customer with one or two orders says little about their own cost, so the
cost per order used by net CLV is the credibility-weighted blend
    c_i = (n_i · own_i + K · shop) / (n_i + K) = (cost_i + K · shop) / (n_i + K)
with n_i the customer's purchases carrying cost data and K = :data:`K_ORDERS` = 5 orders (the
empirical-Bayes weight n/(n+K): a customer's own average counts half after five orders).
Customers without cost data get the shop's average. The flat ``cost_per_order`` setting is
added on top: it stands for what no export shows (packing, handling).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl

#: Credibility constant: a customer's own cost per order gets the weight n / (n + K_ORDERS).
K_ORDERS = 5.0
#: A customer whose refunds are at least this share of what they paid "costs through refunds".
REFUND_REASON_SHARE = 0.3


@dataclass(frozen=True)
class CostRules:
    """What turns exported columns into costs (from the settings)."""

    margin: float | None
    shipping_cost: float  # per order, major units (0: shipping is not counted)
    cost_per_order: float = 0.0  # flat, what no export shows; added to every customer's cost


def order_costs(orders: pl.DataFrame, exponent: int, rules: CostRules) -> pl.DataFrame:
    """Per costly order (from ``store.costs.order_costs``): money in major units and its costs.

    Adds ``net`` (paid − refunded), ``fee``, ``shipping_gap``, ``discount``, ``discount_cost``,
    ``cost`` (their sum), ``has_data`` and ``discounted`` (a discount amount or code).
    """
    scale = float(10**exponent)

    def money(col: str) -> pl.Expr:
        return pl.col(col).cast(pl.Float64) / scale

    gap = pl.lit(0.0)
    if rules.shipping_cost > 0:
        charged = money("shipping_minor")
        gap = pl.when(charged.is_not_null()).then(
            (pl.lit(rules.shipping_cost) - charged).clip(lower_bound=0.0)
        )
    keep = 0.0 if rules.margin is None else 1.0 - rules.margin
    cost_cols = ["discount_minor", "shipping_minor", "fee_minor"]
    return (
        orders.with_columns(
            net=money("amount_minor") - money("refunded_minor"),
            paid=money("amount_minor"),
            refunded=money("refunded_minor"),
            fee=money("fee_minor").fill_null(0.0),
            shipping_gap=gap.fill_null(0.0),
            discount=money("discount_minor").fill_null(0.0),
            has_data=pl.any_horizontal([pl.col(c).is_not_null() for c in cost_cols]),
            discounted=(pl.col("discount_minor").fill_null(0) > 0)
            | pl.col("discount_code").is_not_null(),
        )
        .with_columns(
            discount_cost=pl.col("discount") * keep,
        )
        .with_columns(cost=pl.col("fee") + pl.col("shipping_gap") + pl.col("discount_cost"))
    )


def per_customer(costed: pl.DataFrame) -> pl.DataFrame:
    """One row per customer: purchases, purchases with cost data, net spend, each cost summed,
    refund rate (refunded ÷ paid) and the share of purchases that carried a discount."""
    purchase = pl.col("is_purchase") == 1
    return (
        costed.group_by("customer_id")
        .agg(
            purchases=purchase.sum(),
            costed_orders=(pl.col("has_data") & purchase).sum(),
            net_spend=pl.col("net").filter(purchase).sum(),
            paid=pl.col("paid").sum(),
            refunded=pl.col("refunded").sum(),
            fees=pl.col("fee").sum(),
            shipping_gap=pl.col("shipping_gap").sum(),
            discount_cost=pl.col("discount_cost").sum(),
            cost=pl.col("cost").sum(),
            discounted=(pl.col("discounted") & purchase).sum(),
        )
        .with_columns(
            refund_rate=pl.when(pl.col("paid") > 0).then(pl.col("refunded") / pl.col("paid")),
            discount_share=pl.when(pl.col("purchases") > 0).then(
                pl.col("discounted") / pl.col("purchases")
            ),
        )
        .sort("customer_id")
    )


def shop_cost_per_order(customers: pl.DataFrame) -> float:
    """The shop's cost per purchase, over the customers whose orders carry cost data."""
    with_data = customers.filter(pl.col("costed_orders") > 0)
    n = int(with_data.get_column("purchases").sum())
    return float(with_data.get_column("cost").sum()) / n if n else 0.0


def shrunk_cost(customers: pl.DataFrame, shop: float, rules: CostRules) -> pl.DataFrame:
    """``customer_id``, ``own_cost`` (observed per purchase) and ``cost_per_order`` (shrunk
    toward the shop's, plus the flat setting): what net CLV charges each future order."""
    n = pl.col("costed_orders").cast(pl.Float64)
    cost = pl.when(pl.col("costed_orders") > 0).then(pl.col("cost")).otherwise(0.0)
    return customers.select(
        "customer_id",
        own_cost=pl.when(pl.col("purchases") > 0).then(pl.col("cost") / pl.col("purchases")),
        cost_per_order=(cost + K_ORDERS * shop) / (n + K_ORDERS) + rules.cost_per_order,
    )


def reasons(row: dict[str, Any], rules: CostRules) -> list[str]:
    """Why a customer costs more than they bring, biggest drains first."""
    out = []
    if (row["refund_rate"] or 0.0) >= REFUND_REASON_SHARE:
        out.append(f"refunds ({row['refund_rate']:.0%} of what they paid)")
    if row["purchases"] and row["discounted"] == row["purchases"]:
        out.append("discount-only buying (every order discounted)")
    if row["shipping_gap"] > 0 and rules.shipping_cost > 0:
        out.append(f"free or under-charged shipping ({row['shipping_gap']:.2f} uncovered)")
    if row["fees"] > 0 and not out:
        out.append(f"payment fees ({row['fees']:.2f})")
    n = max(row["purchases"], 1)
    per_order = row["costs"] / n
    if rules.margin is not None and rules.margin * row["net_spend"] / n < per_order:
        out.append(
            f"small orders ({row['net_spend'] / n:.2f} on average: the margin does not cover "
            f"{per_order:.2f} of costs per order)"
        )
    return out


def unprofitable(customers: pl.DataFrame, rules: CostRules) -> pl.DataFrame:
    """Customers who cost more than they brought so far: margin × net spend below their costs
    (plus the flat cost per purchase); most negative first. Empty without a margin."""
    if rules.margin is None:
        return customers.head(0).with_columns(
            costs=pl.lit(0.0), brought=pl.lit(0.0), reasons=pl.lit("")
        )
    brought = (
        rules.margin * pl.col("net_spend")
        - pl.col("cost")
        - rules.cost_per_order * pl.col("purchases")
    )
    losing = customers.with_columns(
        costs=pl.col("cost") + rules.cost_per_order * pl.col("purchases"), brought=brought
    ).filter(pl.col("brought") < 0)
    why = ["; ".join(reasons(r, rules)) for r in losing.iter_rows(named=True)]
    return losing.with_columns(reasons=pl.Series(why, dtype=pl.Utf8)).sort(
        ["brought", "customer_id"]
    )
