"""A shop's order lines as bit masks: the fast path of the product views (catalogues of at
most 63 products).

Why: at a million customers the lines are ~5 M rows, and every unique, group and join over
them (even on categorical codes) cost seconds. With at most 63 products an order's products
are the bits of one unsigned 64-bit integer (bit i = the i-th product by name), built in one
pass over the lines (they come grouped by order); everything after works on one integer per
order or per customer in numpy — first and second orders, entry products, the journey,
affinity and the best next product — with no Python object and no row per line.
:mod:`clvtui.insights.products` computes the same answers with general joins (any catalogue);
the tests hold the two paths to each other.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from clvtui.insights.baskets import MAX_BITS

_NONE = np.iinfo(np.int64).max  # "no order" in the per-customer minimum arrays
_ORDERS_AT_ONCE = 1 << 18  # orders whose lines are turned into bits together


@dataclass(frozen=True)
class ShopMasks:
    """Per customer with lines (rows in the order of their first order's time): the
    products of their first order, of their second, of all their orders, as bit masks."""

    products: list[str]  # bit i is products[i]; names in order
    customer_id: pl.Series  # text
    first: np.ndarray  # uint64 masks
    second: np.ndarray  # uint64; 0 where there is no second order
    everything: np.ndarray  # uint64
    gap_days: pl.Series  # days from first to second order, of those with a second order
    hashes: np.ndarray  # uint64: the ids' hashes, sorted (to find a customer's row)
    hash_rows: np.ndarray  # int64: the row of each of ``hashes``

    def rows_of(self, ids: pl.Series) -> np.ndarray:
        """Rows of customer ids (text or categorical); -1: no lines. By the ids' 64-bit
        hashes (a join of a million text ids cost ~0.7 s of CPU), each match checked
        against the id itself; a clash falls back to the join."""
        ids = ids.cast(pl.Utf8)
        wanted = ids.hash().to_numpy()
        asked = np.argsort(wanted)  # looked up in order: 4x faster than at random
        at = np.empty(wanted.size, dtype=np.int64)
        at[asked] = np.searchsorted(self.hashes, wanted[asked])
        at = np.minimum(at, max(self.hashes.size - 1, 0))
        hit = self.hashes[at] == wanted if self.hashes.size else np.zeros(ids.len(), bool)
        rows = np.where(hit, self.hash_rows[at] if self.hashes.size else -1, -1)
        unique = self.hashes.size < 2 or bool((self.hashes[1:] != self.hashes[:-1]).all())
        if unique and bool((ids.filter(hit) == self.customer_id.gather(rows[hit])).all()):
            return rows
        table = pl.DataFrame({"customer_id": self.customer_id, "row": np.arange(self.first.size)})
        found = pl.DataFrame({"customer_id": ids}).join(
            table, on="customer_id", how="left", maintain_order="left"
        )
        return found.get_column("row").fill_null(-1).to_numpy()

    def part(self, keep: np.ndarray) -> tuple[ShopMasks, np.ndarray]:
        """The same shop kept to some customers (``keep``: boolean per row), and each old
        row's new row (-1: left out)."""
        moved = np.where(keep, np.cumsum(keep) - 1, -1)
        held = keep[self.hash_rows]
        mask = pl.Series(keep)
        part = ShopMasks(
            self.products, self.customer_id.filter(mask), self.first[keep], self.second[keep],
            self.everything[keep], self.gap_days.filter(pl.Series(keep[self.second != 0])),
            self.hashes[held],
            moved[self.hash_rows[held]],
        )  # fmt: skip
        return part, moved


def shop_masks(lines: pl.DataFrame) -> ShopMasks | None:
    """The masks of ``lines`` (customer_id, order_key, ordered_at, product; lines of an order
    together), or None when more than :data:`MAX_BITS` products are bought."""
    product = lines.get_column("product")
    if product.dtype != pl.Categorical:
        product = product.cast(pl.Categorical)  # one hash per line; codes after
    present = product.unique()
    if present.len() > MAX_BITS or present.null_count():
        return None
    names = present.cast(pl.Utf8)
    by_name = names.arg_sort().to_numpy()
    known = present.to_physical().to_numpy()[by_name]
    lut = np.zeros(int(known.max()) + 1 if known.size else 0, dtype=np.uint64)
    lut[known] = np.left_shift(np.uint64(1), np.arange(known.size, dtype=np.uint64))
    lines, key, rising = _grouped_by_order(lines.with_columns(product=product))
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]]) if key.size else key
    codes = lines.get_column("product").to_physical().to_numpy()
    masks = _order_masks(codes, lut, starts)
    order, rank = _time_order(lines, starts, rising)
    return _per_customer(names.gather(by_name).to_list(), lines, starts, masks, (order, rank))


