"""All SQL of an import: the ``imports`` row, orders upsert, customers, rejects — one transaction.

Speed: the bulk path feeds rows through the sqlite-utils connection with ``executemany``
(straight into ``orders`` on a source's first import, else into a TEMP staging table followed
by one ``INSERT … SELECT … ON CONFLICT(source, order_id) DO UPDATE … WHERE <changed>``).
sqlite-utils' ``insert_all``/``upsert_all`` are ~10× slower at millions of rows (31–37 s vs
3.2 s for 2.77 M rows measured on the target machine): they build one Python dict per row,
re-check columns per batch and issue a statement per chunk (re-measured with sqlite-utils
4.2 on 100k rows into ``orders``, dicts built beforehand: insert_all 2.7× slower). sqlite-utils'
API serves the small tables (settings, marketing spend) and introspection instead. An
unchanged re-import writes no order pages at all (the ``WHERE`` skips identical rows), which
is why it costs less than the first import.

Atomicity: everything (order lines too) runs inside ``write_transaction`` (``BEGIN
IMMEDIATE``); any exception rolls back, so a failed import leaves every table as it was.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import polars as pl
import sqlite_utils

from clvtui.core.timefmt import now_text
from clvtui.store import column_snapshot, customer_snapshot
from clvtui.store.identity import link_new_keys, people_linked_by, refresh_sources
from clvtui.store.locking import write_transaction
from clvtui.store.order_lines import sql_literal, write_lines

ORDER_FIELDS = [
    "source", "order_id", "customer_key", "ordered_at", "ordered_at_raw", "amount_minor",
    "refunded_minor", "currency", "status", "is_purchase", "country", "channel", "product",
    "discount_code", "discount_minor", "shipping_minor", "fee_minor",
]  # fmt: skip
CUSTOMER_FIELDS = [
    "customer_id", "email", "name", "country", "channel", "first_product", "discount_code",
    "first_order_at",
]  # fmt: skip
VERSIONED_CUSTOMER = [*CUSTOMER_FIELDS, "source", "sources"]
_COMPARED = [f for f in ORDER_FIELDS if f not in ("source", "order_id")]
# A refund is never taken back: re-importing an older, overlapping export (made before the
# refund) keeps the stored refund and the status it set, instead of reviving the sale.
_KEEP_REFUND = "orders.refunded_minor > excluded.refunded_minor"
_INCOMING = {
    "refunded_minor": "min(excluded.amount_minor, max(orders.refunded_minor,"
    " excluded.refunded_minor))",
    **{
        c: f"CASE WHEN {_KEEP_REFUND} THEN orders.{c} ELSE excluded.{c} END"
        for c in ("status", "is_purchase")
    },
}
_BATCH = 50_000


def _count(db: sqlite_utils.Database, table: str, where: str = "1", args: Iterable = ()) -> int:
    return db.conn.execute(f"SELECT count(*) FROM {table} WHERE {where}", list(args)).fetchone()[0]


def write_import(
    db: sqlite_utils.Database,
    *,
    meta: dict[str, Any],
    orders: Iterable[list[tuple]],
    n_orders: int,
    customers: pl.DataFrame,
    rejects: list[tuple[int, str, str | None]],
    refunds: list[tuple[str, int, int, str | None]],
    progress: Callable[[int], None] | None = None,
    lines: Iterable[list[tuple]] | None = None,
    frames: tuple[pl.DataFrame, pl.DataFrame | None] | None = None,
) -> dict[str, int]:
    """Store one import atomically and return its counts.

    ``orders``: chunks (lists) of tuples in :data:`ORDER_FIELDS` order without ``source``;
    ``customers``: a frame of :data:`CUSTOMER_FIELDS`, one row per key (``customer_id`` holds
    the ``source:id`` key; :mod:`clvtui.store.identity` maps it to its person);
    ``rejects``: (row, reason, raw); ``lines``: chunks of order lines (``store.order_lines``);
    ``refunds``: (order_id, refunded_minor, row, raw) for refunds of orders not in the file,
    applied to the stored order when it exists, else rejected (``frames``: column_snapshot.settle).

    Every order and customer row the import changes is first copied to ``order_versions`` /
    ``customer_versions`` (by temporary triggers, so only changed rows cost anything): that
    is what ``clvtui imports undo`` restores.
    """
    # A bigger page cache: primary-key inserts stay in memory (the default cache is 2 MB).
    db.conn.execute("PRAGMA cache_size = -65536")
    try:
        source = meta["source"]
        with write_transaction(db, "import") as conn:
            repeat = _is_repeat(conn, meta)
            watch = column_snapshot.lift_watch(conn)
            import_id = _insert_import_row(conn, meta)
            _record_versions(conn, import_id)
            # Customers first (no order references them): their rows, and the frame behind them,
            # are gone before the orders are written, which lowers the import's peak memory.
            customers_new, linked = _write_customers(db, conn, customers, import_id, source, repeat)
            del customers
            new, updated = _write_orders(db, conn, orders, import_id, source, repeat, progress)
            refund_rejects, refunds_applied = _apply_refunds(conn, source, refunds, import_id)
            all_rejects = list(rejects) + refund_rejects
            _write_rejects(conn, import_id, all_rejects)
            counts = {
                "import_id": import_id,
                "orders_new": new,
                "orders_updated": updated + refunds_applied,
                "orders_unchanged": n_orders - new - updated,
                "rows_rejected": len(all_rejects),
                "customers_new": customers_new,
                "customers_linked": linked,
                "refunds_applied": refunds_applied,
                **write_lines(conn, source, import_id, lines),
            }
            _finish_import_row(conn, import_id, counts, meta["without_identity"])
            column_snapshot.settle(db, watch, import_id, frames, (new, counts["lines_new"]))
            _stop_recording(conn)
        return counts
    finally:
        _stop_recording(db.conn)  # also after a rollback: the triggers belong to one import


def _write_rejects(conn: Any, import_id: int, rejects: list[tuple[int, str, str | None]]) -> None:
    conn.executemany(
        "INSERT INTO rejects (import_id, row, reason, raw) VALUES (?, ?, ?, ?)",
        [(import_id, row, reason, raw) for row, reason, raw in rejects],
    )


def _insert_import_row(conn: Any, meta: dict[str, Any]) -> int:
    """The imports row, started now; its id tags every row this import writes."""
    cur = conn.execute(
        "INSERT INTO imports (path, sha256, format, source, started_at, rows_read, mapping,"
        " currencies) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            meta["path"], meta["sha256"], meta["format"], meta["source"], now_text(),
            meta["rows_read"], json.dumps(meta["mapping"], sort_keys=True),
            meta.get("currencies"),
        ],
    )  # fmt: skip
    import_id = cur.lastrowid
    assert import_id is not None  # set by every successful INSERT
    return int(import_id)


def _write_customers(
    db: sqlite_utils.Database, conn: Any, customers: pl.DataFrame, import_id: int, source: str,
    repeat: bool,
) -> tuple[int, int]:  # fmt: skip
    """Link the file's keys to people, upsert them, keep their snapshot: (new, keys linked)."""
    lifted = customer_snapshot.lift(conn)  # its triggers off, as the customers are written
    customers_before = _count(db, "customers")
    linked, people = 0, {}
    if not repeat:
        links_before = _count(db, "customer_links")
        people = link_new_keys(db, customers, import_id)
        linked = _count(db, "customer_links") - links_before
        _upsert_customers(conn, _person_rows(customers, people), source, import_id)
        if linked:
            refresh_sources(conn, people_linked_by(conn, import_id))
    new = _count(db, "customers") - customers_before
    file = None if repeat or linked else (customers, people, source)  # its rows, if all new
    customer_snapshot.after_import(db, lifted, import_id, file, changed=not repeat)
    return new, linked


