"""Each order's UTC day as a number, kept in the column snapshot (part ``days``), made once per
orders stamp.

Why: ``cohorts`` and ``plan`` use an order's time only for its UTC day and the as-of test, yet
read it as text — 2.9 M strings at a million customers, ~0.4 s of CPU per command to
decompress and parse. Imports and undos make the days once (``column_snapshot.rebuild`` →
``buyer_masks.refresh`` → :func:`refresh`); a command reads 4 bytes an order.

Kept only when the days give exactly the text's answers: every time parses to the day of its
first ten characters, written back the same, and no time is later than its own day's end
(``…T23:59:59Z``). Then, for an as-of day L, ``text <= L + "T23:59:59Z"`` holds exactly when
``day <= L``: a different day decides within the first ten characters, the same day by the
check. Otherwise (a leap second, a stray format) nothing is kept and the texts are read.
"""

from __future__ import annotations

import io

import polars as pl
import sqlite_utils

from clvtui.store import column_snapshot

DAYS = "days"  # the part's name in ``column_snapshots``
_LAYOUT = "/days1"  # after the orders' stamp: a part of another layout is stale
_NAME = "ordered_day"
_TEXT_DAY = pl.col("ordered_at").str.slice(0, 10)


def refresh(db: sqlite_utils.Database) -> None:
    """Make the days when stale and the orders part is current, inside the caller's write
    transaction (none kept when a time is not a plain UTC one: see the module's text)."""
    conn = db.conn
    if is_current(db) or column_snapshot.ORDERS not in column_snapshot.current_parts(conn):
        return
    conn.execute("DELETE FROM column_snapshots WHERE part = ?", (DAYS,))
    days = _built(db)
    if days is None:
        return
    buffer = io.BytesIO()
    days.to_frame().write_ipc(buffer, compression="lz4")
    conn.execute(
        "INSERT INTO column_snapshots (part, name, stamp, row_count, data) VALUES (?, ?, ?, ?, ?)",
        (DAYS, _NAME, column_snapshot.order_stamp(conn) + _LAYOUT, days.len(), buffer.getbuffer()),
    )


def _built(db: sqlite_utils.Database) -> pl.Series | None:
    """Every order's UTC day (orders part order, null where the time is), or None when a day
    would not answer the as-of test as the text does."""
    times = column_snapshot.load(db, column_snapshot.ORDERS, ["ordered_at"])
    if times is None:
        return None
    at = pl.col("ordered_at")
    day = _TEXT_DAY.str.strptime(pl.Date, "%Y-%m-%d", strict=False).alias(_NAME)
    frame = times.select(at, day)
    # the first ten characters are a date as ISO writes it, the rest no later than its end
    iso = at.str.contains(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}") & (at.str.slice(10) <= "T23:59:59Z")
    exact = frame.select(
        (pl.col(_NAME).null_count() == at.null_count()).alias("parsed"),
        iso.fill_null(True).all().alias("same"),
    )
    if not (exact["parsed"][0] and exact["same"][0]):
        return None
    return frame.get_column(_NAME)


def stored_days(db: sqlite_utils.Database) -> pl.Series | None:
    """Every order's UTC day (Date, the orders part's rows) when kept for the orders of now,
    else None. Call inside the caller's read transaction, beside the orders part's columns."""
    if not is_current(db):
        return None
    sql = "SELECT data FROM column_snapshots WHERE part = ? AND name = ? AND stamp = ?"
    stamp = column_snapshot.order_stamp(db.conn) + _LAYOUT
    row = db.conn.execute(sql, (DAYS, _NAME, stamp)).fetchone()
    return None if row is None else pl.read_ipc(row[0]).to_series().rechunk()


def is_current(db: sqlite_utils.Database) -> bool:
    """Whether the days kept are those of the orders of now."""
    if column_snapshot.ORDERS not in column_snapshot.current_parts(db.conn):
        return False  # also: no column_snapshots table (a database from before it)
    sql = "SELECT 1 FROM column_snapshots WHERE part = ? AND stamp = ? LIMIT 1"
    stamp = column_snapshot.order_stamp(db.conn) + _LAYOUT
    return db.conn.execute(sql, (DAYS, stamp)).fetchone() is not None
