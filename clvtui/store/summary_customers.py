"""Customers known only from a warehouse summary: their identity rows, written with the run.

A summary run has no orders here, but every screen shows a customer by name, e-mail and first
order, read from ``customers``. The warehouse's id is kept exactly as given (no ``source:``
prefix), so the scores written back out join to the warehouse's own table. ``source`` is
``summary``; an id already in the table keeps what the file leaves empty.
"""

from __future__ import annotations

import sqlite3

import polars as pl

from clvtui.store import customer_snapshot

SUMMARY_SOURCE = "summary"
_CHUNK = 100_000


def upsert_summary_customers(conn: sqlite3.Connection, people: pl.DataFrame) -> None:
    """Insert or refresh ``customer_id, email, name, first_order_at`` rows (inside the caller's
    write transaction, so they land with the run or not at all)."""
    customer_snapshot.drop(conn)  # per-row triggers would cost ~µs a row at 10 M customers
    frame = people.select("customer_id", "email", "name", "first_order_at")
    sql = (
        "INSERT INTO customers (customer_id, email, name, first_order_at, source, sources) "
        f"VALUES (?, ?, ?, ?, '{SUMMARY_SOURCE}', '{SUMMARY_SOURCE}') "
        "ON CONFLICT (customer_id) DO UPDATE SET "
        "email = coalesce(excluded.email, customers.email), "
        "name = coalesce(excluded.name, customers.name), "
        "first_order_at = coalesce(excluded.first_order_at, customers.first_order_at)"
    )
    for lo in range(0, frame.height, _CHUNK):
        conn.executemany(sql, frame.slice(lo, _CHUNK).rows())
