"""A columnar copy of the orders and their named lines, kept inside the SQLite file.

Why: every model, cohort, cost and product command starts by reading all orders (2.9 M rows
at a million customers) or all order lines (5 M). Out of SQLite that is 3–9 s even as JSON
chunks (``store.frames.read_table``); out of one compressed Arrow IPC blob it is a memcpy
and a decompression, ~0.2 s, and a reader decodes only the columns it asks for.

Two parts, one row per column each in ``column_snapshots``: ``orders`` (every order, in rowid
order, with the columns the readers filter and return, and customer codes: ``customer_ranks``)
and ``lines`` (every line with a product name, in rowid order, pointing at its order's rowid;
the product name dictionary-encoded: a few names decode in 0.04 s where 5 M texts took 0.4).

Each part carries the :func:`order_stamp` it was made at. A reader uses a part only when the
stamp equals the database's now, else it reads SQL as before (and, on a connection that may
write, rebuilds the part first): an old database or a missed write path is slower, never
wrong. The stamp changes with every import and undo (the imports log), with any new order or
line (their highest rowids) and with the schema; orders and lines change only through those.
Imports and undos write the snapshot in their own transaction (``refresh_after_import``,
``rebuild``), so a failed one leaves it as it was, and the first command after it is fast.
"""

from __future__ import annotations

import io
import sqlite3
from collections.abc import Mapping
from typing import Any, Final, Literal

import polars as pl
import sqlite_utils

from clvtui.store import customer_ranks
from clvtui.store.frames import read_frame, read_table
from clvtui.store.locking import begin_now
from clvtui.store.order_times import TIME, parsed, with_times
from clvtui.store.snapshot_watch import ImportRows, Watch

ORDERS, LINES = "orders", "lines"
PARTS = frozenset({ORDERS, LINES})
_ORDER_COLUMNS: dict[str, tuple[str, type[pl.DataType]]] = {
    "rowid": ("rowid", pl.Int64),
    "customer_key": ("customer_key", pl.Utf8),
    "ordered_at": ("ordered_at", pl.Utf8),
    "amount_minor": ("amount_minor", pl.Int64),
    "refunded_minor": ("refunded_minor", pl.Int64),
    "currency": ("currency", pl.Utf8),
    "is_purchase": ("is_purchase", pl.Int64),
    "status": ("status", pl.Utf8),
    "discount_code": ("discount_code", pl.Utf8),
    "discount_minor": ("discount_minor", pl.Int64),
    "shipping_minor": ("shipping_minor", pl.Int64),
    "fee_minor": ("fee_minor", pl.Int64),
}
_ORDER_REFS: dict[str, tuple[str, type[pl.DataType]]] = {
    "order_rowid": ("rowid", pl.Int64),
    "order_key": ("source || ':' || order_id", pl.Utf8),
}
_LINE_COLUMNS: dict[str, tuple[str, type[pl.DataType]]] = {
    "rowid": ("rowid", pl.Int64),
    "order_key": ("source || ':' || order_id", pl.Utf8),
    "product": ("coalesce(product, product_id)", pl.Utf8),
}
#: what an import keeps of the file's orders for the snapshot (``customer_id``: the key)
SNAPSHOT_COLUMNS = ["order_id", "customer_id", *list(_ORDER_COLUMNS)[2:]]
_LINE_SCHEMA = {"rowid": pl.Int64, "order_rowid": pl.Int64, "product": pl.Categorical}
#: a part's layout version, in its stamp: a part written by an older layout is stale (rebuilt)
_LAYOUT = {LINES: "/lines2", ORDERS: "/orders2"}  # orders2: customer codes (customer_ranks)
_NAMED = "coalesce(product, product_id) IS NOT NULL"
_STAMP_SQL = (
    "SELECT (SELECT count(*) || ':' || coalesce(max(id), 0) || ':' || count(undone_at) || ':'"
    " || coalesce(max(undone_at), '') FROM imports)"
    " || '/' || (SELECT coalesce(max(rowid), 0) FROM orders)"
    " || '/' || (SELECT coalesce(max(rowid), 0) FROM order_lines)"
    " || '/v' || (SELECT user_version FROM pragma_user_version)"
)
_FEW_LINES = 100_000
_COMPRESSION: Final = "lz4"  # zstd: a third smaller, but decoding 5 M lines took twice as long


