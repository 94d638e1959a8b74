"""Marketing spend per month and channel (``clvtui spend import``), for actual CAC.

Re-importing a month and channel replaces it; the amounts stay in their currency's minor units.
"""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl
import sqlite_utils

from clvtui.store.frames import read_frame
from clvtui.store.locking import write_transaction


def upsert_marketing_spend(
    db: sqlite_utils.Database, rows: Iterable[tuple[str, str, int, str, str]]
) -> int:
    """(month, channel, amount_minor, currency, import_path): re-importing a month replaces it."""
    names = ("month", "channel", "amount_minor", "currency", "import_path")
    records = [dict(zip(names, row, strict=True)) for row in rows]
    with write_transaction(db, "spend"):  # all rows or none
        db.table("marketing_spend").upsert_all(records, pk=("month", "channel"))
    return len(records)


def marketing_spend_frame(db: sqlite_utils.Database) -> pl.DataFrame:
    return read_frame(
        db,
        "SELECT month, channel, amount_minor, currency FROM marketing_spend "
        "ORDER BY month, channel",
        (),
        schema={
            "month": pl.Utf8,
            "channel": pl.Utf8,
            "amount_minor": pl.Int64,
            "currency": pl.Utf8,
        },
    )
