"""Import history: list the imports, and undo one exactly.

Every import records the pre-image of each order and customer row it changed
(``order_versions``, ``customer_versions``, written in its own transaction). Undo removes what
the import added (orders, customers, customer links, rejects), puts the pre-images back and
marks the import as undone — one transaction, so it happens entirely or not at all.

An import can be undone only when no later import built on it: a later import that changed
an order or a customer this one added or changed, linked a key to a person this one created,
or has orders of a customer this one created. Undo those first (newest first). Fitted runs
are never touched; undo says which runs used the data it removed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlite_utils

from clvtui.core.timefmt import now_text
from clvtui.errors import ClvError, NoDataError
from clvtui.store import column_snapshot, customer_snapshot
from clvtui.store.order_lines import later_line_changes, undo_lines
from clvtui.store.orders import ORDER_FIELDS, VERSIONED_CUSTOMER

IMPORT_COLUMNS = [
    "id", "path", "format", "started_at", "finished_at", "rows_read", "orders_new",
    "orders_updated", "orders_unchanged", "rows_rejected", "customers_new", "customers_linked",
    "currencies", "undone_at",
]  # fmt: skip


def list_imports(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """Every import, oldest first, with its file name and counts (undone ones included)."""
    out = []
    for rec in db.table("imports").rows_where(select=", ".join(IMPORT_COLUMNS), order_by="id"):
        rec["file"] = Path(rec["path"]).name
        rec["currencies"] = [c for c in (rec["currencies"] or "").split(",") if c]
        out.append(rec)
    return out


def _blockers(conn: Any, import_id: int) -> dict[int, list[str]]:
    """Later imports that built on this one, each with what they did."""
    found: dict[int, list[str]] = {}

    def add(sql: str, what: str) -> None:
        for (later,) in conn.execute(sql, {"n": import_id}).fetchall():
            found.setdefault(int(later), []).append(what)

    # orders this import added (import_id = n) or changed (a version under n)
    add(
        "SELECT DISTINCT v.import_id FROM order_versions v WHERE v.import_id > :n AND ("
        " EXISTS (SELECT 1 FROM orders o WHERE o.source = v.source AND o.order_id = v.order_id"
        "         AND o.import_id = :n)"
        " OR EXISTS (SELECT 1 FROM order_versions w WHERE w.import_id = :n"
        "            AND w.source = v.source AND w.order_id = v.order_id))",
        "changed orders this import added or changed",
    )
    created = "SELECT customer_id FROM customers WHERE import_id = :n"
    add(
        "SELECT DISTINCT v.import_id FROM customer_versions v WHERE v.import_id > :n AND ("
        f" v.customer_id IN ({created}) OR v.customer_id IN"
        " (SELECT customer_id FROM customer_versions WHERE import_id = :n))",
        "changed customers this import added or changed",
    )
    add(
        "SELECT DISTINCT import_id FROM customer_links WHERE import_id > :n"
        f" AND customer_id IN ({created})",
        "linked customers to people this import added",
    )
    add(
        "SELECT DISTINCT o.import_id FROM orders o WHERE o.import_id > :n AND o.customer_key IN"
        f" ({created} UNION ALL SELECT customer_key FROM customer_links WHERE import_id = :n)",
        "has orders of customers this import added",
    )
    for later in later_line_changes(conn, import_id):
        found.setdefault(later, []).append("replaced order lines this import wrote or replaced")
    return found


def undo_import(db: sqlite_utils.Database, import_id: int) -> dict[str, Any]:
    """Undo import ``import_id`` exactly, or raise ClvError saying which import depends on it."""
    conn = db.conn
    row = conn.execute(
        "SELECT id, path, started_at, undone_at, finished_at FROM imports WHERE id = ?",
        (import_id,),
    ).fetchone()
    if row is None:
        raise NoDataError(f"there is no import {import_id}; list them with clvtui imports")
    if row[3] is not None:
        raise ClvError(f"import {import_id} was already undone (at {row[3]})")
    n = {"n": import_id}
    with db.atomic():
        _refuse_if_blocked(conn, import_id)
        watch = column_snapshot.lift_watch(conn)
        lifted = customer_snapshot.lift(conn)
        conn.execute("DROP TABLE IF EXISTS temp.undo_keys")
        conn.execute(
            "CREATE TEMP TABLE undo_keys AS SELECT customer_id AS k FROM customers"
            " WHERE import_id = :n UNION SELECT customer_key FROM customer_links"
            " WHERE import_id = :n",
            n,
        )
        removed = conn.execute("DELETE FROM orders WHERE import_id = :n", n).rowcount
        restored = _restore_orders(conn, import_id)
        lines_removed = undo_lines(conn, import_id)
        people_removed = conn.execute("DELETE FROM customers WHERE import_id = :n", n).rowcount
        people_restored = _restore_customers(conn, import_id)
        links = conn.execute("DELETE FROM customer_links WHERE import_id = :n", n).rowcount
        conn.execute("DELETE FROM order_versions WHERE import_id = :n", n)
        conn.execute("DELETE FROM customer_versions WHERE import_id = :n", n)
        rejects = conn.execute("DELETE FROM rejects WHERE import_id = :n", n).rowcount
        _check_identities(conn, import_id)
        conn.execute("DROP TABLE temp.undo_keys")
        conn.execute(
            "UPDATE imports SET undone_at = ? WHERE id = ?",
            (now_text(), import_id),
        )
        column_snapshot.settle(db, watch)  # in the undo's transaction: all of it or none
        customer_snapshot.rebuild(db, lifted)
    runs = [
        r[0]
        for r in conn.execute(
            "SELECT id FROM runs WHERE created_at >= ? ORDER BY id", (row[2],)
        ).fetchall()
    ]
    return {
        "import_id": import_id,
        "file": Path(row[1]).name,
        "orders_removed": removed,
        "orders_restored": restored,
        "lines_removed": lines_removed,
        "customers_removed": people_removed,
        "customers_restored": people_restored,
        "links_removed": links,
        "rejects_removed": rejects,
        "runs_using_it": runs,
    }


def _refuse_if_blocked(conn: Any, import_id: int) -> None:
    """Raise ClvError naming every later import that depends on this one."""
    blockers = _blockers(conn, import_id)
    if blockers:
        later = "; ".join(
            f"import {i} {' and '.join(what)}" for i, what in sorted(blockers.items())
        )
        first = max(blockers)
        raise ClvError(
            f"cannot undo import {import_id}: a later import depends on it ({later}); "
            f"undo the later one first (clvtui imports undo {first})"
        )


def _restore_orders(conn: Any, import_id: int) -> int:
    cols = [c for c in ORDER_FIELDS if c not in ("source", "order_id")]
    sets = ", ".join(f"{c} = v.{c}" for c in cols)
    return conn.execute(
        f"UPDATE orders SET {sets}, import_id = v.first_import_id,"
        " updated_import_id = v.updated_import_id FROM order_versions v"
        " WHERE v.import_id = ? AND v.source = orders.source AND v.order_id = orders.order_id",
        (import_id,),
    ).rowcount


def _restore_customers(conn: Any, import_id: int) -> int:
    cols = [c for c in VERSIONED_CUSTOMER if c != "customer_id"]
    sets = ", ".join(f"{c} = v.{c}" for c in cols)
    return conn.execute(
        f"UPDATE customers SET {sets}, import_id = v.first_import_id FROM customer_versions v"
        " WHERE v.import_id = ? AND v.customer_id = customers.customer_id",
        (import_id,),
    ).rowcount


def _check_identities(conn: Any, import_id: int) -> None:
    """After the undo every order's key must still be a person or a linked key (else the
    checks above missed a dependency: refuse rather than leave orphans)."""
    orphan = conn.execute(
        "SELECT o.import_id, o.customer_key FROM temp.undo_keys u"
        " JOIN orders o ON o.customer_key = u.k"
        " WHERE NOT EXISTS (SELECT 1 FROM customers c WHERE c.customer_id = o.customer_key)"
        " AND NOT EXISTS (SELECT 1 FROM customer_links l WHERE l.customer_key = o.customer_key)"
        " LIMIT 1"
    ).fetchone()
    if orphan is not None:
        raise ClvError(
            f"cannot undo import {import_id}: import {orphan[0]} has orders of a customer it "
            f"added; undo import {orphan[0]} first"
        )
