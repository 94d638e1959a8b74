"""Product value from order lines: entry products, the product journey, affinity, and each
customer's best next product.

Pure functions over frames (no SQL, no faces). ``lines`` is one row per purchase line:
customer_id, order_key, ordered_at (UTC text, sortable), product. ``values`` is one row per
customer of a fitted run: customer_id, clv, x (repeat purchases).

- **Entry products**: the products on each customer's *first* order. For every product with
  at least ``min_customers`` such customers: how many it brought, their mean CLV against the
  shop's mean (the ratio an owner reads as "customers who start with X are worth 1.8× the
  average", with a 90 % interval from the standard error of the mean) and their repeat rate
  (90 % Wilson interval).
- **Journey**: first-order product → second-order product, counted once per customer and
  pair, and the median days from first to second order.
- **Affinity**: pairs bought by the same customers. support = share of customers who bought
  both; lift = support(A, B) / (support(A) · support(B)) — above 1 means more often together
  than chance. Pairs need ``min_pair_customers`` customers, so one odd basket cannot look like
  a pattern.
- **Best next product**: for a customer, the product they have not bought with the highest
  lift against any product they have bought (ties: more customers, then name).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from clvtui.core.normal import Z90
from clvtui.insights import baskets

MIN_CUSTOMERS = 20  # an entry product needs this many customers to say something
MIN_PAIR_CUSTOMERS = 5  # a pair needs this many customers who bought both


@dataclass(frozen=True)
class ProductRules:
    """Minimums that keep small numbers from looking like findings."""

    min_customers: int = MIN_CUSTOMERS
    min_pair_customers: int = MIN_PAIR_CUSTOMERS
    top: int = 20


def keyed_like(frame: pl.DataFrame, other: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with its customer_id in ``other``'s type (text or categorical), for a join:
    lines read from the store carry categorical ids, a run's values text ones."""
    wanted = other.schema["customer_id"]
    if frame.schema["customer_id"] == wanted:
        return frame
    return frame.with_columns(pl.col("customer_id").cast(wanted))


def customer_products(lines: pl.DataFrame) -> pl.DataFrame:
    """Distinct (customer_id, product): who bought what, at any time."""
    return lines.select("customer_id", "product").unique()


def first_orders(lines: pl.DataFrame) -> pl.DataFrame:
    """Each customer's first and second order (by time, then key): customer_id, order_key,
    ordered_at, rank (1 or 2), a customer's two rows next to each other. Lines come grouped
    by order, so an order's first line stands for it (a filter, not a unique over every
    line); orders are sorted by time alone and grouped by customer by hash (sorting by the
    customer's text id too cost twice as much)."""
    key = pl.col("order_key")
    orders = lines.select("customer_id", "order_key", "ordered_at").filter(
        key.ne_missing(key.shift(1)).fill_null(True)
    )
    if orders.get_column("order_key").n_unique() != orders.height:  # not grouped after all
        orders = orders.unique("order_key")
    firsts = (
        orders.sort("ordered_at", "order_key").group_by("customer_id", maintain_order=True).head(2)
    )
    who = pl.col("customer_id")
    first = who.ne_missing(who.shift(1)).fill_null(True)
    return firsts.with_columns(rank=pl.when(first).then(1).otherwise(2).cast(pl.Int64))


