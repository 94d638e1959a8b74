"""Small read queries the terminal UI needs and no other store module offers.

The UI asks ``runs`` and ``insights`` for anything about fitted runs; this module only answers
"what is in the file" (for the welcome screen) and "who is this customer" (names and e-mails
to show and filter by, next to the scores).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl
import sqlite_utils

from clvtui.store.frames import read_table


@dataclass(frozen=True)
class DbStatus:
    """Counts that decide what the Overview shows (welcome, "fit me", or the dashboard)."""

    has_orders: bool
    imports: int
    runs: int
    last_import: str | None  # finished_at of the latest import (UTC ISO), if any
    orders: int | None = None  # counted only when asked (see database_status)
    customers: int | None = None

    @property
    def empty(self) -> bool:
        return not self.has_orders and not self.runs  # a summary run has no orders (warehouse)


def database_status(db: sqlite_utils.Database, *, counts: bool = True) -> DbStatus:
    """How much the database holds.

    ``counts=False`` skips counting orders and customers: at a million customers that reads
    ~100 MB of index and table pages, ~0.4 s when they are not in the OS cache, and a fitted
    run already knows how many customers it scored.
    """
    conn = db.conn
    has_orders = conn.execute("SELECT EXISTS (SELECT 1 FROM orders)").fetchone()[0] == 1
    imports, last = conn.execute(
        "SELECT count(*), max(finished_at) FROM imports WHERE undone_at IS NULL"
    ).fetchone()
    runs = conn.execute("SELECT count(*) FROM runs").fetchone()[0]
    if not counts:
        return DbStatus(has_orders, imports, runs, last)
    orders = conn.execute("SELECT count(*) FROM orders").fetchone()[0]
    customers = conn.execute("SELECT count(*) FROM customers").fetchone()[0]
    return DbStatus(has_orders, imports, runs, last, orders, customers)


IDENTITY_SCHEMA = {
    "customer_id": pl.Utf8,
    "name": pl.Utf8,
    "email": pl.Utf8,
    "country": pl.Utf8,
    "channel": pl.Utf8,
    "sources": pl.Utf8,
}


def customer_identity_frame(db: sqlite_utils.Database) -> pl.DataFrame:
    """Every customer's id, name, e-mail, country, channel and sources (what the ranking
    shows)."""
    return read_table(db, "customers", {c: (c, t) for c, t in IDENTITY_SCHEMA.items()})


def customer_identity(db: sqlite_utils.Database, customer_id: str) -> dict[str, object] | None:
    """One customer's stored attributes (for the detail screen), or None if unknown."""
    cursor = db.conn.execute(
        "SELECT customer_id, email, name, country, channel, first_product, discount_code, "
        "first_order_at, source, sources FROM customers WHERE customer_id = ?",
        (customer_id,),
    )
    row = cursor.fetchone()
    if row is None:
        return None
    return dict(zip([d[0] for d in cursor.description], row, strict=True))
