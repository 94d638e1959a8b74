"""Customers' baskets as bit masks: the fast path of affinity and best next product.

Why: a self-join of every customer's products makes one row per customer and pair (tens of
millions at a million customers) and the best next product sorted those rows by customer.
When the products that matter are few (at most 63, one bit each of an unsigned 64-bit
integer), each customer's set of them is one integer, a shop has only a few thousand distinct
sets, and pair counts and best next products are computed once per distinct set in numpy.
More products than that: the callers keep their general joins.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from clvtui.core.order_masks import MAX_BITS

__all__ = ["MAX_BITS", "best_next", "first_fit", "masks", "pair_counts"]
_BLOCK = 4096  # distinct baskets scored at once (bounds the basket × pair matrix)


def masks(bought: pl.DataFrame, products: list[str]) -> pl.DataFrame:
    """customer_id, mask: the bits (``products``' positions) of what each customer bought.
    Customers who bought none of ``products`` are absent."""
    bits = pl.DataFrame(
        {"product": products, "bit": [1 << i for i in range(len(products))]},
        schema={"product": pl.Utf8, "bit": pl.UInt64},
    )
    return (
        bought.join(bits, on="product").group_by("customer_id").agg(mask=pl.col("bit").bitwise_or())
    )


def _distinct(frame: pl.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(distinct masks, customers holding each) as numpy arrays."""
    counts = frame.group_by("mask").agg(n=pl.len())
    return counts.get_column("mask").to_numpy(), counts.get_column("n").to_numpy()


def pair_counts(bought: pl.DataFrame, products: list[str]) -> pl.DataFrame:
    """product, product_b, customers: customers who bought both, for every pair of
    ``products`` (in name order, product < product_b) that anyone bought together."""
    ordered = sorted(products)
    uniq, weight = _distinct(masks(bought, ordered))
    k = len(ordered)
    incidence = ((uniq[:, None] >> np.arange(k, dtype=np.uint64)) & np.uint64(1)).astype(np.int64)
    together = (incidence * weight[:, None].astype(np.int64)).T @ incidence
    a, b = np.triu_indices(k, 1)
    keep = together[a, b] > 0
    names = np.array(ordered, dtype=object)
    return pl.DataFrame(
        {
            "product": names[a[keep]].tolist(),
            "product_b": names[b[keep]].tolist(),
            "customers": together[a, b][keep],
        },
        schema={"product": pl.Utf8, "product_b": pl.Utf8, "customers": pl.UInt32},
    )


def best_next(bought: pl.DataFrame, directed: pl.DataFrame) -> pl.DataFrame:
    """customer_id, next_product, lift, because: per customer the first row of ``directed``
    (product, next_product, lift — best first) whose product they bought and whose
    next_product they did not. ``directed`` names at most :data:`MAX_BITS` products."""
    ordered = sorted(set(directed.get_column("product")) | set(directed.get_column("next_product")))
    code = {name: i for i, name in enumerate(ordered)}
    have = np.array([1 << code[p] for p in directed.get_column("product")], dtype=np.uint64)
    want = np.array([1 << code[p] for p in directed.get_column("next_product")], dtype=np.uint64)
    baskets = masks(bought, ordered)
    uniq = baskets.get_column("mask").unique().to_numpy()
    choice = first_fit(uniq, have, want)
    found = choice >= 0
    picks = directed[choice[found].tolist()].select(
        "next_product", "lift", pl.col("product").alias("because")
    )
    table = picks.with_columns(mask=pl.Series(uniq[found], dtype=pl.UInt64))
    return (
        baskets.join(table, on="mask")
        .with_columns(pl.col("customer_id").cast(pl.Utf8))  # sorted as text, not by code
        .sort("customer_id")
        .select("customer_id", "next_product", "lift", "because")
    )


def first_fit(uniq: np.ndarray, have: np.ndarray, want: np.ndarray) -> np.ndarray:
    """Per mask of ``uniq``, the first row whose ``have`` bit it holds and ``want`` bit it
    lacks (-1: none); scored a block of masks at a time (bounded memory)."""
    choice = np.full(uniq.size, -1, dtype=np.int64)
    for start in range(0, uniq.size, _BLOCK):
        part = uniq[start : start + _BLOCK, None]
        fits = ((part & have) != 0) & ((part & want) == 0)
        first = fits.argmax(axis=1)
        choice[start : start + _BLOCK] = np.where(fits.any(axis=1), first, -1)
    return choice