def order_stamp(conn: sqlite3.Connection) -> str:
    """The fingerprint of orders and lines now: a few index look-ups, whatever the size."""
    return str(conn.execute(_STAMP_SQL).fetchone()[0])


def has_table(conn: sqlite3.Connection) -> bool:
    """Whether the file has the snapshot table (a database from before it has not)."""
    sql = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'column_snapshots'"
    return conn.execute(sql).fetchone() is not None


def current_parts(conn: sqlite3.Connection) -> set[str]:
    """The parts whose stamp is the database's now (usable as they are)."""
    if not has_table(conn):
        return set()
    stamp = order_stamp(conn)
    rows = conn.execute("SELECT DISTINCT part, stamp FROM column_snapshots").fetchall()
    return {str(part) for part, at in rows if at == stamp + _LAYOUT.get(part, "")}


def _stamp(conn: Any, part: str) -> str:
    """What a current ``part`` is stamped with: the orders' stamp and the part's layout."""
    return order_stamp(conn) + _LAYOUT.get(part, "")


def prepare(db: sqlite_utils.Database, *parts: str) -> None:
    """Rebuild stale ones of ``parts`` now when this connection may write and nobody else is
    writing (outside any transaction: a reader never waits for a writer, and never writes
    inside someone's transaction). Call before a reader's read transaction."""
    if has_table(db.conn) and (set(parts) - current_parts(db.conn) or _untimed(db, parts)):
        _rebuild_now(db, set(parts))


def holds(db: sqlite_utils.Database, part: str, name: str) -> bool:
    """Whether ``part`` has a column ``name`` (an older write may lack a newer column)."""
    sql = "SELECT 1 FROM column_snapshots WHERE part = ? AND name = ?"
    return has_table(db.conn) and db.conn.execute(sql, (part, name)).fetchone() is not None


def _untimed(db: sqlite_utils.Database, parts: frozenset[str] | set[str] | tuple[str, ...]) -> bool:
    """A current orders part written before it kept the order times (``order_times``)."""
    return ORDERS in parts and ORDERS in current_parts(db.conn) and not holds(db, ORDERS, TIME)


def load(db: sqlite_utils.Database, part: str, columns: list[str]) -> pl.DataFrame | None:
    """Columns of a part when it is current, else None: the caller reads SQL. A part of an
    older layout with the orders' stamp of now holds the same rows: it is given too (a
    read-only command cannot rebuild it; its readers take either layout)."""
    conn = db.conn
    if not has_table(conn):
        return None
    found = conn.execute(
        "SELECT count(*) FROM column_snapshots WHERE part = ? AND stamp IN (?, ?)",
        (part, _stamp(conn, part), order_stamp(conn)),
    ).fetchone()[0]
    return _columns(conn, part, columns) if found else None


def _columns(conn: Any, part: str, columns: list[str] | None = None) -> pl.DataFrame:
    """The part's columns (all: None), one blob at a time (each freed once decoded)."""
    names = columns or [
        str(n) for (n,) in conn.execute(
            "SELECT name FROM column_snapshots WHERE part = ? ORDER BY rowid", (part,)
        ) if n not in customer_ranks.DERIVED
    ]  # fmt: skip
    return pl.DataFrame([stored_column(conn, part, name) for name in names])


def stored_column(conn: Any, part: str, name: str) -> pl.Series:
    (blob,) = conn.execute(
        "SELECT data FROM column_snapshots WHERE part = ? AND name = ?", (part, name)
    ).fetchone()
    # one chunk: decoded as the IPC file's batches, later group-bys held ~300 MB more
    return pl.read_ipc(blob).to_series().rechunk()


