"""All SQL of order lines: replacing an import's lines, undoing it, and reading lines back.

An order's lines are replaced as a whole, and only when they differ from what is stored: a
re-import writes nothing, an updated order (a product swapped, a quantity changed) gets the
file's lines. The replaced lines are first copied to ``order_line_versions`` under the
import's id, which is what ``clvtui imports undo`` puts back — the same contract as orders.
Everything here runs inside the import's (or the undo's) transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import polars as pl
import sqlite_utils

from clvtui.store import column_snapshot
from clvtui.store.frames import read_table, snapshot
from clvtui.store.identity import all_links, to_people

#: A line as the importer hands it over (``source`` and ``import_id`` are added here).
LINE_FIELDS = ["order_id", "line_no", "product_id", "product", "quantity", "amount_minor",
               "currency"]  # fmt: skip
_CONTENT = ", ".join(LINE_FIELDS)
_BATCH = 50_000
_PURCHASES = "is_purchase = 1 AND customer_key IS NOT NULL"
_NAMED = "coalesce(product, product_id) IS NOT NULL"
_LINE_COLUMNS = {
    "order_key": ("source || ':' || order_id", pl.Utf8),
    "product": ("coalesce(product, product_id)", pl.Utf8),
}
_ORDER_COLUMNS = {
    "order_key": ("source || ':' || order_id", pl.Utf8),
    "customer_key": ("customer_key", pl.Utf8),
    "ordered_at": ("ordered_at", pl.Utf8),
}


def sql_literal(text: str) -> str:
    """``text`` as an SQL string literal (a value the same for every row of a bulk insert)."""
    return "'" + text.replace("'", "''") + "'"


def write_lines(
    conn: Any, source: str, import_id: int, lines: Iterable[list[tuple]] | None
) -> dict[str, int]:
    """Replace the lines of every order whose lines in this file differ from the stored ones.

    ``lines``: chunks of :data:`LINE_FIELDS` tuples (None: a format without lines). Returns
    ``lines_new`` (lines written) and ``orders_relined`` (orders whose earlier lines were
    replaced). Orders of this file with no lines keep what is stored. A source's first lines
    go straight into the table (nothing to compare with).
    """
    if lines is None:
        return {"lines_new": 0, "orders_relined": 0}
    marks = ", ".join("?" * len(LINE_FIELDS))
    args = {"s": source, "n": int(import_id)}
    if conn.execute("SELECT 1 FROM order_lines WHERE source = ? LIMIT 1", (source,)).fetchone():
        return _replace_changed(conn, lines, args)
    # source and import id as SQL literals: the same for every line
    insert = (
        f"INSERT INTO main.order_lines (source, {_CONTENT}, import_id)"
        f" VALUES ({sql_literal(source)}, {marks}, {int(import_id)})"
    )
    new = 0
    for chunk in lines:
        conn.executemany(insert, chunk)
        new += len(chunk)
    return {"lines_new": new, "orders_relined": 0}


def _replace_changed(
    conn: Any, lines: Iterable[list[tuple]], args: dict[str, Any]
) -> dict[str, int]:
    """Stage the file's lines, find the orders whose lines differ, replace only those."""
    conn.execute("DROP TABLE IF EXISTS temp.stage_lines")
    conn.execute(
        f"CREATE TEMP TABLE stage_lines AS SELECT {_CONTENT} FROM main.order_lines WHERE 0"
    )
    marks = ", ".join("?" * len(LINE_FIELDS))
    for chunk in lines:
        conn.executemany(f"INSERT INTO temp.stage_lines VALUES ({marks})", chunk)
    stored = (
        f"SELECT {_CONTENT} FROM main.order_lines WHERE source = :s"
        " AND order_id IN (SELECT order_id FROM temp.stage_lines)"
    )
    staged = f"SELECT {_CONTENT} FROM temp.stage_lines"
    conn.execute("DROP TABLE IF EXISTS temp.relined")
    conn.execute(
        "CREATE TEMP TABLE relined AS SELECT DISTINCT order_id FROM"
        f" ({staged} EXCEPT {stored} UNION ALL SELECT * FROM ({stored} EXCEPT {staged}))",
        {"s": args["s"]},
    )
    replaced = "source = :s AND order_id IN (SELECT order_id FROM temp.relined)"
    conn.execute(
        f"INSERT INTO order_line_versions (import_id, source, {_CONTENT}, line_import_id)"
        f" SELECT :n, source, {_CONTENT}, import_id FROM main.order_lines WHERE {replaced}",
        args,
    )
    relined = conn.execute(
        f"SELECT count(DISTINCT order_id) FROM main.order_lines WHERE {replaced}", args
    ).fetchone()[0]
    conn.execute(f"DELETE FROM main.order_lines WHERE {replaced}", args)
    new = conn.execute(
        f"INSERT INTO main.order_lines (source, {_CONTENT}, import_id)"
        f" SELECT :s, {_CONTENT}, :n FROM temp.stage_lines"
        " WHERE order_id IN (SELECT order_id FROM temp.relined)",
        args,
    ).rowcount
    conn.execute("DROP TABLE temp.stage_lines")
    conn.execute("DROP TABLE temp.relined")
    return {"lines_new": int(new), "orders_relined": int(relined)}


def later_line_changes(conn: Any, import_id: int) -> list[int]:
    """Later imports that replaced lines this import wrote or replaced (block its undo)."""
    rows = conn.execute(
        "SELECT DISTINCT v.import_id FROM order_line_versions v WHERE v.import_id > :n AND"
        " (v.line_import_id = :n OR EXISTS (SELECT 1 FROM order_line_versions w"
        "  WHERE w.import_id = :n AND w.source = v.source AND w.order_id = v.order_id))",
        {"n": int(import_id)},
    ).fetchall()
    return [int(r[0]) for r in rows]