def entry_products(
    lines: pl.DataFrame,
    values: pl.DataFrame,
    rules: ProductRules = ProductRules(),
    firsts: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Products on first orders with enough customers, ranked by mean CLV.

    Columns: product, customers, share (of customers with lines), mean_clv, clv_ratio,
    ratio_low, ratio_high (90 %), repeat_rate, repeat_low, repeat_high, shop_mean_clv,
    shop_repeat_rate. Customers without a value in ``values`` are left out.
    """
    firsts = first_orders(lines) if firsts is None else firsts
    # one first order per customer: distinct (order, product) is distinct (customer, product),
    # and the integer key is cheaper to make distinct than the customer's text id
    starts = firsts.filter(pl.col("rank") == 1).select("order_key", "customer_id")
    own = lines.select("order_key", "product").join(starts, on="order_key", how="semi")
    vals = values.select("customer_id", "clv", repeat=(pl.col("x") > 0).cast(pl.Float64))
    valued = starts.join(keyed_like(vals, starts), on="customer_id", how="inner")
    entry = own.unique().join(valued, on="order_key").drop("order_key")
    shop = valued.drop("order_key")  # every first order has a line, so a product
    return entry_table(entry, shop, rules)


def entry_table(entry: pl.DataFrame, shop: pl.DataFrame, rules: ProductRules) -> pl.DataFrame:
    """The entry products' table from one row per (customer, first-order product) — product,
    clv, repeat — and one per customer with lines and a value (clv, repeat)."""
    means = shop.select(pl.col("clv").mean(), pl.col("repeat").mean()).row(0)
    shop_mean, shop_repeat = (float(v) if v is not None else 0.0 for v in means)
    n_all = max(shop.height, 1)
    per = (
        entry.group_by("product")
        .agg(
            customers=pl.len(),
            mean_clv=pl.col("clv").mean(),
            sd_clv=pl.col("clv").std().fill_null(0.0),
            repeats=pl.col("repeat").sum(),
        )
        .filter(pl.col("customers") >= rules.min_customers)
    )
    se = pl.col("sd_clv") / pl.col("customers").cast(pl.Float64).sqrt()
    scale = shop_mean if shop_mean > 0 else float("nan")
    low, high = _wilson(pl.col("repeats"), pl.col("customers"))
    return (
        per.with_columns(
            share=pl.col("customers") / n_all,
            clv_ratio=pl.col("mean_clv") / scale,
            ratio_low=(pl.col("mean_clv") - Z90 * se) / scale,
            ratio_high=(pl.col("mean_clv") + Z90 * se) / scale,
            repeat_rate=pl.col("repeats") / pl.col("customers"),
            repeat_low=low,
            repeat_high=high,
            shop_mean_clv=pl.lit(shop_mean),
            shop_repeat_rate=pl.lit(shop_repeat),
        )
        .drop("sd_clv", "repeats")
        .sort(["mean_clv", "customers", "product"], descending=[True, True, False])
        .head(rules.top)
    )


def _wilson(successes: pl.Expr, n: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """90 % Wilson score interval of a proportion (sound at 0 % and 100 %, unlike p ± z·se)."""
    n = n.cast(pl.Float64)
    p = successes / n
    z2 = Z90 * Z90
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = Z90 * (p * (1 - p) / n + z2 / (4 * n * n)).sqrt() / (1 + z2 / n)
    return centre - half, centre + half


def journey(
    lines: pl.DataFrame, top: int = 20, firsts: pl.DataFrame | None = None
) -> tuple[pl.DataFrame, float | None, int]:
    """(first → second product transitions, median days to the second order, customers with
    a second order). Transitions: first, second, customers, share (of customers with a second
    order), most common first."""
    firsts = first_orders(lines) if firsts is None else firsts
    # a second order's row follows its customer's first (first_orders keeps them together)
    pairs = firsts.with_columns(
        order_key_1=pl.col("order_key").shift(1), ordered_at_1=pl.col("ordered_at").shift(1)
    ).filter(pl.col("rank") == 2)
    if pairs.height == 0:
        return empty_journey(), None, 0
    gap = (_to_time("ordered_at") - _to_time("ordered_at_1")).dt.total_seconds() / 86400.0
    days = pairs.select(gap).to_series()
    middle = days.median()
    median = float(middle) if isinstance(middle, int | float) else None
    pairs = pairs.select("order_key_1", order_key_2="order_key")
    one = _products_of(lines, pairs, "order_key_1", "first")
    two = _products_of(lines, pairs, "order_key_2", "second")
    moves = (
        pairs.join(one, on="order_key_1")
        .join(two, on="order_key_2")
        .select("order_key_1", "first", "second")
        .unique()
        .group_by("first", "second")
        .agg(customers=pl.len())
        .with_columns(share=pl.col("customers") / max(pairs.height, 1))
        .sort(["customers", "first", "second"], descending=[True, False, False])
        .head(top)
    )
    return moves, median, pairs.height


def _products_of(lines: pl.DataFrame, pairs: pl.DataFrame, key: str, name: str) -> pl.DataFrame:
    """Distinct (order, product) of the orders in ``pairs[key]``, as columns key and name."""
    own = lines.select(pl.col("order_key").alias(key), pl.col("product").alias(name))
    return own.join(pairs.select(key), on=key, how="semi").unique()


def _to_time(column: str) -> pl.Expr:
    return pl.col(column).str.to_datetime("%Y-%m-%dT%H:%M:%SZ", strict=False)


def empty_journey() -> pl.DataFrame:
    return pl.DataFrame(
        schema={"first": pl.Utf8, "second": pl.Utf8, "customers": pl.UInt32, "share": pl.Float64}
    )


def affinity(bought: pl.DataFrame, min_pair_customers: int = MIN_PAIR_CUSTOMERS) -> pl.DataFrame:
    """Product pairs bought by the same customers: product_a < product_b, customers, support,
    lift, most lift first. ``bought`` is :func:`customer_products` (or a tier's part of it)."""
    n = bought.select(pl.col("customer_id").n_unique()).item()
    if not n:
        return empty_pairs()
    single = bought.group_by("product").agg(n_product=pl.len())
    # only products that could reach the minimum pair count take part in the self-join
    frequent = single.filter(pl.col("n_product") >= min_pair_customers).select("product")
    if frequent.height <= baskets.MAX_BITS:  # one bit per product: count per distinct basket
        together = baskets.pair_counts(bought, frequent.get_column("product").to_list())
    else:
        together = _pair_counts(bought, frequent.get_column("product").sort())
    return lift_table(together, single, n, min_pair_customers)


def _pair_counts(bought: pl.DataFrame, products: pl.Series) -> pl.DataFrame:
    """product, product_b, customers: customers who bought both, for every pair of
    ``products`` (sorted names; product < product_b) bought together. As Xᵀ·X of the sparse
    customer × product matrix: a self-join of a million customers' products made ~10 M rows
    of text (18 s and 3 GB at 240 products); this is integers only."""
    from scipy import sparse

    kept = bought.join(pl.DataFrame({"product": products}), on="product")
    ids = kept.get_column("customer_id")
    who = (ids if ids.dtype == pl.Categorical else ids.cast(pl.Categorical)).to_physical()
    what = kept.get_column("product").cast(pl.Enum(products)).to_physical()
    rows, cols = who.to_numpy(), what.to_numpy()
    k = products.len()
    matrix = sparse.csr_matrix(
        (np.ones(rows.size, dtype=np.int64), (rows, cols)),
        shape=(int(rows.max()) + 1 if rows.size else 0, k),
    )
    both = sparse.triu(matrix.T @ matrix, k=1).tocoo()
    return pl.DataFrame(
        {"product": products.gather(both.row), "product_b": products.gather(both.col),
         "customers": both.data},
        schema={"product": pl.Utf8, "product_b": pl.Utf8, "customers": pl.UInt32},
    ).filter(pl.col("customers") > 0)  # fmt: skip


def lift_table(
    together: pl.DataFrame, single: pl.DataFrame, n: int, min_pair_customers: int
) -> pl.DataFrame:
    """Affinity's table from pair counts (product, product_b, customers), each product's
    customers (product, n_product) and the customers with lines ``n``."""
    pairs = together.filter(pl.col("customers") >= min_pair_customers)
    a = single.rename({"product": "product", "n_product": "n_a"})
    b = single.rename({"product": "product_b", "n_product": "n_b"})
    return (
        pairs.join(a, on="product")
        .join(b, on="product_b")
        .with_columns(
            support=pl.col("customers") / n,
            lift=(pl.col("customers").cast(pl.Float64) * n)
            / (pl.col("n_a").cast(pl.Float64) * pl.col("n_b").cast(pl.Float64)),
        )
        .rename({"product": "product_a"})
        .select("product_a", "product_b", "customers", "support", "lift")
        .sort(
            ["lift", "customers", "product_a", "product_b"], descending=[True, True, False, False]
        )
    )


def empty_pairs() -> pl.DataFrame:
    return pl.DataFrame(
        schema={
            "product_a": pl.Utf8,
            "product_b": pl.Utf8,
            "customers": pl.UInt32,
            "support": pl.Float64,
            "lift": pl.Float64,
        }
    )


def best_next_products(
    bought: pl.DataFrame, pairs: pl.DataFrame, customers: pl.Series | None = None
) -> pl.DataFrame:
    """Per customer, the product they have not bought with the highest lift (> 1) against any
    product they have: customer_id, next_product, lift, because (the product it goes with).

    ``bought`` is :func:`customer_products`; ``pairs`` is :func:`affinity`; ``customers``
    limits the answer to some customers. Customers with no such product are absent.
    """
    if customers is not None:
        wanted = customers.cast(bought.schema["customer_id"])
        bought = bought.filter(pl.col("customer_id").is_in(wanted.implode()))
    both = directed_pairs(pairs)
    if both.height == 0:
        return empty_best_next()
    if both.select(pl.concat([pl.col("product"), pl.col("next_product")]).n_unique()).item() <= (
        baskets.MAX_BITS
    ):
        return baskets.best_next(bought, both)
    bought = keyed_like(bought, pl.DataFrame(schema={"customer_id": pl.Utf8}))  # sorted as text
    candidates = bought.join(both, on="product").join(
        bought.rename({"product": "next_product"}), on=["customer_id", "next_product"], how="anti"
    )
    return (
        candidates.sort(
            ["customer_id", "lift", "customers", "next_product"],
            descending=[False, True, True, False],
        )
        .group_by("customer_id", maintain_order=True)
        .first()
        .select("customer_id", "next_product", "lift", pl.col("product").alias("because"))
    )


def directed_pairs(pairs: pl.DataFrame) -> pl.DataFrame:
    """Each pair with lift > 1 in both directions — product (bought), next_product (to
    suggest), lift, customers — best first (lift, customers, then names)."""
    useful = pairs.filter(pl.col("lift") > 1.0)
    both = pl.concat(
        [
            useful.select(pl.col("product_a").alias("product"),
                          pl.col("product_b").alias("next_product"), "lift", "customers"),
            useful.select(pl.col("product_b").alias("product"),
                          pl.col("product_a").alias("next_product"), "lift", "customers"),
        ]
    )  # fmt: skip
    return both.sort(
        ["lift", "customers", "next_product", "product"], descending=[True, True, False, False]
    )


def empty_best_next() -> pl.DataFrame:
    return pl.DataFrame(schema={"customer_id": pl.Utf8, "next_product": pl.Utf8,
                                "lift": pl.Float64, "because": pl.Utf8})  # fmt: skip


def next_for(bought: pl.DataFrame, mine: list[str], min_pair_customers: int) -> pl.DataFrame:
    """For one customer who bought ``mine``: the products they have not bought, by lift (> 1)
    against one of theirs — next_product, lift, because, customers. Joins only the lines of
    customers who share a product with them (cheaper than every pair of the shop)."""
    n = bought.select(pl.col("customer_id").n_unique()).item()
    if not n or not mine:
        return pl.DataFrame(schema={"next_product": pl.Utf8, "lift": pl.Float64,
                                    "because": pl.Utf8, "customers": pl.UInt32})  # fmt: skip
    single = bought.group_by("product").agg(n_product=pl.len())
    theirs = bought.filter(pl.col("product").is_in(mine))
    others = bought.filter(~pl.col("product").is_in(mine)).rename({"product": "next_product"})
    pairs = (
        theirs.join(others, on="customer_id")
        .group_by("product", "next_product")
        .agg(customers=pl.len())
        .filter(pl.col("customers") >= min_pair_customers)
        .join(single, on="product")
        .join(single.rename({"product": "next_product", "n_product": "n_next"}), on="next_product")
        .with_columns(
            lift=pl.col("customers").cast(pl.Float64)
            * n
            / (pl.col("n_product").cast(pl.Float64) * pl.col("n_next").cast(pl.Float64))
        )
        .filter(pl.col("lift") > 1.0)
    )
    return pairs.sort(["lift", "customers", "next_product"], descending=[True, True, False]).select(
        "next_product", "lift", pl.col("product").alias("because"), "customers"
    )


def lead_product(entry: pl.DataFrame) -> dict[str, Any] | None:
    """The entry product to name first: the best one clearly above average (its interval
    above 1×), else the best one (whose sentence then says it is not yet clear)."""
    if entry.height == 0:
        return None
    clear = entry.filter(pl.col("ratio_low") > 1.0)
    return (clear if clear.height else entry).row(0, named=True)


def worth_sentence(
    product: str, ratio: float, low: float | None = None, high: float | None = None
) -> str:
    """The headline of an entry product ("customers who start with X are worth 1.8× the
    average"), saying so when the 90 % interval still includes the average."""
    if not math.isfinite(ratio):
        return f"customers who start with {product}: no average to compare with"
    text = f"customers who start with {product} are worth {ratio:.1f}× the average"
    if low is not None and high is not None and low <= 1.0 <= high:
        text += f" (90 % interval {low:.2f}–{high:.2f}×: not yet clearly different)"
    return text
