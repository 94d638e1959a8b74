"""Query results as polars frames: every read is chunked and typed the same way.

Two readers:

- ``read_table`` for the big reads (a million orders or customers): SQLite itself writes each
  chunk of rows as newline-delimited JSON (``json_object`` + ``group_concat``), Python receives
  one bytes object per 50k rows, and polars parses it in Rust — in a second thread, while
  SQLite builds the next chunk. No Python object per value is ever made: 2.8 M orders take
  ~1.0 s instead of ~3.2 s, and ~100 MB less memory. Only text and integer columns go this way:
  SQLite renders a REAL in JSON with 15 significant digits, which does not round-trip a double.
- ``read_frame`` for any query: rows come from ``sqlite3`` a chunk at a time and polars turns
  each chunk's tuples into columns in Rust (``pl.read_database`` infers types row by row and is
  ~1.6× slower). Chunks keep only 250k rows of Python objects alive.

Not used, on purpose: Arrow-native readers (ADBC's SQLite driver, connectorx). They carry their
own statically linked copy of SQLite; two copies in one process on one file break POSIX locking
(closing one copy's descriptor drops the other's locks — sqlite.org/howtocorrupt.html §2.2.1),
and we saw exactly that as a "disk I/O error" in tests. The user's database matters more.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import polars as pl
import sqlite_utils

_CHUNK = 250_000
_JSON_CHUNK = 50_000  # rowids per chunk: ~4 MB of JSON; larger chunks were slower, not faster
_JSON_TYPES = (pl.Utf8, pl.Int64)


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


def read_table(
    db: sqlite_utils.Database,
    table: str,
    columns: Mapping[str, tuple[str, type[pl.DataType]]],
    *,
    where: str = "1",
    params: Sequence[Any] = (),
) -> pl.DataFrame:
    """Rows of one rowid ``table`` matching ``where``, as ``{name: (sql expression, type)}``.

    Rows come in rowid order chunk by chunk (not sorted otherwise). Types must be text or
    integer (see the module docstring for why not REAL).
    """
    schema = {name: dtype for name, (_, dtype) in columns.items()}
    if any(dtype not in _JSON_TYPES for dtype in schema.values()):
        raise ValueError(f"read_table reads text and integer columns only, not {schema}")
    row_json = ", ".join(f"'{name}', {expr}" for name, (expr, _) in columns.items())
    sql = (
        f"SELECT CAST(group_concat(json_object({row_json}), char(10)) AS BLOB) FROM {table} "
        f"WHERE rowid >= ? AND rowid < ? AND ({where})"
    )
    low, high = db.conn.execute(f"SELECT min(rowid), max(rowid) FROM {table}").fetchone()
    if low is None:
        return pl.DataFrame(schema=schema)
    if not _has_json(db):  # SQLite before 3.38 built without JSON1: the slower, general path
        select = ", ".join(expr for expr, _ in columns.values())
        return read_frame(db, f"SELECT {select} FROM {table} WHERE {where}", params, schema=schema)
    parts: list[Future[pl.DataFrame]] = []
    with snapshot(db), ThreadPoolExecutor(1, thread_name_prefix="clvtui-json") as pool:
        for start in range(low, high + 1, _JSON_CHUNK):
            (text,) = db.conn.execute(sql, (start, start + _JSON_CHUNK, *params)).fetchone()
            if text:
                parts.append(pool.submit(pl.read_ndjson, text, schema=schema))
        frames = [part.result() for part in parts]
    if not frames:
        return pl.DataFrame(schema=schema)
    return pl.concat(frames, rechunk=True) if len(frames) > 1 else frames[0]


@contextmanager
def snapshot(db: sqlite_utils.Database) -> Iterator[None]:
    """One read transaction around several statements, so they all see the same database
    (a chunked read while an import commits elsewhere would otherwise mix before and after).
    Inside a transaction already, it is that transaction's view: nothing to do."""
    conn = db.conn
    if conn.in_transaction:
        yield
        return
    conn.execute("BEGIN")
    try:
        yield
    finally:
        if conn.in_transaction:
            conn.execute("COMMIT")


def _has_json(db: sqlite_utils.Database) -> bool:
    try:
        db.conn.execute("SELECT json_object('a', 1)").fetchone()
    except sqlite3.OperationalError:
        return False
    return True