def read_orders(
    db: sqlite_utils.Database, columns: Mapping[str, pl.Expr], where: pl.Expr
) -> pl.DataFrame | None:
    """The orders matching ``where`` as ``columns`` (rowid order, as ``read_table`` gives
    them), from the snapshot when current, else None."""
    tested = sorted(set(where.meta.root_names()))
    frame = load(db, ORDERS, tested)
    if frame is None:
        return None
    keep = frame.select(where.fill_null(False)).to_series()
    kept = frame.filter(keep)
    del frame  # the other columns are filtered one by one as they come: less held at once
    rest = {n for e in columns.values() for n in e.meta.root_names()} - set(tested)
    for name in sorted(rest):
        kept = kept.with_columns(_columns(db.conn, ORDERS, [name]).to_series().filter(keep))
    return kept.select(**columns)


def _rebuild_now(db: sqlite_utils.Database, parts: set[str]) -> bool:
    """Rebuild ``parts`` in a write transaction of their own, when this connection may
    write and nobody else is writing (a reader never waits for a writer): whether it did."""
    conn = db.conn
    if conn.in_transaction or getattr(db, "readonly", False) or not begin_now(conn):
        return False  # read SQL
    try:
        rebuild(db, parts)
        conn.execute("COMMIT")
    except sqlite3.Error:  # a full disk, say: the copy is a shortcut, the tables still serve
        conn.execute("ROLLBACK")
        return False
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return True


def rebuild(db: sqlite_utils.Database, parts: frozenset[str] | set[str] = PARTS) -> None:
    """The stale ones of ``parts`` from the tables, inside the caller's transaction (after an
    undo, or when found stale). One at a time: the lines' text keys need the most memory."""
    stale = parts - current_parts(db.conn)
    if ORDERS in stale:
        _write(db.conn, ORDERS, read_table(db, "orders", _ORDER_COLUMNS))
    elif _untimed(db, parts):  # the same rows: only their times added, from the stored text
        timed = with_times(_columns(db.conn, ORDERS, ["ordered_at"]))
        _add(db.conn, ORDERS, timed.drop("ordered_at").get_columns())  # none: did not parse
    if LINES in stale:
        lines = read_table(db, "order_lines", _LINE_COLUMNS, where=_NAMED)
        _write(db.conn, LINES, _with_order_rowids(lines, read_table(db, "orders", _ORDER_REFS)))
    from clvtui.store import buyer_masks  # each buyer's product masks, made from both parts

    buyer_masks.refresh(db)


def _schema(columns: Mapping[str, tuple[str, type[pl.DataType]]]) -> dict[str, Any]:
    return {name: dtype for name, (_, dtype) in columns.items()}


def _with_order_rowids(lines: pl.DataFrame, refs: pl.DataFrame) -> pl.DataFrame:
    """Lines keyed by their order's rowid (null: no such order; such a line joins nothing)."""
    joined = lines.join(refs, on="order_key", how="left", maintain_order="left")
    return joined.select("rowid", "order_rowid", pl.col("product").cast(pl.Categorical))


def _write(conn: Any, part: str, frame: pl.DataFrame, ids: pl.Series | None = None) -> None:
    """Store ``frame`` as ``part``; orders with customer codes (ranked here, or given: ids)."""
    conn.execute("DELETE FROM column_snapshots WHERE part = ?", (part,))
    columns = with_times(frame).get_columns() if part == ORDERS else frame.get_columns()
    if part == ORDERS:
        columns += [ids] if ids is not None else customer_ranks.ranked(frame["customer_key"])
    _add(conn, part, columns)


def _add(conn: Any, part: str, columns: list[pl.Series]) -> None:
    """Store each of ``columns`` in ``part``, stamped now (one of the same name goes)."""
    put_columns(conn, part, _stamp(conn, part), columns, _COMPRESSION)


def put_columns(
    conn: Any, part: str, stamp: str, columns: list[pl.Series], compression: Literal["lz4", "zstd"]
) -> None:
    """Each of ``columns`` as one compressed Arrow IPC row of ``part`` with ``stamp`` (a row
    of the same name goes): the layout every part's reader decodes."""
    for column in columns:
        buffer = io.BytesIO()
        column.to_frame().write_ipc(buffer, compression=compression)
        conn.execute(
            "INSERT OR REPLACE INTO column_snapshots (part, name, stamp, row_count, data)"
            " VALUES (?, ?, ?, ?, ?)",
            (part, column.name, stamp, column.len(), buffer.getbuffer()),
        )


