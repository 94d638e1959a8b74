"""The customers part of the column snapshot is what SQL returns, and only while current.

Real database files in tmp dirs and real exports: after each path that writes the customers
table (imports first, adding, changing and linking, repeated; undo; a summary fit's upsert; a
hand edit; a failed import), the part is either current and equal to a plain ``SELECT`` of
the table, or not used at all; a fit's identity read (``stamped_identity``) equals the SQL.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import polars as pl
import pytest
import sqlite_utils

from clvtui.ingest import import_file
from clvtui.store import customer_snapshot as cs
from clvtui.store import open_db
from clvtui.store.frames import read_frame
from clvtui.store.history import undo_import
from clvtui.store.run_identity import StampedIdentity, stamped_identity
from clvtui.store.stamp import data_stamp
from clvtui.store.summary_customers import upsert_summary_customers
from tests.ingest.conftest import fixture
from tests.ingest.test_identity import generic, stripe


def plain_select(db: sqlite_utils.Database) -> pl.DataFrame:
    """Every customer as one plain query returns them (rowid order), no snapshot involved."""
    sql = f"SELECT {', '.join(cs.COLUMNS)} FROM customers ORDER BY rowid"
    return read_frame(db, sql, schema=dict.fromkeys(cs.COLUMNS, pl.Utf8))


def assert_same(part: pl.DataFrame, sql: pl.DataFrame) -> None:
    """Same columns, rows and values; few-valued text as categories, the rest as text."""
    assert part.columns == list(cs.COLUMNS)
    assert all(part.schema[c] == pl.Categorical for c in cs.FEW)
    assert all(part.schema[c] == pl.Utf8 for c in cs.COLUMNS if c not in cs.FEW)
    as_text = part.with_columns(pl.col(cs.FEW).cast(pl.Utf8))
    assert as_text.equals(sql), (as_text, sql)


def current_and_equal(db: sqlite_utils.Database) -> pl.DataFrame:
    """The part is current, equals the table, and the fit's identity read is it."""
    assert cs.is_current(db.conn)
    part = cs.load(db)
    assert part is not None
    sql = plain_select(db)
    assert_same(part, sql)
    into = StampedIdentity()
    assert stamped_identity(db, into).equals(part)
    assert into.data_stamp == data_stamp(db.conn)
    return sql


def rows_of_part(db: sqlite_utils.Database) -> list[tuple]:
    sql = "SELECT name, stamp, data FROM column_snapshots WHERE part = ? ORDER BY name"
    return db.conn.execute(sql, (cs.PART,)).fetchall()


@pytest.fixture
def db(tmp_path: Path) -> sqlite_utils.Database:
    return open_db(tmp_path / "clv.db")


def test_imports_keep_the_part_current_first_added_changed_linked_repeated(db, tmp_path) -> None:
    import_file(db, fixture("shopify_orders.csv"))  # a first import: the file's rows, no read
    first = current_and_equal(db)
    assert first.height == 6
    assert set(first.get_column("sources").to_list()) == {"shopify"}
    import_file(db, fixture("shopify_orders.csv"))  # the same file again: nothing written
    assert current_and_equal(db).equals(first)
    import_file(db, fixture("mixed_currencies.csv"), fmt="generic")  # new ones appended
    rows = [("G1", "2024-01-02", "", "jane@example.com"), ("G2", "2024-03-02", "", "a@x.com")]
    import_file(db, generic(tmp_path / "g.csv", rows), fmt="generic")
    # a later key with jane's e-mail: linked, her sources change (an update, read back)
    linked = import_file(db, stripe(tmp_path / "s.csv", [("ch_9", "2024-02-01", "cus_9",
                                                          "jane@example.com")]))  # fmt: skip
    assert linked.customers_linked == 1
    after = current_and_equal(db)
    jane = after.filter(pl.col("customer_id") == "generic:jane@example.com")
    assert jane.get_column("sources").to_list() == ["generic, stripe"]
    # an earlier order of a known customer: first-order facts of that row change in place
    import_file(db, generic(tmp_path / "e.csv", [("G0", "2023-01-01", "", "a@x.com")]),
                fmt="generic")  # fmt: skip
    current_and_equal(db)


def test_undo_rebuilds_the_part_in_its_transaction(db, tmp_path) -> None:
    import_file(db, fixture("shopify_orders.csv"))
    before = current_and_equal(db)
    second = import_file(db, fixture("stripe_payments_jan_jun.csv"))
    assert current_and_equal(db).height > before.height
    undo_import(db, second.import_id)
    assert current_and_equal(db).equals(before)


def test_a_summary_upsert_drops_the_part_and_the_next_read_keeps_the_table(db) -> None:
    import_file(db, fixture("shopify_orders.csv"))
    known = current_and_equal(db).get_column("customer_id")[0]
    people = pl.DataFrame(
        {
            "customer_id": [known, "w-1"],
            "email": [None, "w@x.com"],
            "name": ["Renamed", "W"],
            "first_order_at": [None, "2024-01-01T00:00:00Z"],
        }
    )
    with db.conn:
        upsert_summary_customers(db.conn, people)
    assert not cs.is_current(db.conn)
    assert cs.load(db) is None and rows_of_part(db) == []
    into = StampedIdentity()
    read = stamped_identity(db, into)  # SQL, and kept as the part (this connection can write)
    assert "Renamed" in read.get_column("name").to_list()
    assert_same(read, plain_select(db))
    current_and_equal(db)


