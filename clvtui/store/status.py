"""What the file holds: counts that decide between the welcome, "fit me" and the dashboard."""

from __future__ import annotations

from dataclasses import dataclass

import sqlite_utils


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
        return not self.has_orders and not self.runs  # a summary run has no orders


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
    runs = db.table("runs").count
    if not counts:
        return DbStatus(has_orders, imports, runs, last)
    return DbStatus(
        has_orders, imports, runs, last, db.table("orders").count, db.table("customers").count
    )