def _write_orders(
    db: sqlite_utils.Database, conn: Any, orders: Iterable[list[tuple]], import_id: int,
    source: str, repeat: bool, progress: Callable[[int], None] | None,
) -> tuple[int, int]:  # fmt: skip
    """Insert (into an empty source) or upsert the orders: (orders new, orders updated)."""
    if repeat:
        # The latest import was this very file (same bytes, format and mapping) and nothing
        # was imported since: upserting it again is a proven no-op, so skip the row work.
        return 0, 0
    before = _count(db, "orders", "source = ?", [source])
    # source and import id are the same for every row: SQL literals, not per-row tuples
    values = f"{sql_literal(source)}, " + ", ".join("?" * (len(ORDER_FIELDS) - 1))
    values += f", {int(import_id)}"
    columns = ", ".join([*ORDER_FIELDS, "import_id"])
    if before == 0:
        with _indexes_rebuilt_if_empty(conn):
            _insert_chunks(conn, f"INSERT INTO orders ({columns}) VALUES ({values})",
                           orders, progress)  # fmt: skip
        return _count(db, "orders", "source = ?", [source]), 0
    touched = _upsert_via_stage(conn, orders, values, progress)
    new = _count(db, "orders", "source = ?", [source]) - before
    return new, touched - new  # rowcount of the upsert = inserted + updated rows


def _finish_import_row(conn: Any, import_id: int, counts: dict[str, int], without_id: int) -> None:
    """The import's counts and finishing time on its imports row."""
    conn.execute(
        "UPDATE imports SET finished_at = ?, orders_new = ?, orders_updated = ?,"
        " orders_unchanged = ?, rows_rejected = ?, without_identity = ?, customers_new = ?,"
        " customers_linked = ? WHERE id = ?",
        [
            now_text(), counts["orders_new"], counts["orders_updated"],
            counts["orders_unchanged"], counts["rows_rejected"], without_id,
            counts["customers_new"], counts["customers_linked"], import_id,
        ],
    )  # fmt: skip