def test_any_other_write_to_customers_drops_the_part(db) -> None:
    import_file(db, fixture("shopify_orders.csv"))
    current_and_equal(db)
    for sql in (
        "UPDATE customers SET name = 'Hand Edit' WHERE rowid = 2",
        "INSERT INTO customers (customer_id, name, source, sources) VALUES ('x:1', 'N', 'x', 'x')",
        "DELETE FROM customers WHERE customer_id = 'x:1'",
    ):
        with db.conn:
            db.conn.execute(sql)
        # the stamp alone would not see the update (same imports, same highest rowid)
        assert not cs.is_current(db.conn) and cs.load(db) is None
        read = stamped_identity(db, StampedIdentity())
        assert_same(read, plain_select(db))
        current_and_equal(db)
    assert "Hand Edit" in plain_select(db).get_column("name").to_list()


def test_a_stale_stamp_is_never_used(db) -> None:
    import_file(db, fixture("shopify_orders.csv"))
    current_and_equal(db)
    with db.conn:
        db.conn.execute("UPDATE column_snapshots SET stamp = 'older' WHERE part = ?", (cs.PART,))
    assert cs.load(db) is None
    assert_same(stamped_identity(db, StampedIdentity()), plain_select(db))
    current_and_equal(db)  # rebuilt by that read


def test_a_failed_import_leaves_the_part_as_it_was(db, tmp_path, monkeypatch) -> None:
    import clvtui.store.orders as orders

    import_file(db, fixture("shopify_orders.csv"))
    before = rows_of_part(db)

    def broken(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(orders, "_finish_import_row", broken)
    with pytest.raises(OSError):
        import_file(db, fixture("stripe_payments_jan_jun.csv"))
    assert rows_of_part(db) == before
    sql = "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name LIKE ? ESCAPE '^'"
    triggers = db.conn.execute(sql, ("customer^_snapshot^_%",)).fetchone()[0]
    assert triggers == 3  # lifted in the import's transaction: back with its rollback
    current_and_equal(db)


def test_a_database_without_the_part_falls_back_then_builds_it(tmp_path) -> None:
    path = tmp_path / "clv.db"
    db = open_db(path)
    import_file(db, fixture("shopify_orders.csv"))
    import_file(db, fixture("stripe_payments_jan_jun.csv"))
    with db.conn:  # as a file from before the part: no rows, no triggers
        cs.drop(db.conn)
    assert cs.load(db) is None
    db.close()
    ro = open_db(path, readonly=True)  # a read-only connection reads SQL and writes nothing
    assert_same(stamped_identity(ro, StampedIdentity()), plain_select(ro))
    assert rows_of_part(ro) == []
    ro.close()
    db = open_db(path)
    assert_same(stamped_identity(db, StampedIdentity()), plain_select(db))
    current_and_equal(db)
    # and an import into it, its part stale at the start, rebuilds it from the table
    with db.conn:
        cs.drop(db.conn)
    import_file(db, fixture("stripe_payments_apr_sep.csv"))
    current_and_equal(db)


def test_a_writer_elsewhere_means_a_plain_read(db, tmp_path) -> None:
    import_file(db, fixture("shopify_orders.csv"))
    with db.conn:
        cs.drop(db.conn)
    other = sqlite3.connect(tmp_path / "clv.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    try:
        assert_same(stamped_identity(db, StampedIdentity()), plain_select(db))
        assert rows_of_part(db) == []  # nothing kept, no waiting for the lock
    finally:
        other.execute("ROLLBACK")
        other.close()


def test_a_commit_between_the_read_and_the_keep_keeps_nothing(db, tmp_path, monkeypatch) -> None:
    import_file(db, fixture("shopify_orders.csv"))
    with db.conn:
        cs.drop(db.conn)  # stale: the next read is SQL; no triggers to tell of the edit below
    read = cs.from_tables

    def read_then_edited_elsewhere(*args: object, **kwargs: object) -> pl.DataFrame:
        frame = read(*args, **kwargs)  # type: ignore[arg-type]
        other = sqlite3.connect(tmp_path / "clv.db", isolation_level=None)
        other.execute("UPDATE customers SET name = 'Edited Meanwhile' WHERE rowid = 1")
        other.close()
        return frame

    monkeypatch.setattr(cs, "from_tables", read_then_edited_elsewhere)
    stamped_identity(db, StampedIdentity())
    assert rows_of_part(db) == []  # the stamp is the same, the table is not: nothing kept
    monkeypatch.setattr(cs, "from_tables", read)
    assert "Edited Meanwhile" in stamped_identity(db, StampedIdentity()).get_column("name")
    current_and_equal(db)
