"""Who the customers are, as a part of the column snapshot (``customers``).

Why: every fit puts each customer's id, name, e-mail, country, channel, sources and first-order
attributes beside the scores in its run's blob. Read out of SQLite that is a million rows of
JSON at a million customers: ~2 s of wall time and ~3 s of CPU, in a thread beside the model
fits on a machine of two cores. Out of one compressed Arrow column each it is a decompression.

The part is what ``SELECT … FROM customers`` returns now, in rowid order, exactly or not at all:

- stamped with :func:`customer_stamp` (the imports log, the customers' highest rowid, the
  schema version and the layout), and used only while that stamp is the file's now;
- guarded by triggers on ``customers`` (``customer_snapshot_*``, made with the part) that drop
  it on any write outside an import or undo: a summary fit's upsert, a migration, a hand edit;
- imports and undos lift those triggers (:func:`lift`) and bring the part up to date in their
  own transaction (:func:`after_import`, :func:`rebuild`): a failed one leaves it as it was;
- when stale, a reader reads SQL (slower, never wrong) and, when it can write at once, keeps
  what it read as the part in the same write transaction (:func:`read_kept`).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any, Final

import polars as pl
import sqlite_utils

from clvtui.store.column_snapshot import has_table, merged_rows, put_columns, stored_column
from clvtui.store.frames import read_table, snapshot
from clvtui.store.locking import begin_now
from clvtui.store.run_identity import ATTRIBUTE_COLUMNS, IDENTITY_COLUMNS
from clvtui.store.stamp import data_stamp

PART: Final = "customers"  # the part's name in ``column_snapshots``
_LAYOUT: Final = "/customers1"
#: the columns kept (text), in the order a fit reads them
COLUMNS: Final = (*IDENTITY_COLUMNS, *ATTRIBUTE_COLUMNS)
#: text with few values: categorical (4 bytes a customer), as the fit's read returns them
FEW: Final = ("country", "channel", "sources", "first_product", "discount_code")
_READ = {"rowid": ("rowid", pl.Int64)} | {c: (c, pl.Utf8) for c in COLUMNS}
_TRIGGER = (
    "CREATE TRIGGER IF NOT EXISTS customer_snapshot_{op} AFTER {OP} ON customers"
    f" BEGIN DELETE FROM column_snapshots WHERE part = '{PART}'; END"
)
_OPS = ("insert", "update", "delete")
_COMPRESSION: Final = "zstd"  # text of a million customers: 14 MB, lz4 32 MB; as fast to read


@dataclass
class Lifted:
    """What :func:`lift` found at the start of an import or undo."""

    present: bool  # the column_snapshots table exists (else nothing to keep)
    current: bool  # the part held the customers table at the start
    top: int  # the customers' highest rowid at the start


def customer_stamp(conn: sqlite3.Connection) -> str:
    """The stamp a current part carries: a few index look-ups, whatever the size."""
    (version,) = conn.execute("PRAGMA user_version").fetchone()
    return f"{data_stamp(conn)}/v{version}{_LAYOUT}"


def is_current(conn: Any) -> bool:
    """Whether the part holds exactly what the customers table holds now."""
    if not has_table(conn):
        return False
    sql = "SELECT count(*) FROM column_snapshots WHERE part = ? AND stamp = ?"
    found = conn.execute(sql, (PART, customer_stamp(conn))).fetchone()[0]
    return bool(found == len(COLUMNS) + 1)


def load(db: sqlite_utils.Database, columns: tuple[str, ...] = COLUMNS) -> pl.DataFrame | None:
    """``columns`` of every customer in rowid order when the part is current, else None
    (call inside the caller's read transaction: the check and the read see one file)."""
    conn = db.conn
    if not is_current(conn):
        return None
    return pl.DataFrame([stored_column(conn, PART, name) for name in columns])


def from_tables(db: sqlite_utils.Database, where: str = "1", params: tuple = ()) -> pl.DataFrame:
    """The part's rows read from SQL (with ``rowid``), few-valued text as categories."""
    frame = read_table(db, "customers", _READ, where=where, params=params)
    return frame.with_columns(pl.col(FEW).cast(pl.Categorical))


def read_kept(db: sqlite_utils.Database) -> tuple[pl.DataFrame, str]:
    """Every customer's :data:`COLUMNS` and the file's ``data_stamp`` of the same moment: from
    the part when current; else from SQL, then kept as the part when this connection can take
    the write lock at once and nobody committed anything since the read (``data_version``)."""
    conn = db.conn
    with snapshot(db):
        stamp, (version,) = data_stamp(conn), conn.execute("PRAGMA data_version").fetchone()
        kept = load(db)
        frame = from_tables(db) if kept is None else None
    if frame is None:
        assert kept is not None  # one of the two was read
        return kept, stamp
    if _begin_write(db):  # the write lock only for the keeping, not for the read
        try:
            if conn.execute("PRAGMA data_version").fetchone()[0] == version:
                write(conn, frame)
            conn.execute("COMMIT")
        except sqlite3.Error:  # a full disk, say: the copy is a shortcut, the table serves
            conn.execute("ROLLBACK")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return frame.drop("rowid"), stamp


def _begin_write(db: sqlite_utils.Database) -> bool:
    """A write transaction now, without waiting (a reader never waits for a writer), when the
    file has the snapshot table and this connection may write: whether it began one."""
    conn = db.conn
    if conn.in_transaction or getattr(db, "readonly", False) or not has_table(conn):
        return False
    return begin_now(conn)  # not when locked by a writer, or a read-only file


def write(conn: Any, frame: pl.DataFrame) -> None:
    """Store ``frame`` (``rowid`` and :data:`COLUMNS`, rowid order) as the part, stamped now,
    with the triggers that drop it on any later write (inside the caller's transaction)."""
    conn.execute("DELETE FROM column_snapshots WHERE part = ?", (PART,))
    columns = frame.select("rowid", *COLUMNS).get_columns()
    put_columns(conn, PART, customer_stamp(conn), columns, _COMPRESSION)
    _guard(conn)


def _guard(conn: Any) -> None:
    """The triggers that drop the part on any write to the customers table."""
    for op in _OPS:
        conn.execute(_TRIGGER.format(op=op, OP=op.upper()))


def _unguard(conn: Any) -> None:
    for op in _OPS:
        conn.execute(f"DROP TRIGGER IF EXISTS customer_snapshot_{op}")


def drop(conn: Any) -> None:
    """No part and no triggers (a bulk write follows that would fire them per row; the part is
    rebuilt by the next reader that can write). Inside the caller's transaction."""
    if has_table(conn):
        conn.execute("DELETE FROM column_snapshots WHERE part = ?", (PART,))
    _unguard(conn)


def lift(conn: Any) -> Lifted:
    """At the start of an import's or undo's transaction: whether the part is current (an
    empty customers table counts: its part is empty), the highest rowid; triggers dropped."""
    present = has_table(conn)
    (top,) = conn.execute("SELECT coalesce(max(rowid), 0) FROM customers").fetchone()
    current = present and (is_current(conn) or top == 0)
    _unguard(conn)
    return Lifted(present, current, int(top))


def rebuild(db: sqlite_utils.Database, lifted: Lifted) -> None:
    """The part from the tables (after an undo), inside the caller's transaction."""
    if lifted.present:
        write(db.conn, from_tables(db))


def after_import(
    db: sqlite_utils.Database, lifted: Lifted, import_id: int,
    file: tuple[pl.DataFrame, dict[str, str], str] | None, changed: bool = True,
) -> None:  # fmt: skip
    """The part brought up to date inside the import's transaction, once its customers are
    written. A part current at the start gets the file's rows appended when every one was
    new (``file``: its customers, the links, the source; None when it linked keys), else the
    rows the import added or changed read back and merged in; a stale one is rebuilt from
    the table. ``changed``: False when the import wrote no customer (a repeated file)."""
    if not lifted.present:
        return
    conn = db.conn
    if not lifted.current:
        write(conn, from_tables(db))
        return
    if not changed and lifted.top:
        _restamp(conn)
        return
    versioned = "customer_id IN (SELECT customer_id FROM customer_versions WHERE import_id = ?)"
    updated = conn.execute("SELECT 1 FROM customer_versions WHERE import_id = ?", (import_id,))
    (top,) = conn.execute("SELECT coalesce(max(rowid), 0) FROM customers").fetchone()
    new = None
    if file is not None and updated.fetchone() is None and file[0].height == top - lifted.top:
        new = inserted_rows(*file, lifted.top)  # every row inserted, none updated: no read
    if new is None:
        new = from_tables(db, f"import_id = ? OR {versioned}", (import_id, import_id))
    if new.height == 0 and lifted.top:
        _restamp(conn)
        return
    old = _stored(conn) if lifted.top else new.clear()
    write(conn, merged_rows(old, new))


def _stored(conn: Any) -> pl.DataFrame:
    return pl.DataFrame([stored_column(conn, PART, name) for name in ("rowid", *COLUMNS)])


def _restamp(conn: Any) -> None:
    """The import changed no customer: the part is the table's still, stamped now."""
    sql = "UPDATE column_snapshots SET stamp = ? WHERE part = ?"
    conn.execute(sql, (customer_stamp(conn), PART))
    _guard(conn)


def inserted_rows(
    customers: pl.DataFrame, people: dict[str, str], source: str, top: int
) -> pl.DataFrame | None:
    """The rows an import inserted when every one of ``customers`` (``CUSTOMER_FIELDS``, one
    per key) was new: the file's rows in order, keyed by person, with consecutive rowids
    after ``top`` and ``sources`` the import's source. None when a column is not text (what
    SQLite makes of a number as text need not be what polars does: read back instead)."""
    if any(customers.schema[c] not in (pl.Utf8, pl.Null) for c in COLUMNS if c != "sources"):
        return None
    ids = customers.get_column("customer_id").cast(pl.Utf8)
    if people:
        ids = ids.replace(people)
    text = [c for c in COLUMNS if c not in ("customer_id", "sources")]
    return pl.DataFrame(
        {
            "rowid": pl.int_range(top + 1, top + 1 + customers.height, eager=True),
            "customer_id": ids,
            **{c: customers.get_column(c).cast(pl.Utf8) for c in text},
            "sources": pl.Series([source] * customers.height, dtype=pl.Utf8),
        }
    ).with_columns(pl.col(FEW).cast(pl.Categorical))
