"""Orders in a frame → a database, the way a user gets them there: written as a generic CSV
beside the database and imported with ``clvtui.ingest.import_file`` (recovery tests, the
accuracy benchmark)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import sqlite_utils

from clvtui.ingest import import_file
from clvtui.store import open_db


def load_orders(db_path: Path, orders: pl.DataFrame) -> sqlite_utils.Database:
    """orders: customer_id, ordered_at (Datetime UTC), amount (major units)."""
    csv = db_path.with_suffix(".orders.csv")
    orders.with_row_index("n").select(
        order_id=pl.format("T{}", pl.col("n")),
        customer="customer_id",
        date=pl.col("ordered_at").dt.strftime("%Y-%m-%dT%H:%M:%SZ"),
        amount=pl.col("amount").round(2),
    ).write_csv(csv)
    db = open_db(db_path)
    import_file(db, csv, fmt="generic")
    return db