def _restamp(conn: Any, part: str) -> None:
    """The part is what the tables hold (the import changed none of its rows): stamp it now."""
    conn.execute("UPDATE column_snapshots SET stamp = ? WHERE part = ?", (_stamp(conn, part), part))


def merged_rows(old: pl.DataFrame, new: pl.DataFrame) -> pl.DataFrame:
    """``old`` with the rows of ``new`` (by rowid) replaced or added, in rowid order."""
    if new.height == 0:
        return old
    kept = old.filter(~pl.col("rowid").is_in(new.get_column("rowid").implode()))
    both = pl.concat([kept, new.select(old.columns)], rechunk=True)
    return both if both.get_column("rowid").is_sorted() else both.sort("rowid")


def lift_watch(conn: Any) -> Watch:
    """At the start of an import's or undo's transaction: the parts current now, and the
    triggers that drop the snapshot on any write, lifted until :func:`settle` (they would fire
    per row, and drop the base the import's rows are merged into)."""
    if not has_table(conn):
        return Watch(parts=set(), triggers=[], present=False)
    triggers = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"
        " AND name LIKE 'column^_snapshot^_%' ESCAPE '^'"
    ).fetchall()
    parts = current_parts(conn)
    tops = conn.execute(
        "SELECT (SELECT coalesce(max(rowid), 0) FROM orders),"
        " (SELECT coalesce(max(rowid), 0) FROM order_lines)"
    ).fetchone()
    if parts != {ORDERS, LINES} and tops == (0, 0):  # nothing stored yet: empty parts are current
        _write(conn, ORDERS, pl.DataFrame(schema=_schema(_ORDER_COLUMNS)))
        _write(conn, LINES, pl.DataFrame(schema=_LINE_SCHEMA))
        parts = {ORDERS, LINES}
    for name, _ in triggers:
        conn.execute(f"DROP TRIGGER {name}")
    return Watch(parts, [str(sql) for _, sql in triggers], True, int(tops[0]), int(tops[1]))


def settle(
    db: sqlite_utils.Database, watch: Watch, import_id: int | None = None,
    frames: tuple[pl.DataFrame, pl.DataFrame | None] | None = None,
    counts: tuple[int, int] = (0, 0),
) -> None:  # fmt: skip
    """At the end of the import's (``import_id``) or undo's (None) transaction: the parts up
    to date, the triggers back. After an import, parts current at its start get only its rows
    merged in (the orders it wrote or updated, the lines it wrote, minus those it replaced);
    anything else is rebuilt from the tables. ``frames``: the file's orders (``STORED``
    columns) and lines (``LINE_FIELDS``); ``counts``: orders and lines the import added."""
    if not watch.present:
        return
    if import_id is not None and watch.parts == {ORDERS, LINES}:
        written = ImportRows(*(frames or (None, None)))
        written.orders_new, written.lines_new = counts
        new_orders = _merge_orders(db, watch, import_id, written)
        _refresh_lines(db, watch, import_id, written, new_orders)
    rebuild(db)  # whatever was not current at the start
    for sql in watch.triggers:
        db.conn.execute(sql)


