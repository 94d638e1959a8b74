"""Orders with their costs (discount, shipping charged, payment fee), for cost to serve.

Only orders that cost the shop something count: purchases, and orders refunded in full
(shipped, paid for, then returned: their fee and shipping were spent). Cancelled, failed and
pending orders never left the shop.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np
import polars as pl
import sqlite_utils

from clvtui.store import column_snapshot
from clvtui.store.customer_ranks import CODE, IDS
from clvtui.store.frames import read_table, snapshot
from clvtui.store.identity import all_links, to_people

_COLUMNS = {
    "customer_key": ("customer_key", pl.Utf8),
    "amount_minor": ("amount_minor", pl.Int64),
    "refunded_minor": ("refunded_minor", pl.Int64),
    "is_purchase": ("is_purchase", pl.Int64),
    "discount_code": ("discount_code", pl.Utf8),
    "discount_minor": ("discount_minor", pl.Int64),
    "shipping_minor": ("shipping_minor", pl.Int64),
    "fee_minor": ("fee_minor", pl.Int64),
}
#: the integer columns in the narrowest type that holds their values: at a million customers
#: seven Int64 columns were 160 MB, most of them flags, zeros or (no cost columns) all null
_NARROW = [c for c, (_, dtype) in _COLUMNS.items() if dtype == pl.Int64]
_COSTLY = "(is_purchase = 1 OR status = 'refunded') AND customer_key IS NOT NULL"
_COST_KEYS = ("discount", "shipping", "fee")
_COST_COLUMNS = ("fee_minor", "discount_minor", "shipping_minor")


def has_cost_columns(db: sqlite_utils.Database) -> bool:
    """Whether any live import mapped a cost column (read from the imports log: no scan of the
    orders, so a shop without cost data pays nothing for the feature)."""
    rows = db.conn.execute(
        "SELECT mapping FROM imports WHERE undone_at IS NULL AND finished_at IS NOT NULL"
    ).fetchall()
    return any(f'"{key}":' in (text or "") for (text,) in rows for key in _COST_KEYS)


def has_cost_data(db: sqlite_utils.Database) -> bool:
    """Whether any order holds a cost: a mapped column may be empty in every row (an export's
    header names it, the shop never filled it). The log first, so most shops scan nothing."""
    if not has_cost_columns(db):
        return False
    with snapshot(db):  # the snapshot's cost columns: a scan of every order found nothing in 1 s
        for name in _COST_COLUMNS:  # one at a time (23 MB each at 1 M), the first held: done
            stored = column_snapshot.load(db, column_snapshot.ORDERS, [name])
            if stored is None:
                break
            if stored.to_series().null_count() < stored.height:
                return True
        else:
            return False
    found = db.conn.execute(
        "SELECT 1 FROM orders WHERE fee_minor IS NOT NULL OR discount_minor IS NOT NULL"
        " OR shipping_minor IS NOT NULL LIMIT 1"
    ).fetchone()
    return found is not None


def order_costs(db: sqlite_utils.Database, currency: str, until: str | None = None) -> pl.DataFrame:
    """The costly orders in ``currency`` up to ``until`` (UTC text, inclusive), one row each:
    ``customer_id`` (the person) and the columns of :data:`_COLUMNS` in minor units (each
    integer column in the narrowest integer type that holds its values)."""
    where = _COSTLY + " AND currency = ?" + (" AND ordered_at <= ?" if until else "")
    params = (currency, until) if until else (currency,)
    column_snapshot.prepare(db, column_snapshot.ORDERS)
    with snapshot(db):
        raw = _from_snapshot(db, currency, until)
        if raw is None:
            raw = read_table(db, "orders", _COLUMNS, where=where, params=params)
        links = all_links(db)
    narrow = [raw.get_column(c).shrink_dtype() for c in _NARROW]
    return raw.with_columns(to_people(raw, links), *narrow).drop("customer_key")


def coded_order_costs(
    db: sqlite_utils.Database, currency: str, until: str | None = None
) -> tuple[pl.DataFrame, pl.Series] | None:
    """:func:`order_costs` with ``customer_code`` in place of ``customer_id``, and the people
    it numbers: code ``i`` is ``ids[i]``, ids sorted, each with an order; ``discount_code``
    is 1 (a code) or null (none), Int8. From the snapshot's customer codes
    (``store.customer_ranks``): no per-command hashing or sorting of 2.8 M ids. None when
    the snapshot holds no codes (not current, or an older layout read-only)."""
    column_snapshot.prepare(db, column_snapshot.ORDERS)
    with snapshot(db):
        current = column_snapshot.ORDERS in column_snapshot.current_parts(db.conn)
        raw = _from_snapshot(db, currency, until, CODE) if current else None
        if raw is None:
            return None
        keys = _column(db, IDS)
        links = all_links(db)
    codes = raw.get_column(CODE).to_numpy()
    if links.height:  # linked keys: number their people instead (a million texts at most)
        people = to_people(keys.to_frame("customer_key"), links)
        keys = people.unique().sort()
        numbers = pl.int_range(0, keys.len(), dtype=pl.UInt32, eager=True)
        codes = people.replace_strict(keys, numbers).to_numpy()[codes]
    held = np.bincount(codes, minlength=keys.len()) > 0
    if not held.all():  # people without a costly order in this currency are not listed
        codes = (np.cumsum(held, dtype=np.int64) - 1)[codes]
        keys = keys.filter(pl.Series(held))
    coded = raw.with_columns(pl.Series(CODE, codes).shrink_dtype())  # the rest narrowed
    return coded, keys.alias("customer_id")


def _from_snapshot(
    db: sqlite_utils.Database, currency: str, until: str | None, key: str = "customer_key"
) -> pl.DataFrame | None:
    """:func:`order_costs`' rows from the column snapshot (None when it is not current).

    One column at a time, each filter column turned into a boolean as soon as it is decoded:
    status, currency and the order time are 2.8 M strings at a million customers, held only
    while they are tested (``column_snapshot.read_orders`` held them together, ~0.5 GB)."""
    # the ids first: their decoding needs the most memory, freed for the columns after them
    first = column_snapshot.load(db, column_snapshot.ORDERS, [key])
    if first is None:
        return None
    keys = first.to_series()
    del first
    tests = [
        ("status", pl.col("status") == "refunded"),
        ("currency", pl.col("currency") == currency),
        *([("ordered_at", pl.col("ordered_at") <= until)] if until else []),
    ]
    rest = [name for name in list(_COLUMNS)[1:] if name != "is_purchase"]
    with _Ahead(db, ["is_purchase", *[name for name, _ in tests], *rest]) as ahead:
        flag = ahead.take("is_purchase").rechunk().shrink_dtype()
        costly = (flag == 1).fill_null(False) & keys.is_not_null()
        for name, test in tests:
            passed = ahead.take(name).to_frame().select(test.fill_null(False)).to_series()
            passed = passed.rechunk()  # the booleans, not the texts: ~0.05 s less at 1 M
            costly = costly | (passed & keys.is_not_null()) if name == "status" else costly & passed
        every = bool(costly.all())  # the usual case: no filter to copy the columns through

        def kept(column: pl.Series) -> pl.Series:
            return column if every else column.filter(costly)

        out = [kept(keys).alias(key), kept(flag).alias("is_purchase")]
        del keys, flag
        for name in rest:
            column = ahead.take(name)
            if name == "discount_code" and key == CODE:  # only whether there was one counts
                column = _discount_flags(column)
            else:
                column = column.rechunk().cast(_COLUMNS[name][1])
            column = kept(column).alias(name)
            out.append(column.shrink_dtype() if name in _NARROW else column)  # before the next
    return pl.DataFrame(out).select(key, *list(_COLUMNS)[1:])  # the columns' order as before


class _Ahead:
    """The snapshot's columns, taken in the order named, each decoded on the other core
    while the one before is used: two decodes at most in flight, so no more than three
    columns of 2.8 M values are alive at once. Blobs are fetched here (the connection
    stays on its thread); the caller checked the part is current, in its transaction."""

    DEPTH = 2

    def __init__(self, db: sqlite_utils.Database, names: list[str]) -> None:
        self._conn, self._names = db.conn, list(names)
        self._pool = ThreadPoolExecutor(self.DEPTH, thread_name_prefix="clvtui-costs")
        self._pending: dict[str, Future[pl.Series]] = {}
        self._fill()

    def __enter__(self) -> _Ahead:
        return self

    def __exit__(self, *exc: object) -> None:
        self._pool.shutdown(cancel_futures=True)

    def _fill(self) -> None:
        while len(self._pending) < self.DEPTH and self._names:
            name = self._names.pop(0)
            (blob,) = self._conn.execute(
                "SELECT data FROM column_snapshots WHERE part = ? AND name = ?",
                (column_snapshot.ORDERS, name),
            ).fetchone()
            self._pending[name] = self._pool.submit(_batches, blob)

    def take(self, name: str) -> pl.Series:
        """The next column (``name``), as its blob's batches (not in one chunk)."""
        column = self._pending.pop(name).result()
        self._fill()
        return column


def _batches(blob: bytes) -> pl.Series:
    return pl.read_ipc(blob).to_series()


def _discount_flags(codes: pl.Series) -> pl.Series:
    """Each order's discount code as 1 (a code) or null (none): at a million customers 2.8 M
    texts never put in one chunk, ~0.08 s of CPU less than the codes themselves."""
    flags = pl.when(pl.col("discount_code").is_not_null()).then(pl.lit(1, dtype=pl.Int8))
    return codes.to_frame().select(flags.alias("discount_code")).to_series().rechunk()


def _column(db: sqlite_utils.Database, name: str) -> pl.Series:
    """One column of the (current: checked by the caller, inside its read transaction)
    orders snapshot."""
    frame = column_snapshot.load(db, column_snapshot.ORDERS, [name])
    if frame is None:  # the caller holds a read transaction: the stamp cannot have moved
        raise RuntimeError("the orders snapshot went stale inside a read transaction")
    return frame.to_series()