def undo_lines(conn: Any, import_id: int) -> int:
    """Remove the lines an import wrote and put back the ones it replaced; lines removed."""
    args = {"n": int(import_id)}
    removed = conn.execute("DELETE FROM order_lines WHERE import_id = :n", args).rowcount
    conn.execute(
        f"INSERT INTO order_lines (source, {_CONTENT}, import_id)"
        f" SELECT source, {_CONTENT}, line_import_id FROM order_line_versions"
        " WHERE import_id = :n",
        args,
    )
    conn.execute("DELETE FROM order_line_versions WHERE import_id = :n", args)
    return int(removed)


def has_lines(db: sqlite_utils.Database) -> bool:
    """Whether any order line is stored (products need them)."""
    return db.conn.execute("SELECT 1 FROM order_lines LIMIT 1").fetchone() is not None


def read_purchase_lines(
    db: sqlite_utils.Database, as_of: str | None = None, people: pl.Series | None = None
) -> pl.DataFrame:
    """Lines of purchases with their person and order time: customer_id, order_key (an
    integer per order, lines of an order together), ordered_at (UTC text), product (the
    name, else the product id). ``customer_id`` is categorical: cast a text id column to it
    before joining (``insights.products.keyed_like``).

    Only purchases (``is_purchase``) of known customers up to ``as_of`` (UTC text, inclusive)
    count, and with ``people`` (customer ids) only theirs: kept at the order level, before
    the join, which then has fewer rows on its right (at a million customers a filter of the
    joined lines took 1.5 s). Lines and orders are read as two plain tables and joined in
    polars (a SQL join per line is several times slower at millions of lines).
    """
    column_snapshot.prepare(db, *column_snapshot.PARTS)
    with snapshot(db):
        lines, orders = _stored_lines(db, as_of) or _sql_lines(db, as_of)
        links = all_links(db)
    # the text key is joined once; everything after works on a small integer per order
    people_of = orders.select(
        "order_key", "ordered_at", to_people(orders, links), order_no=pl.int_range(pl.len())
    )
    # a categorical id: every later unique, group and join over millions of lines compares
    # a 32-bit code instead of hashing text (one hash per order here, not per line later)
    if people is None:
        people_of = people_of.with_columns(pl.col("customer_id").cast(pl.Categorical))
    else:  # cast the million people, not the orders, and keep only theirs by the same join
        kept = pl.DataFrame({"customer_id": people}, schema={"customer_id": pl.Utf8}).unique()
        kept = kept.with_columns(code=pl.col("customer_id").cast(pl.Categorical))
        people_of = people_of.join(kept, on="customer_id", how="inner", maintain_order="left")
        people_of = people_of.drop("customer_id").rename({"code": "customer_id"})
    joined = lines.join(people_of, on="order_key", how="inner", maintain_order="left")
    return joined.select(
        "customer_id", pl.col("order_no").alias("order_key"), "ordered_at", "product"
    )


def _sql_lines(db: sqlite_utils.Database, as_of: str | None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Named lines (order_key text, product) and purchases (order_key, customer_key,
    ordered_at) read from the tables."""
    where = _PURCHASES + (" AND ordered_at <= ?" if as_of else "")
    lines = read_table(db, "order_lines", _LINE_COLUMNS, where=_NAMED)
    orders = read_table(db, "orders", _ORDER_COLUMNS, where=where, params=(as_of,) if as_of else ())
    return lines, orders


def _stored_lines(
    db: sqlite_utils.Database, as_of: str | None
) -> tuple[pl.DataFrame, pl.DataFrame] | None:
    """What :func:`_sql_lines` reads, from the column snapshot (order_key: the order's rowid,
    an integer to join on), or None when the snapshot is not current."""
    bought = (pl.col("is_purchase") == 1) & pl.col("customer_key").is_not_null()
    if as_of:
        bought &= pl.col("ordered_at") <= as_of
    columns = {"order_key": pl.col("rowid"), "customer_key": pl.col("customer_key"),
               "ordered_at": pl.col("ordered_at")}  # fmt: skip
    lines = column_snapshot.load(db, column_snapshot.LINES, ["order_rowid", "product"])
    orders = column_snapshot.read_orders(db, columns, bought) if lines is not None else None
    if lines is None or orders is None:
        return None
    return lines.rename({"order_rowid": "order_key"}), orders


def order_lines_of(db: sqlite_utils.Database, customer_id: str) -> list[dict[str, Any]]:
    """One customer's lines (every key linked to the person), newest order first."""
    sql = (
        "SELECT o.ordered_at, o.order_id, l.line_no, l.product_id, l.product, l.quantity,"
        " l.amount_minor, l.currency, o.is_purchase FROM order_lines l"
        " JOIN orders o ON o.source = l.source AND o.order_id = l.order_id"
        " WHERE o.customer_key = :c OR o.customer_key IN"
        " (SELECT customer_key FROM customer_links WHERE customer_id = :c)"
        " ORDER BY o.ordered_at DESC, o.order_id, l.line_no"
    )
    cols = ["ordered_at", "order_id", "line_no", "product_id", "product", "quantity",
            "amount_minor", "currency", "is_purchase"]  # fmt: skip
    return [dict(zip(cols, r, strict=True)) for r in db.conn.execute(sql, {"c": customer_id})]


def run_from_summary(db: sqlite_utils.Database, run_id: int) -> bool:
    """Whether a run was fitted from a customer summary file (no orders, hence no lines)."""
    row = db.conn.execute(
        "SELECT json_extract(report, '$.summary_file') IS NOT NULL FROM runs WHERE id = ?",
        (run_id,),
    ).fetchone()
    return bool(row and row[0])
