"""A shop's order lines as bit masks: the fast path of the product views (catalogues of at
most 63 products). In the core, not the insights: the store keeps each buyer's masks in the
column snapshot (``store.buyer_masks``), built by these same functions.

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

from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np
import polars as pl

MAX_BITS = 63  # products one mask can hold (bit 63 left free: sums stay below 2**64)
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
    code: np.ndarray  # int64: each row's customer code as given (coded_shop_masks: its id's row)

    @cached_property
    def _by_hash(self) -> tuple[np.ndarray, np.ndarray]:
        """(the ids' 64-bit hashes sorted, the row of each): made when first asked for."""
        hashes = self.customer_id.hash().to_numpy()
        order = np.argsort(hashes)
        return hashes[order], order

    def rows_of(self, ids: pl.Series) -> np.ndarray:
        """Rows of customer ids (text or categorical); -1: no lines. By the ids' 64-bit
        hashes (a join of a million text ids cost ~0.7 s of CPU), each match checked
        against the id itself; a clash falls back to the join."""
        ids = ids.cast(pl.Utf8)
        hashes, hash_rows = self._by_hash
        wanted = ids.hash().to_numpy()
        asked = np.argsort(wanted)  # looked up in order: 4x faster than at random
        at = np.empty(wanted.size, dtype=np.int64)
        at[asked] = np.searchsorted(hashes, wanted[asked])
        at = np.minimum(at, max(hashes.size - 1, 0))
        hit = hashes[at] == wanted if hashes.size else np.zeros(ids.len(), bool)
        rows = np.where(hit, hash_rows[at] if hashes.size else -1, -1)
        unique = hashes.size < 2 or bool((hashes[1:] != hashes[:-1]).all())
        if unique and self._same_ids(ids, np.flatnonzero(hit), rows):
            return rows
        table = pl.DataFrame({"customer_id": self.customer_id, "row": np.arange(self.first.size)})
        found = pl.DataFrame({"customer_id": ids}).join(
            table, on="customer_id", how="left", maintain_order="left"
        )
        return found.get_column("row").fill_null(-1).to_numpy()

    def _same_ids(self, ids: pl.Series, at: np.ndarray, rows: np.ndarray) -> bool:
        """Whether ``ids[at]`` are the ids of ``rows[at]``, a block at a time (a million
        text ids gathered twice at once held ~60 MB)."""
        for lo in range(0, at.size, _ORDERS_AT_ONCE):
            block = at[lo : lo + _ORDERS_AT_ONCE]
            if not bool((ids.gather(block) == self.customer_id.gather(rows[block])).all()):
                return False
        return True

    def part(self, keep: np.ndarray) -> tuple[ShopMasks, np.ndarray]:
        """The same shop kept to some customers (``keep``: boolean per row), and each old
        row's new row (-1: left out)."""
        moved = np.where(keep, np.cumsum(keep) - 1, -1)
        part = ShopMasks(
            self.products, self.customer_id.filter(pl.Series(keep)), self.first[keep],
            self.second[keep], self.everything[keep],
            self.gap_days.filter(pl.Series(keep[self.second != 0])), self.code[keep],
        )  # fmt: skip
        return part, moved

    def of_people(self, ids: pl.Series) -> tuple[ShopMasks, np.ndarray]:
        """The shop kept to the people ``ids`` (distinct; each row's ``code`` then is its
        id's place in ``ids``, as :func:`coded_shop_masks` numbers them), and each id's row
        in it (-1: no lines). For masks kept per buyer of the whole shop (``store.buyer_masks``)."""
        return self.of_rows(self.rows_of(ids))

    def of_rows(self, rows: np.ndarray) -> tuple[ShopMasks, np.ndarray]:
        """:meth:`of_people` of people given by their rows here (-1: no lines), distinct."""
        asked = np.flatnonzero(rows >= 0)
        keep = np.zeros(self.first.size, dtype=bool)
        keep[rows[asked]] = True
        whole = bool(keep.all())  # every buyer is the run's (the usual case): no copy
        part, moved = (self, np.arange(keep.size)) if whole else self.part(keep)
        placed = np.where(rows >= 0, moved[rows], -1)
        code = np.empty(part.first.size, dtype=np.int64)
        code[placed[asked]] = asked
        return replace(part, code=code), placed


def shop_masks(lines: pl.DataFrame) -> ShopMasks | None:
    """The masks of ``lines`` (customer_id, order_key, ordered_at, product; lines of an order
    together), or None when more than :data:`MAX_BITS` products are bought."""
    bits = _bits(lines.get_column("product"))
    if bits is None:
        return None
    names, lut, product = bits
    lines, key, rising = _grouped_by_order(lines.with_columns(product=product))
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]]) if key.size else key
    masks = _order_masks(lines.get_column("product").to_physical().to_numpy(), lut, starts)
    at = lines.get_column("ordered_at").gather(starts)
    timing = time_order(at, key[starts], rising)
    ids = lines.get_column("customer_id")
    if ids.dtype != pl.Categorical:
        ids = ids.cast(pl.Categorical)
    who = ids.to_physical().gather(starts).to_numpy().astype(np.int64)
    return _per_customer(names, (who, masks), timing, at.gather, lambda o: ids.gather(starts[o]))