def _merge_orders(
    db: sqlite_utils.Database, watch: Watch, import_id: int, written: ImportRows
) -> pl.DataFrame | None:
    """Merge the orders the import wrote or updated into the stored part. When every order of
    the file was new, their rows are the file's frame with consecutive rowids (SQLite gives
    each insert the highest rowid plus one), not a read; returned then (rowid, order_id)."""
    conn = db.conn
    top = int(conn.execute("SELECT coalesce(max(rowid), 0) FROM orders").fetchone()[0])
    frame, new = written.orders, None
    if frame is not None and frame.height == written.orders_new == top - watch.orders_max > 0:
        new = frame.select(
            rowid=pl.int_range(watch.orders_max + 1, top + 1, dtype=pl.Int64),
            order_id=pl.col("order_id"),
            customer_key=pl.col("customer_id").cast(pl.Utf8),
            **{c: pl.col(c).cast(t) for c, t in _schema(_ORDER_COLUMNS).items()
               if c not in ("rowid", "customer_key")},
        )  # fmt: skip
        where = "updated_import_id = ?"
    else:
        where = "import_id = ? OR updated_import_id = ?"
    params = (import_id,) * where.count("?")
    changed = read_table(db, "orders", _ORDER_COLUMNS, where=where, params=params)
    if new is not None:  # the file's new rows, then any of them a refund updated since
        changed = merged_rows(new.drop("order_id"), changed)
    if changed.height:  # the stored customer codes renumbered, the changed rows' looked up
        changed = changed.with_columns(parsed(changed.get_column("ordered_at")))
        codes, ids = (stored_column(conn, ORDERS, name) for name in customer_ranks.DERIVED)
        old, changed, ids = customer_ranks.merge_ready(_columns(conn, ORDERS), codes, ids, changed)
        _write(conn, ORDERS, merged_rows(old, changed), ids)
    else:
        _restamp(conn, ORDERS)
    written.orders_changed = changed.height > 0
    return None if new is None else new.select("rowid", "order_id")


def _refresh_lines(
    db: sqlite_utils.Database, watch: Watch, import_id: int, written: ImportRows,
    new_orders: pl.DataFrame | None,
) -> None:  # fmt: skip
    """The stored lines minus those of orders the import relined, plus the lines it wrote
    (from the file's frame when they all went in after its new orders). Left stale (rebuilt
    from the tables) when a stored line had no order and orders came: it may have found it."""
    conn = db.conn
    stored_lines = _columns(conn, LINES, ["order_rowid"]).get_column("order_rowid")
    if written.orders_changed and stored_lines.null_count():
        return
    relined = conn.execute(
        "SELECT DISTINCT o.rowid FROM order_line_versions v JOIN orders o"
        " ON o.source = v.source AND o.order_id = v.order_id WHERE v.import_id = ?",
        (import_id,),
    ).fetchall()
    top = int(conn.execute("SELECT coalesce(max(rowid), 0) FROM order_lines").fetchone()[0])
    frame = written.lines
    if (
        new_orders is not None and frame is not None and not relined
        and frame.height == written.lines_new == top - watch.lines_max
    ):  # fmt: skip
        keyed = frame.select(
            rowid=pl.int_range(watch.lines_max + 1, top + 1, dtype=pl.Int64),
            order_key="order_id",
            product=pl.coalesce(
                pl.col("product").cast(pl.Utf8), pl.col("product_id").cast(pl.Utf8)
            ),
        ).filter(pl.col("product").is_not_null())
        refs = new_orders.rename({"rowid": "order_rowid", "order_id": "order_key"})
        new = _with_order_rowids(keyed, refs)
    else:
        where = f"import_id = ? AND {_NAMED}"
        raw = read_table(db, "order_lines", _LINE_COLUMNS, where=where, params=(import_id,))
        new = _with_order_rowids(raw, _refs_of(db, raw, import_id))
    if not relined and new.height == 0:
        _restamp(conn, LINES)
        return
    lines = _columns(conn, LINES)
    if relined:
        gone = pl.Series([r for (r,) in relined], dtype=pl.Int64).implode()
        lines = lines.filter(~pl.col("order_rowid").is_in(gone))
    _write(conn, LINES, merged_rows(lines, new))


def _refs_of(db: sqlite_utils.Database, new: pl.DataFrame, import_id: int) -> pl.DataFrame:
    """Rowid and key of the orders of an import's new lines: by index look-ups for a few
    lines, by one read of the source's orders for many (a first import)."""
    if new.height > _FEW_LINES:
        sql = "SELECT source FROM imports WHERE id = ?"
        (source,) = db.conn.execute(sql, (import_id,)).fetchone()
        return read_table(db, "orders", _ORDER_REFS, where="source = ?", params=(source,))
    sql = (
        "SELECT rowid, source || ':' || order_id FROM orders WHERE (source, order_id) IN"
        " (SELECT source, order_id FROM order_lines WHERE import_id = ?)"
    )
    return read_frame(db, sql, (import_id,), schema=_schema(_ORDER_REFS))
