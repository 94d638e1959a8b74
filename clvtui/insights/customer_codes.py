"""Group a million orders by customer without a string ``group_by``.

``group_by("customer_id")`` on text hashes and compares every id, then aggregates every column
over a million groups, and the result sorted by id costs another string sort (~4.5 s of CPU
for ten sums over 2.8 M orders). Instead each id is hashed to 64 bits once (~0.05 s), the rows
are sorted by hash, and a check that every row's id equals its group's id proves no two
customers share a hash (when two do, the ids themselves are sorted: exact, slower). Only the
million distinct ids are sorted, to number the groups in id order as ``per_customer`` lists
them.

Totals are Kahan-compensated sums in row order (``kahan_sums``) — what polars'
``group_by().agg(sum)`` computes — so every total, and every shop-wide sum over them, is the
same to the last bit as before.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import polars as pl

CHECK_ROWS = 1 << 20  # ids compared a million at a time (memory)


@dataclass(frozen=True)
class Groups:
    """Rows grouped by customer: ``order`` sorts rows by group (row order kept within one),
    ``starts``/``sizes`` locate each group in that order, ``ids`` name the groups (sorted),
    ``codes`` give each row its group's number."""

    order: np.ndarray
    starts: np.ndarray
    sizes: np.ndarray
    ids: pl.Series
    codes: np.ndarray

    @property
    def count(self) -> int:
        return len(self.ids)


def by_customer(ids: pl.Series, keys: pl.Series | None = None) -> Groups:
    """Group rows by ``ids`` (no nulls). ``keys`` stands for the ids' 64-bit hashes (tests pass
    colliding ones to prove the exact path)."""
    if ids.len() == 0:
        empty = np.zeros(0, dtype=np.int64)
        return Groups(empty, empty, empty, ids.head(0), empty)
    order, codes, starts = _runs(ids.hash() if keys is None else keys)
    distinct = ids.gather(order[starts])
    # number the groups in id order: the ids' sort (polars, without the interpreter lock) on
    # the other core while this one checks the hashes; one thread each, as on a busy machine
    with ThreadPoolExecutor(1, thread_name_prefix="clvtui-ids") as pool:
        sorting = pool.submit(_arg_sort, distinct, maintain_order=False)
        held = _hashes_held(ids, distinct, codes)
        by_id = sorting.result()
    if not held:  # two customers share a hash: sort the ids
        order, codes, starts = _runs(ids)
        distinct = ids.gather(order[starts])
        by_id = _arg_sort(distinct, maintain_order=False)
    index = _index_type(len(order))
    sizes = np.diff(np.append(starts, len(order))).astype(index)
    rank = np.empty(len(by_id), dtype=index)
    rank[by_id] = np.arange(len(by_id), dtype=index)
    sizes = sizes[by_id]
    firsts = np.cumsum(sizes, dtype=index) - sizes
    within = np.arange(len(order), dtype=index) - np.repeat(firsts, sizes)
    within += np.repeat(starts[by_id].astype(index), sizes)
    order = order[within]
    return Groups(order, firsts, sizes, distinct.gather(by_id), rank[codes])


def by_code(codes: np.ndarray, ids: pl.Series) -> Groups:
    """Group rows by ``codes`` that already number ``ids`` in id order, every code used (the
    column snapshot's customer codes): a stable sort of small integers, no hashing, no
    string sort; the same groups as :func:`by_customer` of ``ids[codes]``."""
    index = _index_type(len(codes))
    codes = codes.astype(index, copy=False)
    sizes = np.bincount(codes, minlength=len(ids)).astype(index)
    order = stable_order(codes).astype(index, copy=False)
    return Groups(order, np.cumsum(sizes, dtype=index) - sizes, sizes, ids, codes)


def stable_order(values: np.ndarray) -> np.ndarray:
    """``np.argsort(values, kind="stable")`` of values in [0, 2**32): a radix sort (numpy
    sorts 16-bit values by counting, ~3x faster than its merge sort of 32-bit ones), or for
    wider values one sort of (value, row) packed in 64 bits — distinct keys, so any sort is
    stable: 0.07 s for 2.8 M customer codes where two 16-bit passes took 0.12."""
    if len(values) == 0 or values.max() < 1 << 16:
        return np.argsort(values.astype(np.uint16), kind="stable")
    keys = values.astype(np.uint64) << np.uint64(32)
    keys |= np.arange(len(values), dtype=np.uint64)
    keys.sort()  # in place: one 64-bit array alive, not two
    keys &= np.uint64(0xFFFFFFFF)
    return keys.view(np.int64)  # row numbers < 2**32: the same bits


def _index_type(n: int) -> type[np.signedinteger]:
    """Row numbers in 32 bits while they fit: a tenth of the memory of polars' frame of
    2.8 M orders in each such array, instead of a fifth."""
    return np.int32 if n < 2**31 - 1 else np.int64


def _hashes_held(ids: pl.Series, distinct: pl.Series, codes: np.ndarray) -> bool:
    """Whether every row's id is its hash group's id: a million rows at a time, so that the
    check never holds a second copy of every row's id (~130 MB at a million customers)."""
    for at in range(0, ids.len(), CHECK_ROWS):
        part = codes[at : at + CHECK_ROWS]
        if not (distinct.gather(part) == ids.slice(at, len(part))).all():
            return False
    return True