def coded_shop_masks(
    order: np.ndarray, product: pl.Series, customer: np.ndarray, ordered_at: pl.Series,
    ids: pl.Series,
) -> ShopMasks | None:  # fmt: skip
    """:func:`shop_masks` of lines given as integers: per line its ``order`` (a row of the
    per-order ``customer`` and ``ordered_at``; orders numbered in the order they were stored,
    which breaks ties in time) and ``product``; ``customer``: a row of ``ids`` (text), which
    each row's ``code`` then is (-1: an order that counts for nobody; it has no line here).
    No text per line, no join: at a million customers the frame form cost ~2 s more to read
    and ~1 s more here."""
    bits = _bits(product)
    if bits is None:
        return None
    names, lut, product = bits
    if order.size > 1 and not bool((order[1:] >= order[:-1]).all()):
        by_order = np.argsort(order, kind="stable")  # an order's lines apart: rare
        order, product = order[by_order], product.gather(by_order)
    starts = np.flatnonzero(np.r_[True, order[1:] != order[:-1]]) if order.size else order
    masks = _order_masks(product.to_physical().to_numpy(), lut, starts)
    present = order[starts]
    who = customer[present].astype(np.int64)
    if who.size and who.min() < 0:
        raise ValueError("a line of an order that counts for nobody (customer -1)")
    if ordered_at.is_sorted():  # stored in time order (the usual case): so are these
        timing = np.arange(present.size), np.arange(present.size)
    else:
        timing = time_order(ordered_at.gather(present), present, True)

    def times(of: np.ndarray) -> pl.Series:
        return ordered_at.gather(present[of])

    return _per_customer(names, (who, masks), timing, times, lambda o: ids.gather(who[o]))


def _bits(product: pl.Series) -> tuple[list[str], np.ndarray, pl.Series] | None:
    """(product names in order, each product code's bit, ``product`` categorical), or None
    when more than :data:`MAX_BITS` products (or a missing one) are bought."""
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
    return names.gather(by_name).to_list(), lut, product


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


def time_order(at: pl.Series, key: np.ndarray, rising: bool) -> tuple[np.ndarray, np.ndarray]:
    """(orders by time ``at`` then order ``key``, each order's place in that order). Orders
    stored in that order already (the usual case: keys ``rising``, times sorted) need no sort."""
    if rising and at.is_sorted():
        same = np.arange(at.len())
        return same, same
    order = _sorted_with_tail(at, key) if rising and not at.null_count() else None
    if order is None:
        orders = pl.DataFrame({"ordered_at": at, "order_key": key})
        order = orders.select(pl.arg_sort_by("ordered_at", "order_key")).to_series().to_numpy()
    rank = np.empty(order.size, dtype=np.int64)
    rank[order] = np.arange(order.size)
    return order, rank


