"""Load an orders frame into a real SQLite file through the public ingest API (no SQL here)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import sqlite_utils

from clvtui.ingest import import_file
from clvtui.store import open_db

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "cdnow"
CDNOW_SAMPLE = FIXTURES / "CDNOW_sample.txt"
CDNOW_SUMMARY = FIXTURES / "cdnow_customers_summary_with_transactions.csv"


def load_orders(db_path: Path, orders: pl.DataFrame) -> sqlite_utils.Database:
    """orders: customer_id, ordered_at (Datetime UTC), amount (major units), written as a
    generic CSV next to the database and imported with ``clvtui.ingest.import_file``."""
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