def _grouped_by_order(lines: pl.DataFrame) -> tuple[pl.DataFrame, np.ndarray, bool]:
    """(``lines`` with each order's lines next to each other, their order keys, whether the
    keys rise): they are, as read; if not, a stable sort by order key makes them so."""
    key = lines.get_column("order_key").to_numpy()
    if key.size < 2 or bool((key[1:] >= key[:-1]).all()):
        return lines, key, True
    runs = int((key[1:] != key[:-1]).sum()) + 1
    if runs == lines.get_column("order_key").n_unique():
        return lines, key, False
    lines = lines.sort("order_key", maintain_order=True)
    return lines, lines.get_column("order_key").to_numpy(), True


def _order_masks(codes: np.ndarray, lut: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Each order's products as bits (the OR of its lines'), a block of orders at a time:
    a 64-bit word per line for every line at once would be 40 MB at 5 M lines."""
    masks = np.empty(starts.size, dtype=np.uint64)
    ends = np.r_[starts[1:], codes.size]
    for lo in range(0, starts.size, _ORDERS_AT_ONCE):
        hi = min(lo + _ORDERS_AT_ONCE, starts.size)
        bits = lut[codes[starts[lo] : ends[hi - 1]]]
        masks[lo:hi] = np.bitwise_or.reduceat(bits, starts[lo:hi] - starts[lo])
    return masks


def _time_order(
    lines: pl.DataFrame, starts: np.ndarray, rising: bool
) -> tuple[np.ndarray, np.ndarray]:
    """(orders by time then order key, each order's place in that order); orders are
    named by their first line (``starts``). Lines read in that order already (the usual
    case: keys ``rising`` and times sorted) need no sort."""
    if rising and lines.get_column("ordered_at").is_sorted():
        same = np.arange(starts.size)
        return same, same
    orders = lines.select("ordered_at", "order_key")[starts]
    order = orders.select(pl.arg_sort_by("ordered_at", "order_key")).to_series().to_numpy()
    rank = np.empty(order.size, dtype=np.int64)
    rank[order] = np.arange(order.size)
    return order, rank


def _per_customer(
    products: list[str],
    lines: pl.DataFrame,
    starts: np.ndarray,
    masks: np.ndarray,
    timing: tuple[np.ndarray, np.ndarray],
) -> ShopMasks:
    """Each customer's first and second order (by time, then order key) and all their
    products, from each order's first line (``starts``), products (``masks``) and place in
    time (``timing``: :func:`_time_order`)."""
    order, rank = timing
    ids = lines.get_column("customer_id")
    if ids.dtype != pl.Categorical:
        ids = ids.cast(pl.Categorical)
    who = ids.to_physical().gather(starts).to_numpy().astype(np.int64)
    size = int(who.max()) + 1 if who.size else 0
    first = np.full(size, _NONE, dtype=np.int64)
    np.minimum.at(first, who, rank)
    later = rank != first[who]
    second = np.full(size, _NONE, dtype=np.int64)
    np.minimum.at(second, who[later], rank[later])
    everything = np.zeros(size, dtype=np.uint64)
    np.bitwise_or.at(everything, who, masks)
    codes = np.flatnonzero(first != _NONE)
    codes = codes[np.argsort(first[codes], kind="stable")]  # customers by first order's time
    one = order[first[codes]]
    has_two = second[codes] != _NONE
    two = order[np.where(has_two, second[codes], first[codes])]
    at = lines.get_column("ordered_at")
    apart = _to_time(at[starts[two[has_two]]]) - _to_time(at[starts[one[has_two]]])
    text = ids.gather(starts[one]).cast(pl.Utf8)
    hashes = text.hash().to_numpy()
    by_hash = np.argsort(hashes)
    return ShopMasks(
        products, text, masks[one], np.where(has_two, masks[two], np.uint64(0)),
        everything[codes], apart.dt.total_seconds() / 86400.0, hashes[by_hash], by_hash,
    )  # fmt: skip


def _to_time(at: pl.Series) -> pl.Series:
    return at.str.to_datetime("%Y-%m-%dT%H:%M:%SZ", strict=False, cache=False)


def incidence(masks: np.ndarray, k: int) -> np.ndarray:
    """masks × k matrix of 0/1 (int64): which of the k products each mask holds."""
    return ((masks[:, None] >> np.arange(k, dtype=np.uint64)) & np.uint64(1)).astype(np.int64)


def distinct(masks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(distinct masks, how many times each occurs)."""
    counts = pl.DataFrame({"mask": masks}).group_by("mask").agg(n=pl.len())
    return counts.get_column("mask").to_numpy(), counts.get_column("n").to_numpy()
