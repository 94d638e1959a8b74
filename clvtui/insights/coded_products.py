"""Entry products, journey and affinity of any catalogue from a shop's lines as integers
(``store.order_lines.PurchaseCodes``): the general path when more than 63 products are sold.

Why: the general joins of :mod:`clvtui.insights.products` work on a frame with a text product
and a categorical id per line; at a million customers and 240 products they took ~15 s of CPU
and 1.8 GB. Here each customer's first order, second order and all orders become sparse
customer × product 0/1 matrices (scipy): entry products are the first-order matrix's
columns, the journey is first-orderᵀ · second-order, affinity is allᵀ · all.
:mod:`clvtui.core.order_masks` does the same with one 64-bit mask per customer when the
catalogue fits; the tests hold all three paths to each other.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
from scipy import sparse

from clvtui.core.order_masks import first_two, time_order, to_time
from clvtui.insights import products as ins

_NONE = np.iinfo(np.int64).max


@dataclass(frozen=True)
class ShopBaskets:
    """Per customer with lines (rows by their first order's time): the products of their
    first order, second order and all orders as sparse 0/1 rows (columns: ``products``)."""

    products: pl.Series  # names, sorted: column i is products[i]
    code: np.ndarray  # each row's customer code (a row of the ids given)
    first: sparse.csr_matrix
    second: sparse.csr_matrix  # an empty row: no second order
    everything: sparse.csr_matrix
    gap_days: pl.Series  # days from first to second order, of those with a second order

    def part(self, keep: np.ndarray) -> tuple[ShopBaskets, np.ndarray]:
        """The same shop kept to some customers (``keep``: boolean per row), and each old
        row's new row (-1: left out), as ``ShopMasks.part``."""
        two = np.diff(self.second.indptr) > 0
        moved = np.where(keep, np.cumsum(keep) - 1, -1)
        part = ShopBaskets(
            self.products, self.code[keep], self.first[keep], self.second[keep],
            self.everything[keep], self.gap_days.filter(pl.Series(keep[two])),
        )  # fmt: skip
        return part, moved


def shop_baskets(
    order: np.ndarray, product: pl.Series, customer: np.ndarray, ordered_at: pl.Series
) -> ShopBaskets:
    """The baskets of lines given as :func:`clvtui.core.order_masks.coded_shop_masks`
    takes them (``ids`` aside: rows carry the customer ``code``)."""
    if order.size > 1 and not bool((order[1:] >= order[:-1]).all()):
        by_order = np.argsort(order, kind="stable")  # an order's lines apart: rare
        order, product = order[by_order], product.gather(by_order)
    names, column = _columns(product)
    starts = np.flatnonzero(np.r_[True, order[1:] != order[:-1]]) if order.size else order
    present = order[starts]
    who = customer[present].astype(np.int64)
    if ordered_at.is_sorted():
        rank = np.arange(present.size)
    else:
        rank = time_order(ordered_at.gather(present), present, True)[1]
    first, second, codes = first_two(who, rank)  # codes: customers by first order
    row_of = np.full(first.size, -1, dtype=np.int64)
    row_of[codes] = np.arange(codes.size)
    per_line = np.repeat(np.arange(starts.size), np.diff(np.r_[starts, order.size]))
    row = row_of[who][per_line]
    line_rank = rank[per_line]
    is_first = line_rank == first[who][per_line]
    is_second = line_rank == second[who][per_line]
    shape = (codes.size, names.len())
    gap = _gap_days(ordered_at, present, rank, first[codes], second[codes])
    return ShopBaskets(
        names, codes, _matrix(row[is_first], column[is_first], shape),
        _matrix(row[is_second], column[is_second], shape), _matrix(row, column, shape), gap,
    )  # fmt: skip


def _columns(product: pl.Series) -> tuple[pl.Series, np.ndarray]:
    """(the products' names, sorted; each line's column: its name's place among them)."""
    if product.dtype != pl.Categorical:
        product = product.cast(pl.Categorical)
    present = product.unique().drop_nulls()
    names = present.cast(pl.Utf8)
    by_name = names.arg_sort().to_numpy()
    known = present.to_physical().to_numpy()[by_name]
    lut = np.full(int(known.max()) + 1 if known.size else 0, -1, dtype=np.int64)
    lut[known] = np.arange(known.size)
    return names.gather(by_name), lut[product.to_physical().to_numpy()]


def _matrix(rows: np.ndarray, cols: np.ndarray, shape: tuple[int, int]) -> sparse.csr_matrix:
    """0/1 customer × product matrix (a product twice on a row counts once)."""
    matrix = sparse.csr_matrix((np.ones(rows.size, dtype=np.int64), (rows, cols)), shape=shape)
    matrix.sum_duplicates()
    matrix.data[:] = 1
    return matrix


def _gap_days(
    ordered_at: pl.Series, present: np.ndarray, rank: np.ndarray, one: np.ndarray,
    two: np.ndarray,
) -> pl.Series:  # fmt: skip
    """Days from first to second order of the customers with a second order (rows' order)."""
    by_rank = np.empty(rank.size, dtype=np.int64)
    by_rank[rank] = present
    has_two = two != _NONE
    after = ordered_at.gather(by_rank[two[has_two]])
    before = ordered_at.gather(by_rank[one[has_two]])
    return (to_time(after) - to_time(before)).dt.total_seconds() / 86400.0


def entry_products(
    shop: ShopBaskets, values: pl.DataFrame, rules: ins.ProductRules, rows: np.ndarray
) -> pl.DataFrame:
    """:func:`clvtui.insights.products.entry_products` (``rows``: ``values``' rows in
    ``shop``, -1: none)."""
    vals = values.select("clv", repeat=(pl.col("x") > 0).cast(pl.Float64))
    kept = np.flatnonzero(rows >= 0)  # in the order of ``values``
    valued = vals[kept]
    firsts = shop.first[rows[kept]].tocsc()  # per product: its customers, values' order
    column = np.repeat(np.arange(firsts.shape[1]), np.diff(firsts.indptr))
    entry = valued[firsts.indices].with_columns(product=shop.products.gather(column))
    return ins.entry_table(entry, valued, rules)


def journey(shop: ShopBaskets, top: int) -> tuple[pl.DataFrame, float | None, int]:
    """:func:`clvtui.insights.products.journey` of the shop's customers."""
    count = int((np.diff(shop.second.indptr) > 0).sum())
    if not count:
        return ins.empty_journey(), None, 0
    middle = shop.gap_days.median()
    median = float(middle) if isinstance(middle, int | float) else None
    moves = (shop.first.T @ shop.second).tocoo()
    table = pl.DataFrame(
        {"first": shop.products.gather(moves.row), "second": shop.products.gather(moves.col),
         "customers": moves.data},
        schema={"first": pl.Utf8, "second": pl.Utf8, "customers": pl.UInt32},
    ).filter(pl.col("customers") > 0)  # fmt: skip
    table = table.with_columns(share=pl.col("customers") / count).sort(
        ["customers", "first", "second"], descending=[True, False, False]
    )
    return table.head(top), median, count


def affinity(shop: ShopBaskets, min_pair_customers: int) -> pl.DataFrame:
    """:func:`clvtui.insights.products.affinity` of the shop's customers."""
    n = shop.everything.shape[0]
    if not n:
        return ins.empty_pairs()
    per_product = np.asarray(shop.everything.sum(axis=0)).ravel()
    bought = per_product > 0
    single = pl.DataFrame(
        {"product": shop.products.filter(pl.Series(bought)), "n_product": per_product[bought]},
        schema={"product": pl.Utf8, "n_product": pl.UInt32},
    )
    both = sparse.triu(shop.everything.T @ shop.everything, k=1).tocoo()
    together = pl.DataFrame(
        {"product": shop.products.gather(both.row), "product_b": shop.products.gather(both.col),
         "customers": both.data},
        schema={"product": pl.Utf8, "product_b": pl.Utf8, "customers": pl.UInt32},
    ).filter(pl.col("customers") > 0)  # fmt: skip
    return ins.lift_table(together, single, n, min_pair_customers)


def best_next_products(shop: ShopBaskets, pairs: pl.DataFrame, rows: np.ndarray) -> pl.DataFrame:
    """:func:`clvtui.insights.products.best_next_products` of the shop's ``rows`` (in their
    order; customer_id left out: the caller names rows), the row as ``row``. For every
    (customer, product) the first of that product's suggestions, best first, the customer has
    not bought — a look-up among the sorted basket keys, repeated only for those not yet
    answered — then the best per customer: no join of baskets with pairs (12.8 GB at 1 M)."""
    directed = ins.directed_pairs(pairs)
    if directed.height == 0 or not rows.size:
        return pl.DataFrame(schema={"row": pl.Int64, **dict(ins.empty_best_next().schema)})
    k = shop.products.len()
    column = dict(zip(shop.products.to_list(), range(k), strict=True))
    have = np.array([column[p] for p in directed.get_column("product")], dtype=np.int64)
    want = np.array([column[p] for p in directed.get_column("next_product")], dtype=np.int64)
    by_product = np.argsort(have, kind="stable")  # each product's suggestions, best first
    first = np.searchsorted(have[by_product], np.arange(k + 1))
    baskets = shop.everything[rows].tocoo()
    keys = np.sort(baskets.row.astype(np.int64) * k + baskets.col)
    who, pos = baskets.row.astype(np.int64), first[baskets.col]
    end = first[baskets.col + 1]
    best = np.full(rows.size, directed.height, dtype=np.int64)
    open_ = np.flatnonzero(pos < end)
    while open_.size:
        rank = by_product[pos[open_]]
        key = who[open_] * k + want[rank]
        at = np.minimum(np.searchsorted(keys, key), keys.size - 1)
        bought = keys[at] == key
        np.minimum.at(best, who[open_[~bought]], rank[~bought])
        open_ = open_[bought]
        pos[open_] += 1
        open_ = open_[pos[open_] < end[open_]]
    found = np.flatnonzero(best < directed.height)
    picks = directed[best[found]].select("next_product", "lift", pl.col("product").alias("because"))
    return picks.with_columns(row=pl.Series(rows[found], dtype=pl.Int64)).select(
        "row", "next_product", "lift", "because"
    )
