"""Orders with their costs (discount, shipping charged, payment fee), for cost to serve.

Only orders that cost the shop something count: purchases, and orders refunded in full
(shipped, paid for, then returned: their fee and shipping were spent). Cancelled, failed and
pending orders never left the shop.
"""

from __future__ import annotations

import polars as pl
import sqlite_utils

from clvtui.store import column_snapshot
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
_COSTLY = "(is_purchase = 1 OR status = 'refunded') AND customer_key IS NOT NULL"
_COST_KEYS = ("discount", "shipping", "fee")


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
    found = db.conn.execute(
        "SELECT 1 FROM orders WHERE fee_minor IS NOT NULL OR discount_minor IS NOT NULL"
        " OR shipping_minor IS NOT NULL LIMIT 1"
    ).fetchone()
    return found is not None


def order_costs(db: sqlite_utils.Database, currency: str, until: str | None = None) -> pl.DataFrame:
    """The costly orders in ``currency`` up to ``until`` (UTC text, inclusive), one row each:
    ``customer_id`` (the person) and the columns of :data:`_COLUMNS` in minor units."""
    where = _COSTLY + " AND currency = ?" + (" AND ordered_at <= ?" if until else "")
    params = (currency, until) if until else (currency,)
    costly = (pl.col("is_purchase") == 1) | (pl.col("status") == "refunded")
    costly &= pl.col("customer_key").is_not_null() & (pl.col("currency") == currency)
    if until:
        costly &= pl.col("ordered_at") <= until
    column_snapshot.prepare(db, column_snapshot.ORDERS)
    with snapshot(db):
        raw = column_snapshot.read_orders(db, {c: pl.col(c) for c in _COLUMNS}, costly)
        if raw is None:
            raw = read_table(db, "orders", _COLUMNS, where=where, params=params)
        links = all_links(db)
    return raw.with_columns(to_people(raw, links)).drop("customer_key")
