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

import numpy as np
import polars as pl

from clvtui.core.memory import return_freed_memory
from clvtui.insights import customer_codes

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


#: the per-order columns that are all 0 (False) when no order holds a cost
_COSTS = frozenset({"fee", "shipping_gap", "discount", "discount_cost", "cost", "has_data"})
_COST_MINOR = ("discount_minor", "shipping_minor", "fee_minor")


def order_costs(exponent: int, rules: CostRules) -> dict[str, pl.Expr]:
    """Per costly order (a row of ``store.costs.order_costs``), money in major units and its
    costs: ``net`` (paid − refunded), ``paid``, ``refunded``, ``fee``, ``shipping_gap``,
    ``discount``, ``discount_cost``, ``cost`` (their sum), ``has_data`` and ``discounted`` (a
    discount amount or code). Expressions, so a caller computes one column at a time."""
    scale = float(10**exponent)

    def money(col: str) -> pl.Expr:
        return pl.col(col).cast(pl.Float64) / scale

    shipping_gap = pl.lit(0.0)  # a literal, not filled: polars 2.1 repeats it once per chunk
    if rules.shipping_cost > 0:
        charged = money("shipping_minor")
        shipping_gap = (
            pl.when(charged.is_not_null())
            .then((pl.lit(rules.shipping_cost) - charged).clip(lower_bound=0.0))
            .fill_null(0.0)
        )
    keep = 0.0 if rules.margin is None else 1.0 - rules.margin
    fee = money("fee_minor").fill_null(0.0)
    discount = money("discount_minor").fill_null(0.0)
    return {
        "net": money("amount_minor") - money("refunded_minor"),
        "paid": money("amount_minor"),
        "refunded": money("refunded_minor"),
        "fee": fee,
        "shipping_gap": shipping_gap,
        "discount": discount,
        "discount_cost": discount * keep,
        "cost": fee + shipping_gap + discount * keep,
        "has_data": pl.any_horizontal([pl.col(c).is_not_null() for c in _COST_MINOR]),
        "discounted": (pl.col("discount_minor").fill_null(0) > 0)
        | pl.col("discount_code").is_not_null(),
    }


#: What ``per_customer`` adds up over each customer's orders (all of them, or purchases only).
_SUMS = {"net_spend": ("net", True), "paid": ("paid", False), "refunded": ("refunded", False),
         "fees": ("fee", False), "shipping_gap": ("shipping_gap", False),
         "discount_cost": ("discount_cost", False), "cost": ("cost", False)}  # fmt: skip


def per_customer(
    orders: pl.DataFrame,
    exponent: int,
    rules: CostRules,
    groups: customer_codes.Groups | None = None,
) -> pl.DataFrame:
    """One row per customer, sorted by id: purchases, purchases with cost data, net spend,
    each cost summed, refund rate (refunded ÷ paid) and the share of purchases that carried a
    discount. Grouped once by hashed id and summed one column at a time (``customer_codes``):
    no per-order frame of costs, no string ``group_by``. ``groups``: the orders'
    ``customer_codes.by_customer``, when made already (then ``orders`` needs no ids)."""
    if groups is None:
        groups = customer_codes.by_customer(orders.get_column("customer_id"))
    exprs = order_costs(exponent, rules)
    # no order holds a cost (no cost columns imported): every cost is 0, has_data False —
    # the per-order cost expressions took ~0.25 s at a million customers to say so
    costless = all(orders.get_column(c).null_count() == orders.height for c in _COST_MINOR)

    def column(name: str) -> np.ndarray:
        if costless and name in _COSTS:
            return np.zeros(orders.height, dtype=bool if name == "has_data" else float)
        values = orders.select(exprs[name]).to_series().to_numpy()
        return np.full(orders.height, values[0]) if len(values) != orders.height else values

    purchase = orders.get_column("is_purchase").to_numpy() == 1
    out: dict[str, pl.Series | np.ndarray] = {
        "customer_id": groups.ids,
        "purchases": customer_codes.counts(groups, purchase),
        "costed_orders": customer_codes.counts(groups, column("has_data") & purchase),
    }
    every = customer_codes.layout(groups)
    for name, (per_order, purchases_only) in _SUMS.items():
        keep = purchase if purchases_only else None
        out[name] = customer_codes.group_sums(groups, every, column(per_order), keep)
    out["discounted"] = customer_codes.counts(groups, column("discounted") & purchase)
    del every, purchase
    # numpy's freed temporaries (the layouts', the sums') sit in malloc's heap, where polars'
    # own allocator, which builds the frame next, cannot reuse them: handed back (a few ms)
    return_freed_memory()
    return pl.DataFrame(out).with_columns(
        refund_rate=pl.when(pl.col("paid") > 0).then(pl.col("refunded") / pl.col("paid")),
        discount_share=pl.when(pl.col("purchases") > 0).then(
            pl.col("discounted") / pl.col("purchases")
        ),
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
    (plus the flat cost per purchase); most negative first. Empty without a margin. Without
    their reasons: ``with_reasons`` writes them for the rows a report lists (a Python loop
    over every losing customer took seconds at a million customers)."""
    if rules.margin is None:
        return customers.head(0).with_columns(costs=pl.lit(0.0), brought=pl.lit(0.0))
    brought = (
        rules.margin * pl.col("net_spend")
        - pl.col("cost")
        - rules.cost_per_order * pl.col("purchases")
    )
    losing = customers.with_columns(
        costs=pl.col("cost") + rules.cost_per_order * pl.col("purchases"), brought=brought
    ).filter(pl.col("brought") < 0)
    return losing.sort(["brought", "customer_id"])


def with_reasons(losing: pl.DataFrame, rules: CostRules) -> pl.DataFrame:
    """``losing`` (rows of :func:`unprofitable`) with ``reasons``: why each costs more."""
    why = ["; ".join(reasons(r, rules)) for r in losing.iter_rows(named=True)]
    return losing.with_columns(reasons=pl.Series(why, dtype=pl.Utf8))
