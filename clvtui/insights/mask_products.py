"""Entry products, journey, affinity and best next product from a shop's bit masks
(:mod:`clvtui.core.order_masks`): the same tables as :mod:`clvtui.insights.products`,
built from one integer per customer instead of their lines.

Why: counts per product and per pair are sums over a few thousand distinct masks (small
matrix products), and a customer's best next product is found once per distinct mask; only
the entry products' means go through a frame (one row per customer and first product, so
the averages are the general path's to the last bit).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from clvtui.core.order_masks import ShopMasks, distinct, incidence
from clvtui.insights import products as ins
from clvtui.insights.baskets import first_fit


def entry_products(
    shop: ShopMasks, values: pl.DataFrame, rules: ins.ProductRules, rows: np.ndarray | None = None
) -> pl.DataFrame:
    """:func:`clvtui.insights.products.entry_products` of the shop's customers (``rows``:
    ``values``' rows in ``shop``, if known)."""
    vals = values.select("clv", repeat=(pl.col("x") > 0).cast(pl.Float64))
    rows = shop.rows_of(values.get_column("customer_id")) if rows is None else rows
    kept = np.flatnonzero(rows >= 0)  # in the order of ``values``, as the joins keep them
    valued = vals[kept]
    first = shop.first[rows[kept]]
    # each product's customers in turn, gathered at once (filtering the frame per product and
    # concatenating held every part twice: ~150 MB at a million customers); the masks in the
    # narrowest integer that holds the shop's bits, each bit tested as a boolean (16 products
    # at a million customers: 0.10 -> 0.03 s of CPU)
    narrow = _narrowed(first, len(shop.products))
    bit_of = narrow.dtype.type
    parts = [np.flatnonzero((narrow & bit_of(1 << bit)) != 0) for bit in range(len(shop.products))]
    at = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
    if not at.size:
        return ins.entry_table(valued.with_columns(product=pl.lit(None, pl.Utf8)), valued, rules)
    which = np.repeat(np.arange(len(parts)), [part.size for part in parts])
    names = pl.Series(shop.products, dtype=pl.Utf8)
    return ins.entry_table(valued[at].with_columns(product=names.gather(which)), valued, rules)


def _narrowed(masks: np.ndarray, bits: int) -> np.ndarray:
    """``masks`` (uint64, only the low ``bits`` used) in the smallest unsigned integer type
    that holds them: the same values, a quarter to an eighth of the bytes to scan."""
    for kind in (np.uint8, np.uint16, np.uint32):
        if bits <= np.iinfo(kind).bits:
            return masks.astype(kind)
    return masks


def journey(shop: ShopMasks, top: int) -> tuple[pl.DataFrame, float | None, int]:
    """:func:`clvtui.insights.products.journey` of the shop's customers."""
    two = shop.second != 0  # every order has a line, so a product: 0 is "no second order"
    count = int(two.sum())
    if not count:
        return ins.empty_journey(), None, 0
    middle = shop.gap_days.median()
    median = float(middle) if isinstance(middle, int | float) else None
    combos = (
        pl.DataFrame({"one": shop.first[two], "two": shop.second[two]})
        .group_by("one", "two")
        .agg(n=pl.len())
    )
    k = len(shop.products)
    one = incidence(combos.get_column("one").to_numpy(), k)
    other = incidence(combos.get_column("two").to_numpy(), k)
    moves = (one * combos.get_column("n").to_numpy()[:, None]).T @ other
    a, b = np.nonzero(moves)
    names = pl.Series(shop.products, dtype=pl.Utf8)
    table = (
        pl.DataFrame(
            {"first": names[a], "second": names[b], "customers": moves[a, b]},
            schema={"first": pl.Utf8, "second": pl.Utf8, "customers": pl.UInt32},
        )
        .with_columns(share=pl.col("customers") / count)
        .sort(["customers", "first", "second"], descending=[True, False, False])
        .head(top)
    )
    return table, median, count


def affinity(shop: ShopMasks, min_pair_customers: int) -> pl.DataFrame:
    """:func:`clvtui.insights.products.affinity` of the shop's customers."""
    n = shop.everything.size
    if not n:
        return ins.empty_pairs()
    uniq, weight = distinct(shop.everything)
    k = len(shop.products)
    holds = incidence(uniq, k)
    per_product = weight.astype(np.int64) @ holds
    together = (holds * weight[:, None].astype(np.int64)).T @ holds
    a, b = np.triu_indices(k, 1)
    keep = together[a, b] > 0
    names = pl.Series(shop.products, dtype=pl.Utf8)
    bought = per_product > 0
    single = pl.DataFrame(
        {"product": names.filter(pl.Series(bought)), "n_product": per_product[bought]},
        schema={"product": pl.Utf8, "n_product": pl.UInt32},
    )
    pairs = pl.DataFrame(
        {"product": names[a[keep]], "product_b": names[b[keep]], "customers": together[a, b][keep]},
        schema={"product": pl.Utf8, "product_b": pl.Utf8, "customers": pl.UInt32},
    )
    return ins.lift_table(pairs, single, n, min_pair_customers)


def best_next_products(
    shop: ShopMasks, pairs: pl.DataFrame, customers: pl.Series | None = None
) -> pl.DataFrame:
    """:func:`clvtui.insights.products.best_next_products` of the shop's customers (all, or
    those of ``customers``), in the shop's order of customers (by their first order) rather
    than sorted by id: sorting a million text ids cost more than the rest together."""
    directed = ins.directed_pairs(pairs)
    if directed.height == 0:
        return ins.empty_best_next()
    bit = {name: np.uint64(1) << np.uint64(i) for i, name in enumerate(shop.products)}
    have = np.array([bit[p] for p in directed.get_column("product")], dtype=np.uint64)
    want = np.array([bit[p] for p in directed.get_column("next_product")], dtype=np.uint64)
    if customers is None:
        rows = np.arange(shop.everything.size)
    else:
        rows = np.unique(shop.rows_of(customers))  # in the shop's order, each once
        rows = rows[rows >= 0]
    masks = shop.everything[rows]
    uniq = np.unique(masks)
    choice = first_fit(uniq, have, want)[np.searchsorted(uniq, masks)]
    found = choice >= 0
    picks = directed[choice[found]].select(
        "next_product", "lift", pl.col("product").alias("because")
    )
    return picks.with_columns(customer_id=shop.customer_id.gather(rows[found])).select(
        "customer_id", "next_product", "lift", "because"
    )
