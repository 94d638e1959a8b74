"""The column snapshot gives exactly what the tables give, and only while it is current.

Real database files in tmp dirs and real exports (fixtures, or written here): every reader of
all orders is run twice, once from the snapshot and once the long way (the snapshot rows
deleted inside a transaction rolled back afterwards, so the reader finds none and reads SQL).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import hypothesis.strategies as st
import polars as pl
import pytest
import sqlite_utils
from hypothesis import HealthCheck, given, settings

from clvtui.errors import NoDataError
from clvtui.ingest import import_file
from clvtui.store import column_snapshot as cs
from clvtui.store import open_db
from clvtui.store.costs import order_costs
from clvtui.store.history import undo_import
from clvtui.store.order_lines import read_purchase_lines
from clvtui.store.reads import left_out, purchases_frame
from tests.ingest.conftest import fixture
from tests.ingest.test_identity import generic, stripe

BOTH = {cs.ORDERS, cs.LINES}


def the_long_way(db: sqlite_utils.Database, read: Callable[[sqlite_utils.Database], Any]) -> Any:
    """``read`` with no snapshot to use (deleted in a transaction, rolled back after)."""
    db.conn.execute("BEGIN")
    try:
        db.conn.execute("DELETE FROM column_snapshots")
        return read(db)
    finally:
        db.conn.execute("ROLLBACK")


def same_both_ways(db: sqlite_utils.Database, read: Callable[[sqlite_utils.Database], Any]) -> Any:
    cs.prepare(db, *cs.PARTS)  # what each reader does first (rebuilds a stale snapshot)
    assert cs.current_parts(db.conn) == BOTH
    fast = read(db)
    slow = the_long_way(db, read)
    if isinstance(fast, pl.DataFrame):
        assert fast.schema == slow.schema
        assert fast.equals(slow), (fast, slow)
    else:
        assert fast == slow
    return fast


def every_reader_agrees(db: sqlite_utils.Database, until: str | None = None) -> None:
    """Each reader of all orders, in each currency held, with and without a cut-off."""
    codes = [c for (c,) in db.conn.execute("SELECT DISTINCT currency FROM orders ORDER BY 1")]
    for day in (None, until):
        end = day and f"{day}T23:59:59Z"
        fitted = same_both_ways(db, partial(purchases_frame, until=day))
        same_both_ways(db, partial(left_out, fitted=fitted, until=day))
        for code in codes:
            one = partial(purchases_frame, until=day, currency=code)
            try:
                same_both_ways(db, one)
            except NoDataError:  # a currency with no purchases: both ways must say so
                with pytest.raises(NoDataError):
                    the_long_way(db, one)
            same_both_ways(db, partial(order_costs, currency=code, until=end))
        same_both_ways(db, partial(read_purchase_lines, as_of=end))
    assert stored_equals_rebuilt(db)


def stored_equals_rebuilt(db: sqlite_utils.Database) -> bool:
    """The snapshot the imports kept up to date is the one built from the tables afresh."""
    kept = {p: cs.load(db, p, _columns(p)) for p in BOTH}
    db.conn.execute("BEGIN")
    try:
        db.conn.execute("DELETE FROM column_snapshots")
        cs.rebuild(db)
        fresh = {p: cs.load(db, p, _columns(p)) for p in BOTH}
    finally:
        db.conn.execute("ROLLBACK")
    return all(_equal(kept[p], fresh[p]) for p in BOTH)


def _equal(a: pl.DataFrame | None, b: pl.DataFrame | None) -> bool:
    return a is not None and b is not None and a.equals(b)


def _columns(part: str) -> list[str]:
    return ["rowid", "order_rowid", "product"] if part == cs.LINES else list(cs._ORDER_COLUMNS)


@pytest.fixture
def db(tmp_path: Path) -> sqlite_utils.Database:
    return open_db(tmp_path / "clv.db")


def test_currencies_links_and_costs_read_the_same(db, tmp_path) -> None:
    import_file(db, fixture("mixed_currencies.csv"), fmt="generic")
    import_file(db, fixture("costs/stripe_fees.csv"))
    import_file(db, fixture("costs/shopify_discounts.csv"))
    rows = [("G1", "2024-01-02", "", "jane@example.com"), ("G2", "2024-03-02", "", "a@example.com")]
    import_file(db, generic(tmp_path / "g.csv", rows), fmt="generic")
    linked = import_file(db, stripe(tmp_path / "s.csv", [("ch_9", "2024-02-01", "cus_9",
                                                          "jane@example.com")]))  # fmt: skip
    assert linked.customers_linked == 1  # the stripe key is jane's generic person
    fitted = same_both_ways(db, purchases_frame)
    assert fitted.get_column("currency")[0] == "USD"
    assert "generic:jane@example.com" in fitted.get_column("customer_id").to_list()
    assert "stripe:cus_9" not in fitted.get_column("customer_id").to_list()
    costs = same_both_ways(db, lambda d: order_costs(d, "USD"))
    assert costs.get_column("fee_minor").drop_nulls().to_list()[:2] == [320, 175]
    every_reader_agrees(db, until="2024-02-01")


def test_lines_relined_and_undone_read_the_same(db, tmp_path) -> None:
    import_file(db, fixture("lines/shopify_lines.csv"))
    import_file(db, fixture("lines/woocommerce_lines.csv"))
    lines = same_both_ways(db, read_purchase_lines)
    assert lines.height > 0 and lines.get_column("product").null_count() == 0
    every_reader_agrees(db, until="2024-03-01")
    # the same export with a product swapped and a line gone: that order is relined
    text = fixture("lines/shopify_lines.csv").read_text(encoding="utf-8")
    changed = text.replace("Tamper", "Milk jug").replace(
        "#2001,,,,,,1,Milk jug", "#2001,,,,,,3,Milk jug"
    )
    again = import_file(db, _written(tmp_path / "relined.csv", changed))
    assert again.orders_relined >= 1
    after = same_both_ways(db, read_purchase_lines)
    assert "Milk jug" in after.get_column("product").to_list()
    every_reader_agrees(db, until="2024-03-01")
    undo_import(db, again.import_id)
    undone = same_both_ways(db, read_purchase_lines)  # lines put back come last (new rowids)
    by_product = ["ordered_at", "product"]
    assert (
        undone.drop("order_key").sort(by_product).equals(lines.drop("order_key").sort(by_product))
    )
    every_reader_agrees(db)


def test_an_overlapping_export_with_refunds_and_its_undo_read_the_same(db) -> None:
    import_file(db, fixture("stripe_payments_jan_jun.csv"))
    before = same_both_ways(db, purchases_frame)
    second = import_file(db, fixture("stripe_payments_apr_sep.csv"))
    assert (second.orders_new, second.orders_updated) == (2, 1)  # an order refunded later
    every_reader_agrees(db, until="2024-05-01")
    undo_import(db, second.import_id)
    assert same_both_ways(db, purchases_frame).equals(before)
    repeat = import_file(db, fixture("stripe_payments_jan_jun.csv"))  # nothing changes
    assert repeat.orders_new == 0
    every_reader_agrees(db)


def test_writes_behind_its_back_are_seen(db) -> None:
    import_file(db, fixture("stripe_payments_jan_jun.csv"))
    assert cs.current_parts(db.conn) == BOTH
    before = purchases_frame(db)
    total, n = before.get_column("amount").sum(), before.height  # +1.00 each below
    with db.conn:
        db.conn.execute("UPDATE orders SET amount_minor = amount_minor + 100")
    assert cs.current_parts(db.conn) == set()  # dropped by the write
    db.conn.execute("BEGIN")  # in a transaction a reader does not rebuild: it reads SQL
    assert purchases_frame(db).get_column("amount").sum() == pytest.approx(total + n)
    db.conn.execute("ROLLBACK")
    assert purchases_frame(db).get_column("amount").sum() == pytest.approx(total + n)
    assert cs.current_parts(db.conn) == {cs.ORDERS}  # that read rebuilt the part it needs
    with db.conn:
        db.conn.execute("DELETE FROM orders WHERE rowid = (SELECT max(rowid) FROM orders)")
    assert cs.current_parts(db.conn) == set()
    every_reader_agrees(db)


def test_a_stale_stamp_is_not_used(db) -> None:
    """Without the triggers (a file written by other software), the stamp still moves with
    every new order and every import or undo."""
    import_file(db, fixture("stripe_payments_jan_jun.csv"))
    with db.conn:
        for (name,) in db.conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'column%'"
        ).fetchall():
            db.conn.execute(f"DROP TRIGGER {name}")
        db.conn.execute(
            "INSERT INTO orders (source, order_id, customer_key, ordered_at, ordered_at_raw,"
            " amount_minor, currency, status, is_purchase, import_id) SELECT source, 'new',"
            " customer_key, ordered_at, ordered_at_raw, 999, currency, status, 1, import_id"
            " FROM orders LIMIT 1"
        )
    assert cs.current_parts(db.conn) == set()
    db.conn.execute("BEGIN")
    assert cs.load(db, cs.ORDERS, ["rowid"]) is None
    assert 9.99 in purchases_frame(db).get_column("amount").to_list()
    db.conn.execute("ROLLBACK")


def test_a_failed_import_leaves_the_snapshot_as_it_was(db, tmp_path, monkeypatch) -> None:
    import clvtui.store.orders as orders

    import_file(db, fixture("lines/shopify_lines.csv"))
    before = db.conn.execute("SELECT * FROM column_snapshots ORDER BY part, name").fetchall()

    def broken(*args: Any, **kwargs: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(orders, "_finish_import_row", broken)
    with pytest.raises(OSError):
        import_file(db, fixture("lines/woocommerce_lines.csv"))
    assert (
        db.conn.execute("SELECT * FROM column_snapshots ORDER BY part, name").fetchall() == before
    )
    triggers = db.conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'trigger'"
                               " AND name LIKE 'column_snapshot_%'").fetchone()[0]  # fmt: skip
    assert triggers == 6  # lifted in the import's transaction: back with its rollback
    assert cs.current_parts(db.conn) == BOTH


def test_a_read_only_database_reads_the_tables(tmp_path) -> None:
    path = tmp_path / "clv.db"
    db = open_db(path)
    import_file(db, fixture("stripe_payments_jan_jun.csv"))
    want = purchases_frame(db)
    with db.conn:
        db.conn.execute("DELETE FROM column_snapshots")
    db.close()
    ro = open_db(path, readonly=True)
    assert purchases_frame(ro).equals(want)
    assert cs.current_parts(ro.conn) == set()  # never written by a read-only open


def _written(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


order = st.tuples(
    st.sampled_from(["o1", "o2", "o3", "o4", "o5"]),  # the same order may come again, changed
    st.sampled_from(["2024-01-02", "2024-02-03", "2024-03-04"]),
    st.sampled_from(["c1", "c2", "c3", ""]),
    st.sampled_from(["a@x.com", "b@x.com", ""]),
    st.sampled_from(["10.00", "0.00", "3.50"]),
    st.sampled_from(["USD", "EUR"]),
)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(imports=st.lists(st.lists(order, min_size=1, max_size=5, unique_by=lambda r: r[0]),
                        min_size=1, max_size=3), undo=st.booleans())  # fmt: skip
def test_random_imports_read_the_same(tmp_path_factory, imports, undo) -> None:
    tmp = tmp_path_factory.mktemp("r")
    db = open_db(tmp / "c.db")
    ids = []
    for n, rows in enumerate(imports):
        rows = [r for r in rows if r[2] or r[3]]
        if not rows:
            continue
        lines = ["order_id,customer_id,email,order_date,total,currency"]
        lines += [f"{o},{c},{e},{d},{t},{cur}" for o, d, c, e, t, cur in rows]
        path = _written(tmp / f"{n}.csv", "\n".join(lines) + "\n")
        ids.append(import_file(db, path, fmt="generic").import_id)
    if undo and ids:
        undo_import(db, ids[-1])
    try:
        purchases_frame(db)
    except NoDataError:
        with pytest.raises(NoDataError):
            the_long_way(db, purchases_frame)
        return
    every_reader_agrees(db, until="2024-02-03")


def test_a_reader_never_waits_for_a_writer_to_rebuild(tmp_path) -> None:
    import sqlite3
    import time

    path = tmp_path / "clv.db"
    db = open_db(path)
    import_file(db, fixture("stripe_payments_jan_jun.csv"))
    want = purchases_frame(db)
    with db.conn:
        db.conn.execute("DELETE FROM column_snapshots")
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # another command is writing
    try:
        db.conn.execute("PRAGMA busy_timeout = 5000")
        started = time.monotonic()
        assert purchases_frame(db).equals(want)  # from the tables, at once
        assert time.monotonic() - started < 2
        assert db.conn.execute("PRAGMA busy_timeout").fetchone()[0] == 5000
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert cs.current_parts(db.conn) == set()  # not rebuilt: the lock was taken


def test_lines_of_the_older_layout_are_read_then_rebuilt(tmp_path) -> None:
    """A lines part written before the product names were dictionary-encoded (text, stamped
    without the layout): a read-only reader still uses it, a writer rebuilds it."""
    path = tmp_path / "clv.db"
    db = open_db(path)
    import_file(db, fixture("lines/shopify_lines.csv"))
    import_file(db, fixture("lines/woocommerce_lines.csv"))
    want = read_purchase_lines(db)
    old = cs.load(db, cs.LINES, ["rowid", "order_rowid", "product"])
    assert old is not None and old.schema["product"] == pl.Categorical
    with db.conn:
        cs._write(db.conn, cs.LINES, old.with_columns(pl.col("product").cast(pl.Utf8)))
        db.conn.execute(
            "UPDATE column_snapshots SET stamp = ? WHERE part = 'lines'", (cs.order_stamp(db.conn),)
        )
    assert cs.current_parts(db.conn) == {cs.ORDERS}  # stale by its layout
    db.close()
    ro = open_db(path, readonly=True)
    older = cs.load(ro, cs.LINES, ["product"])
    assert older is not None and older.schema["product"] == pl.Utf8  # used as it is
    assert read_purchase_lines(ro).equals(want)
    assert cs.current_parts(ro.conn) == {cs.ORDERS}
    ro.close()
    db = open_db(path)
    assert read_purchase_lines(db).equals(want)  # a writer rebuilt it first
    assert cs.current_parts(db.conn) == BOTH
    rebuilt = cs.load(db, cs.LINES, ["product"])
    assert rebuilt is not None and rebuilt.schema["product"] == pl.Categorical