def _sorted_with_tail(at: pl.Series, key: np.ndarray) -> np.ndarray | None:
    """:func:`time_order`'s order of orders in time order but for a tail (an import of older
    orders appends them): the tail sorted and merged in by binary search, where sorting 2.9 M
    texts cost ~1.5 s of CPU; None when the tail is not small. Keys rise, so at equal times
    the head's orders come first."""
    later = at.slice(1) < at.slice(0, at.len() - 1)  # a time before the one above it
    head = int(later.arg_true()[0]) + 1
    if 8 * (at.len() - head) > at.len():
        return None
    tail = pl.DataFrame({"ordered_at": at.slice(head), "order_key": key[head:]})
    by_time = tail.select(pl.arg_sort_by("ordered_at", "order_key")).to_series().to_numpy()
    found = at.slice(0, head).search_sorted(tail.get_column("ordered_at").gather(by_time), "right")
    place = found.to_numpy().astype(np.int64) + np.arange(by_time.size)
    order = np.empty(at.len(), dtype=np.int64)
    order[place] = head + by_time
    rest = np.ones(at.len(), dtype=bool)
    rest[place] = False
    order[rest] = np.arange(head)
    return order


def _per_customer(
    products: list[str],
    orders: tuple[np.ndarray, np.ndarray],
    timing: tuple[np.ndarray, np.ndarray],
    time_of: Callable[[np.ndarray], pl.Series],
    text_of: Callable[[np.ndarray], pl.Series],
) -> ShopMasks:
    """Each customer's first and second order (by time, then order key) and all their
    products, from each order's customer code and products (``orders``) and place in time
    (``timing``: :func:`time_order`); ``time_of`` and ``text_of``: the times and customer
    ids of some orders."""
    (who, masks), (order, rank) = orders, timing
    first, second, codes = first_two(who, rank)
    everything = np.zeros(first.size, dtype=np.uint64)
    np.bitwise_or.at(everything, who, masks)
    one = order[first[codes]]
    has_two = second[codes] != _NONE
    two = order[np.where(has_two, second[codes], first[codes])]
    apart = to_time(time_of(two[has_two])) - to_time(time_of(one[has_two]))
    return ShopMasks(
        products, text_of(one).cast(pl.Utf8), masks[one],
        np.where(has_two, masks[two], np.uint64(0)), everything[codes],
        apart.dt.total_seconds() / 86400.0, codes,
    )  # fmt: skip


def first_two(who: np.ndarray, rank: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per customer code (orders' ``who``, their distinct places in time ``rank``): the rank of
    their first and second order (``_NONE`` for none), and the codes ordered by first order
    (ranks are distinct, so a counting sort)."""
    size = int(who.max()) + 1 if who.size else 0
    first = np.full(size, _NONE, dtype=np.int64)
    np.minimum.at(first, who, rank)
    later = rank != first[who]
    second = np.full(size, _NONE, dtype=np.int64)
    np.minimum.at(second, who[later], rank[later])
    place = np.full(rank.size, -1, dtype=np.int64)
    known = np.flatnonzero(first != _NONE)
    place[first[known]] = known
    return first, second, place[place >= 0]


def to_time(at: pl.Series) -> pl.Series:
    return at.str.to_datetime("%Y-%m-%dT%H:%M:%SZ", strict=False, cache=False)


def incidence(masks: np.ndarray, k: int) -> np.ndarray:
    """masks × k matrix of 0/1 (int64): which of the k products each mask holds."""
    return ((masks[:, None] >> np.arange(k, dtype=np.uint64)) & np.uint64(1)).astype(np.int64)


def distinct(masks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(distinct masks, how many times each occurs)."""
    counts = pl.DataFrame({"mask": masks}).group_by("mask").agg(n=pl.len())
    return counts.get_column("mask").to_numpy(), counts.get_column("n").to_numpy()
