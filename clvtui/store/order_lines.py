"""All SQL of order lines: replacing an import's lines, undoing it, and reading lines back.

An order's lines are replaced as a whole, and only when they differ from what is stored: a
re-import writes nothing, an updated order (a product swapped, a quantity changed) gets the
file's lines. The replaced lines are first copied to ``order_line_versions`` under the
import's id, which is what ``clvtui imports undo`` puts back — the same contract as orders.
Everything here runs inside the import's (or the undo's) transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl
import sqlite_utils

from clvtui.store import column_snapshot
from clvtui.store.customer_ranks import CODE, IDS
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


@dataclass(frozen=True)
class PurchaseCodes:
    """Purchase lines of some people as integers: no text per line, no text join.

    Orders are numbered in stored (rowid) order, lines come in stored order; ``customer``
    and ``ordered_at`` are per order, ``order`` and ``product`` per line. Why: at a million
    customers the frame of :func:`read_purchase_lines` (text times and a categorical id per
    line, built by two joins) took ~2.5 s; these arrays take ~1 s.
    """

    people: pl.Series  # text: the id of each person code
    customer: np.ndarray  # int64 per order: its person's row in ``people`` (-1: not counted)
    ordered_at: pl.Series  # UTC text per order
    order: np.ndarray  # int64 per line: its order's number (a row of ``customer``)
    product: pl.Series  # categorical per line: the name, else the product id

    def frame(self) -> pl.DataFrame:
        """customer_id (categorical), order_key (counted orders numbered 0, 1, …),
        ordered_at, product: one row per line."""
        ids = self.people.cast(pl.Categorical).gather(self.customer[self.order])
        number = np.cumsum(self.customer >= 0) - 1
        return pl.DataFrame(
            {"customer_id": ids, "order_key": number[self.order],
             "ordered_at": self.ordered_at.gather(self.order),
             "product": self.product.cast(pl.Utf8)},
            schema={"customer_id": pl.Categorical, "order_key": pl.Int64,
                    "ordered_at": pl.Utf8, "product": pl.Utf8},
        )  # fmt: skip


def read_purchase_lines(
    db: sqlite_utils.Database, as_of: str | None = None, people: pl.Series | None = None
) -> pl.DataFrame:
    """Lines of purchases with their person and order time: customer_id, order_key (an
    integer per order, lines of an order together), ordered_at (UTC text), product (the
    name, else the product id). ``customer_id`` is categorical: cast a text id column to it
    before joining (``insights.products.keyed_like``). What :func:`read_purchase_codes`
    reads, as one frame."""
    return read_purchase_codes(db, as_of, people).frame()


def read_purchase_codes(
    db: sqlite_utils.Database, as_of: str | None = None, people: pl.Series | None = None
) -> PurchaseCodes:
    """The named lines of purchases (``is_purchase``) of known customers up to ``as_of`` (UTC
    text, inclusive), of ``people`` only (text ids; None: everyone), as integers.

    Lines point at their order's rowid in the column snapshot, so lines meet orders by an
    array look-up; orders meet people by 64-bit hashes of the ids, each match checked
    against the id (a text join of 2.9 M orders with a million people cost ~1.5 s). The
    snapshot's orders are not filtered (a copy of their texts): orders that do not count
    get no person."""
    column_snapshot.prepare(db, *column_snapshot.PARTS)
    with snapshot(db):
        coded = stored_codes(db, as_of) if people is not None else None
        links = all_links(db)
        if coded is not None and people is not None:
            return from_codes(*coded, links, people.cast(pl.Utf8))
        lines, orders, counted = _stored_lines(db, as_of) or _sql_lines(db, as_of)
    persons = to_people(orders, links)
    if people is None:
        people = persons.filter(counted).unique(maintain_order=True)
    people = people.cast(pl.Utf8)
    code = np.where(counted.to_numpy(), _person_rows(persons, people), -1)
    return _coded(lines, orders, code, people)


def from_codes(
    lines: pl.DataFrame, orders: pl.DataFrame, counted: pl.Series, ids: pl.Series,
    links: pl.DataFrame, people: pl.Series | None,
) -> PurchaseCodes:  # fmt: skip
    """:func:`read_purchase_codes` of orders given by customer code (:func:`stored_codes`): the
    million distinct keys meet ``people``, not the 2.9 M orders' texts (~0.9 s of CPU less).
    ``people`` None: every key's person (without links: the keys, in code order; no match)."""
    persons = to_people(ids.to_frame("customer_key"), links)
    if people is None and not links.height:
        people, rows = persons, np.arange(persons.len(), dtype=np.int64)
    else:
        people = persons.unique(maintain_order=True) if people is None else people
        rows = _person_rows(persons, people)
    row_of_key = np.append(rows, -1)
    keys = orders.get_column(CODE).cast(pl.Int64).fill_null(-1).to_numpy()
    code = np.where(counted.to_numpy(), row_of_key[keys], -1)  # a null key: the -1 past the end
    return _coded(lines, orders, code, people)


def _coded(
    lines: pl.DataFrame, orders: pl.DataFrame, code: np.ndarray, people: pl.Series
) -> PurchaseCodes:
    """The lines of orders that count (``code``: each order's row in ``people``, -1: none)."""
    order = _order_rows(lines.get_column("order_key"), orders.get_column("order_key"))
    order = np.where(order >= 0, order, code.size)  # a line of no order: at a -1 past the end
    named = np.append(code, -1)[order] >= 0
    product = lines.get_column("product").filter(pl.Series(named))
    if product.dtype != pl.Categorical:  # read from SQL, or a snapshot of the older layout
        product = product.cast(pl.Categorical)
    return PurchaseCodes(people, code, orders.get_column("ordered_at"), order[named], product)


