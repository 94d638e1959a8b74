"""Query results as polars frames: one helper, so every read is chunked and typed the same way.

Rows come from ``sqlite3`` a chunk at a time and polars turns each chunk's tuples into columns
in Rust (``zip(*rows)`` in Python costs ~2 s more per 2.8 M rows; ``pl.read_database`` infers
types row by row and is ~1.6× slower). Chunks keep only 250k rows of Python objects alive
(2.8 M orders at once would hold ~600 MB).

Not used, on purpose: Arrow-native readers (ADBC's SQLite driver, connectorx). They are 3×
faster, but they carry their own statically linked copy of SQLite; two copies in one process
on one file break POSIX locking (closing one copy's descriptor drops the other's locks — see
sqlite.org/howtocorrupt.html §2.2.1), and we saw exactly that as a "disk I/O error" in tests.
The user's database matters more than two seconds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl
import sqlite_utils

_CHUNK = 250_000


def read_frame(
    db: sqlite_utils.Database,
    sql: str,
    params: Sequence[Any] = (),
    *,
    schema: Mapping[str, pl.DataType | type[pl.DataType]],
) -> pl.DataFrame:
    """Run ``sql`` and return its rows as a frame with exactly ``schema``'s columns and types."""
    cursor = db.conn.execute(sql, tuple(params))
    parts = []
    while rows := cursor.fetchmany(_CHUNK):
        parts.append(pl.DataFrame(rows, schema=dict(schema), orient="row"))
        del rows
    if not parts:
        return pl.DataFrame(schema=dict(schema))
    return pl.concat(parts, rechunk=True) if len(parts) > 1 else parts[0]