def _runs(keys: pl.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows sorted by ``keys`` (row order kept among equal keys), each row's run number in
    that sort, and where each run starts in it."""
    order = _arg_sort(keys, maintain_order=True)
    sorted_keys = keys.gather(order)
    new_run = np.concatenate(
        ([True], (sorted_keys.slice(1) != sorted_keys.slice(0, len(order) - 1)).to_numpy())
    )
    index = _index_type(len(order))
    codes = np.empty(len(order), dtype=index)
    codes[order] = np.cumsum(new_run, dtype=index) - 1
    return order, codes, np.flatnonzero(new_run)


def _arg_sort(values: pl.Series, *, maintain_order: bool) -> np.ndarray:
    """Positions sorting ``values``; one thread: on a busy machine the sort is faster so."""
    sort = pl.arg_sort_by("v", maintain_order=maintain_order, multithreaded=False)
    return values.to_frame("v").select(sort).to_series().to_numpy()


@dataclass(frozen=True)
class Layout:
    """The kept rows step-major: first every customer's first row, then every second row of
    those with two or more, .. — customers ordered longest first, so step k is one contiguous
    run of ``active[k]`` values and a Kahan step is four vector operations on it."""

    rows: np.ndarray
    active: np.ndarray
    longest: np.ndarray


def layout(groups: Groups, keep: np.ndarray | None = None) -> Layout:
    """The layout of ``groups`` over all rows, or over the rows where ``keep`` is set (dropped,
    not zeroed: a zero would move the Kahan compensation)."""
    rows, sizes = groups.order, groups.sizes
    if keep is not None:
        rows = rows[keep[rows]]
        sizes = np.bincount(groups.codes[keep], minlength=groups.count)
    index = _index_type(len(groups.order))
    sizes = sizes.astype(index, copy=False)
    longest = stable_order(sizes.max(initial=0) - sizes)  # longest first, ties in id order
    rank = np.empty(groups.count, dtype=index)
    rank[longest] = np.arange(groups.count, dtype=index)
    active = np.bincount(sizes, minlength=1)[::-1].cumsum()[::-1][1:]  # groups with > k rows
    step = np.arange(len(rows), dtype=index) - np.repeat(
        np.cumsum(sizes, dtype=index) - sizes, sizes
    )
    at = np.concatenate(([0], np.cumsum(active))).astype(index)[step]
    del step
    at += np.repeat(rank, sizes)
    step_major = np.empty(len(rows), dtype=rows.dtype)
    step_major[at] = rows
    return Layout(step_major, active, longest)


def kahan_sums(where: Layout, values: np.ndarray) -> np.ndarray:
    """Each group's Kahan-compensated total of ``values`` over its rows, in row order:
    step k adds every customer's k-th value at once."""
    total = np.zeros(len(where.longest))
    if not values.any():  # a shop without cost columns: every cost is 0, so is every total
        return total
    vals = values[where.rows]
    carry = np.zeros(len(where.longest))
    # the steps' temporaries in two reused buffers: allocated afresh, 8 MB each per step at
    # a million customers, they grew malloc's heap by ~40 MB over the seven sums of ``costs``
    y_buf, t_buf = np.empty(len(total)), np.empty(len(total))
    start = 0
    for n in where.active.tolist():
        y, t = y_buf[:n], t_buf[:n]
        np.subtract(vals[start : start + n], carry[:n], out=y)
        np.add(total[:n], y, out=t)
        np.subtract(t, total[:n], out=carry[:n])
        carry[:n] -= y
        total[:n] = t
        start += n
    out = np.empty(len(total))
    out[where.longest] = total
    return out


def group_sums(
    groups: Groups, every: Layout, values: np.ndarray, keep: np.ndarray | None = None
) -> np.ndarray:
    """:func:`kahan_sums` of ``values`` over the rows where ``keep`` is set (all: None), with
    ``every`` the layout of all rows. A group's total depends on its own rows only, so only
    the groups that need it are summed over a layout of their own: those with a dropped row
    (the rest sum as in ``every``), or, when few values are not 0 (refunds), those with one
    (the rest total 0). At a million customers: no second full layout and gather (~0.15 s)."""
    nonzero = values != 0
    if keep is not None:
        nonzero &= keep
    if np.count_nonzero(nonzero) * 8 < len(values):  # sparse: all others total 0
        totals = np.zeros(groups.count)
        redo = _groups_with(groups, nonzero)
    else:
        totals = kahan_sums(every, values)
        if keep is None or keep.all():
            return totals
        redo = _groups_with(groups, ~keep)
    if redo.any():
        rows = redo[groups.codes]
        if keep is not None:
            rows &= keep
        totals[redo] = kahan_sums(layout(groups, rows), values)[redo]
    return totals


def _groups_with(groups: Groups, rows: np.ndarray) -> np.ndarray:
    """Whether each group has a row where ``rows`` is set."""
    return np.bincount(groups.codes[rows], minlength=groups.count) > 0


def counts(groups: Groups, mask: np.ndarray) -> np.ndarray:
    """How many rows of each group have ``mask`` set (uint32, as polars counts)."""
    return np.bincount(groups.codes[mask], minlength=groups.count).astype(np.uint32)