def _person_rows(persons: pl.Series, people: pl.Series) -> np.ndarray:
    """Each of ``persons``' row in ``people`` (-1: not there; a repeated id: its first row)."""
    hashes = people.hash()
    if hashes.n_unique() == people.len():  # else a clash, or an id twice: the join below
        table = pl.DataFrame({"h": hashes, "row": np.arange(people.len(), dtype=np.int64)})
        asked = pl.DataFrame({"h": persons.hash()}).with_row_index("at")
        found = asked.join(table, on="h", how="inner")  # pairs in any order: faster
        at = found.get_column("at").to_numpy()
        row = found.get_column("row").to_numpy()
        if _same_ids(persons, at, people, row):
            code = np.full(persons.len(), -1, dtype=np.int64)
            code[at] = row
            return code
    table = pl.DataFrame({"customer_id": people, "row": np.arange(people.len(), dtype=np.int64)})
    table = table.unique("customer_id", keep="first", maintain_order=True)
    found = pl.DataFrame({"customer_id": persons}).join(
        table, on="customer_id", how="left", maintain_order="left"
    )
    return found.get_column("row").fill_null(-1).to_numpy()


def _same_ids(persons: pl.Series, at: np.ndarray, people: pl.Series, row: np.ndarray) -> bool:
    """Whether ``persons[at]`` equals ``people[row]`` pair by pair (a null person: equal, it
    counts nowhere), compared a block at a time: both gathered at once held ~180 MB."""
    for lo in range(0, at.size, _BATCH * 10):
        hi = lo + _BATCH * 10
        if not bool((persons.gather(at[lo:hi]) == people.gather(row[lo:hi])).all()):
            return False
    return True


def _order_rows(line_keys: pl.Series, order_keys: pl.Series) -> np.ndarray:
    """Each line's order: its row in ``order_keys`` (-1: none). Integer keys (the snapshot's
    order rowids) by an array look-up, text keys (read from SQL) by a join."""
    rows = np.arange(order_keys.len(), dtype=np.int64)
    if line_keys.dtype.is_integer() and order_keys.dtype.is_integer():
        keys, wanted = order_keys.to_numpy(), line_keys.fill_null(-1).to_numpy()
        at = np.full(int(max(keys.max(initial=0), wanted.max(initial=0))) + 2, -1, np.int64)
        at[keys] = rows
        return at[wanted]  # a line with no order (null: -1) looks at the last place, -1
    found = pl.DataFrame({"order_key": line_keys}).join(
        pl.DataFrame({"order_key": order_keys, "row": rows}),
        on="order_key", how="left", maintain_order="left",
    )  # fmt: skip
    return found.get_column("row").fill_null(-1).to_numpy()


def _sql_lines(
    db: sqlite_utils.Database, as_of: str | None
) -> tuple[pl.DataFrame, pl.DataFrame, pl.Series]:
    """Named lines (order_key text, product) and purchases (order_key, customer_key,
    ordered_at) read from the tables, and which orders count (all: filtered in SQL)."""
    where = _PURCHASES + (" AND ordered_at <= ?" if as_of else "")
    lines = read_table(db, "order_lines", _LINE_COLUMNS, where=_NAMED)
    orders = read_table(db, "orders", _ORDER_COLUMNS, where=where, params=(as_of,) if as_of else ())
    return lines, orders, pl.repeat(True, orders.height, eager=True)


def _stored_lines(
    db: sqlite_utils.Database, as_of: str | None
) -> tuple[pl.DataFrame, pl.DataFrame, pl.Series] | None:
    """What :func:`_sql_lines` reads, from the column snapshot (order_key: the order's rowid,
    an integer to look up), or None when the snapshot is not current. Every order comes,
    with whether it counts: filtering would copy a million texts."""
    lines = column_snapshot.load(db, column_snapshot.LINES, ["order_rowid", "product"])
    if lines is None:
        return None
    names = ["rowid", "customer_key", "ordered_at", "is_purchase"]
    orders = column_snapshot.load(db, column_snapshot.ORDERS, names)
    if orders is None:
        return None
    bought = (pl.col("is_purchase") == 1) & pl.col("customer_key").is_not_null()
    if as_of:
        bought &= pl.col("ordered_at") <= as_of
    counted = orders.select(bought.fill_null(False)).to_series()
    orders = orders.select(order_key="rowid", customer_key="customer_key", ordered_at="ordered_at")
    return lines.rename({"order_rowid": "order_key"}), orders, counted


def stored_codes(
    db: sqlite_utils.Database, as_of: str | None
) -> tuple[pl.DataFrame, pl.DataFrame, pl.Series, pl.Series] | None:
    """:func:`_stored_lines` with each order's customer code (``store.customer_ranks``) in
    place of its text key, and the keys the codes number (sorted, distinct), or None when the
    snapshot holds no codes (not current, or an older layout read-only)."""
    if column_snapshot.ORDERS not in column_snapshot.current_parts(db.conn):
        return None
    lines = column_snapshot.load(db, column_snapshot.LINES, ["order_rowid", "product"])
    names = ["rowid", "ordered_at", "is_purchase", CODE]
    orders = column_snapshot.load(db, column_snapshot.ORDERS, names)
    ids = column_snapshot.load(db, column_snapshot.ORDERS, [IDS])
    if lines is None or orders is None or ids is None:
        return None
    bought = (pl.col("is_purchase") == 1) & pl.col(CODE).is_not_null()
    if as_of:
        bought &= pl.col("ordered_at") <= as_of
    counted = orders.select(bought.fill_null(False)).to_series()
    orders = orders.select("ordered_at", CODE, order_key="rowid")
    return lines.rename({"order_rowid": "order_key"}), orders, counted, ids.to_series()


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