def _record_versions(conn: Any, import_id: int) -> None:
    """Temporary triggers that keep the first pre-image of every row this import updates.

    ``WHERE NOT EXISTS`` rather than ``INSERT OR IGNORE``: inside a trigger fired by an
    upsert, SQLite applies the outer statement's conflict policy (ABORT), not the trigger's.
    """
    _stop_recording(conn)
    n = int(import_id)
    order_cols = ", ".join(ORDER_FIELDS)
    conn.execute(
        "CREATE TEMP TRIGGER clvtui_order_versions BEFORE UPDATE ON main.orders BEGIN"
        f" INSERT INTO order_versions (import_id, {order_cols}, first_import_id,"
        f" updated_import_id) SELECT {n}, {', '.join('OLD.' + c for c in ORDER_FIELDS)},"
        " OLD.import_id, OLD.updated_import_id WHERE NOT EXISTS (SELECT 1 FROM order_versions"
        f" WHERE import_id = {n} AND source = OLD.source AND order_id = OLD.order_id); END"
    )
    customer_cols = ", ".join(VERSIONED_CUSTOMER)
    conn.execute(
        "CREATE TEMP TRIGGER clvtui_customer_versions BEFORE UPDATE ON main.customers BEGIN"
        f" INSERT INTO customer_versions (import_id, {customer_cols}, first_import_id)"
        f" SELECT {n}, {', '.join('OLD.' + c for c in VERSIONED_CUSTOMER)}, OLD.import_id"
        " WHERE NOT EXISTS (SELECT 1 FROM customer_versions"
        f" WHERE import_id = {n} AND customer_id = OLD.customer_id); END"
    )


def _stop_recording(conn: Any) -> None:
    conn.execute("DROP TRIGGER IF EXISTS temp.clvtui_order_versions")
    conn.execute("DROP TRIGGER IF EXISTS temp.clvtui_customer_versions")


def _person_rows(customers: pl.DataFrame, people: dict[str, str]) -> Iterator[tuple]:
    """The import's customer rows keyed by person (a linked key's facts go to its person)."""
    ids = customers.get_column("customer_id").to_list()
    if people:
        ids = [people.get(k, k) for k in ids]
    columns = [ids, *(customers.get_column(c).to_list() for c in CUSTOMER_FIELDS[1:])]
    return zip(*columns, strict=True)


@contextmanager
def _indexes_rebuilt_if_empty(conn: Any) -> Iterator[None]:
    """On an empty ``orders`` table, drop its secondary indexes and rebuild them afterwards.

    Building an index by one sort is much cheaper than millions of random B-tree inserts
    (measured 1.9 s → 1.2 s at 288k orders, more at millions). The index definitions are read
    from ``sqlite_master``, so the schema stays owned by ``schema.py``; DDL is transactional,
    so a rollback restores them.
    """
    if conn.execute("SELECT 1 FROM orders LIMIT 1").fetchone() is not None:
        yield
        return
    indexes = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'orders'"
        " AND sql IS NOT NULL"
    ).fetchall()
    for name, _ in indexes:
        conn.execute(f"DROP INDEX [{name}]")
    yield
    for _, sql in indexes:
        conn.execute(sql)


def _is_repeat(conn: Any, meta: dict[str, Any]) -> bool:
    """Whether the most recent finished import (not undone) is the same file, format and
    mapping, with no undo since."""
    last = conn.execute(
        "SELECT sha256, format, mapping, finished_at FROM imports WHERE undone_at IS NULL"
        " ORDER BY id DESC LIMIT 1"
    ).fetchone()
    if last is None or not meta["sha256"] or last[3] is None:
        return False
    # an undo since then may have removed orders that file had repeated: import it for real
    undone = conn.execute(
        "SELECT 1 FROM imports WHERE undone_at >= ? LIMIT 1", (last[3],)
    ).fetchone()
    if undone is not None:
        return False
    mapping = json.dumps(meta["mapping"], sort_keys=True)
    return (last[0], last[1], last[2]) == (meta["sha256"], meta["format"], mapping)


def _insert_chunks(
    conn: Any, sql: str, chunks: Iterable[list[tuple]], progress: Callable[[int], None] | None
) -> None:
    """executemany per chunk of row tuples, reporting progress after each."""
    done = 0
    for chunk in chunks:
        conn.executemany(sql, chunk)
        done += len(chunk)
        if progress is not None:
            progress(done)


def _upsert_via_stage(
    conn: Any, chunks: Iterable[list[tuple]], values: str, progress: Callable[[int], None] | None
) -> int:
    """Stage rows, then one upsert that only touches rows whose content changed.

    Returns the upsert's rowcount: inserted plus updated rows.
    """
    conn.execute("DROP TABLE IF EXISTS temp.stage_orders")
    columns = ", ".join([*ORDER_FIELDS, "import_id"])
    conn.execute(f"CREATE TEMP TABLE stage_orders AS SELECT {columns} FROM main.orders WHERE 0")
    _insert_chunks(conn, f"INSERT INTO temp.stage_orders VALUES ({values})", chunks, progress)
    incoming = {c: _INCOMING.get(c, f"excluded.{c}") for c in _COMPARED}
    changed = " OR ".join(f"orders.{c} IS NOT {v}" for c, v in incoming.items())
    updates = ", ".join(f"{c} = {v}" for c, v in incoming.items())
    # 'WHERE true' resolves the INSERT … SELECT … ON CONFLICT parsing ambiguity (SQLite docs).
    cur = conn.execute(
        f"INSERT INTO orders ({columns}) SELECT {columns} FROM temp.stage_orders WHERE true"
        f" ON CONFLICT(source, order_id) DO UPDATE SET {updates},"
        f" updated_import_id = excluded.import_id WHERE {changed}"
    )
    touched = cur.rowcount
    conn.execute("DROP TABLE temp.stage_orders")
    return touched


def _apply_refunds(
    conn: Any, source: str, refunds: list[tuple[str, int, int, str | None]], import_id: int
) -> tuple[list[tuple[int, str, str | None]], int]:
    """Refunds whose order came in an earlier export: applied idempotently, else rejected.

    The stored refund becomes max(stored, this file's refunds for the order), capped at the
    order amount, so re-importing a refund never subtracts it twice; an order refunded in
    full stops counting as a purchase.
    """
    rejects: list[tuple[int, str, str | None]] = []
    applied = 0
    for order_id, amount, row, raw in refunds:
        cur = conn.execute(
            "UPDATE orders SET refunded_minor = min(amount_minor, max(refunded_minor, ?)),"
            " updated_import_id = ?,"
            " status = CASE WHEN max(refunded_minor, ?) >= amount_minor THEN 'refunded'"
            "   WHEN status = 'completed' THEN 'partially_refunded' ELSE status END,"
            " is_purchase = CASE WHEN max(refunded_minor, ?) >= amount_minor THEN 0"
            "   ELSE is_purchase END"
            " WHERE source = ? AND order_id = ? AND refunded_minor < min(amount_minor, ?)",
            [amount, import_id, amount, amount, source, order_id, amount],
        )
        if cur.rowcount:
            applied += 1
            continue
        exists = conn.execute(
            "SELECT 1 FROM orders WHERE source = ? AND order_id = ?", [source, order_id]
        ).fetchone()
        if not exists:
            rejects.append(
                (
                    row,
                    f"refund of order '{order_id}', which is neither in this file nor in the "
                    "database; import the export that holds the original payment, then this "
                    "file again",
                    raw,
                )
            )
    return rejects, applied


def _upsert_customers(conn: Any, customers: Iterable[tuple], source: str, import_id: int) -> None:
    """Identity upsert: contact details refresh; first-order facts keep the earliest order."""
    earlier = (
        "(excluded.first_order_at IS NOT NULL AND (customers.first_order_at IS NULL"
        " OR excluded.first_order_at < customers.first_order_at))"
    )
    first = ["country", "channel", "first_product", "discount_code", "first_order_at"]
    sets = ["email = coalesce(excluded.email, customers.email)",
            "name = coalesce(excluded.name, customers.name)"]  # fmt: skip
    for c in first:
        sets.append(
            f"{c} = CASE WHEN {earlier} THEN excluded.{c} ELSE coalesce(customers.{c},"
            f" CASE WHEN customers.first_order_at IS NULL THEN excluded.{c} END) END"
        )
    # Only rows that would change are rewritten: an unchanged re-import writes nothing.
    changed = [
        "(excluded.email IS NOT NULL AND excluded.email IS NOT customers.email)",
        "(excluded.name IS NOT NULL AND excluded.name IS NOT customers.name)",
        earlier,
        *[
            f"(customers.first_order_at IS NULL AND customers.{c} IS NULL"
            f" AND excluded.{c} IS NOT NULL)"
            for c in first
        ],
    ]
    placeholders = ", ".join("?" * (len(CUSTOMER_FIELDS) + 2))
    conn.executemany(
        f"INSERT INTO customers ({', '.join(CUSTOMER_FIELDS)}, source, import_id, sources)"
        f" VALUES ({placeholders}, {sql_literal(source)})"
        f" ON CONFLICT(customer_id) DO UPDATE SET {', '.join(sets)}"
        f" WHERE {' OR '.join(changed)}",
        ((*c, source, import_id) for c in customers),
    )
