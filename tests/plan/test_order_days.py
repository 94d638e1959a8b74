"""Each order's UTC day taken from the times the orders part keeps (``store.order_times``,
read by ``store.coded_purchases``): kept by imports and undos, equal to the texts' days, giving
the coded purchases of the texts for every as-of date, and not kept when a stored time would
answer the as-of test otherwise (real imports in tmp dirs)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from clvtui.ingest import import_file
from clvtui.store import column_snapshot, open_db
from clvtui.store.coded_purchases import CodedPurchases, _kept_days, coded_purchases
from clvtui.store.history import undo_import
from clvtui.store.order_times import TIME
from clvtui.store.reads import purchases_frame
from tests.plan.test_coded_purchases import _shop

UNTILS = [None, "2024-01-20", dt.date(2024, 2, 3), "2024-03-03", dt.date(2024, 3, 4), "2024-3-4"]


_DROP = "DELETE FROM column_snapshots WHERE part = 'orders' AND name = ?"
_ASIDE = "UPDATE column_snapshots SET name = ? WHERE part = 'orders' AND name = ?"


def is_current(db) -> bool:
    """Whether the orders part is current and keeps the times the days come from."""
    return stored_days(db) is not None


def stored_days(db) -> pl.Series | None:
    with db.conn:  # the read transaction the reader runs in
        parts = column_snapshot.current_parts(db.conn)
        return _kept_days(db) if column_snapshot.ORDERS in parts else None


def _read_texts(db, until) -> CodedPurchases | None:
    """The coded purchases read from the times' texts: the kept times set aside for one read."""
    with db.conn:
        db.conn.execute(_ASIDE, ("aside", TIME))
    assert not is_current(db)
    try:
        return coded_purchases(db, until=until)
    finally:  # a writable read adds the times again (``column_snapshot.prepare``): the same
        with db.conn:
            db.conn.execute(_DROP, (TIME,))
            db.conn.execute(_ASIDE, (TIME, "aside"))


def assert_same(got: CodedPurchases | None, want: CodedPurchases | None) -> None:
    assert got is not None and want is not None
    assert_frame_equal(got.frame, want.frame, check_exact=True)
    assert got.codes.tolist() == want.codes.tolist()
    assert got.people.to_list() == want.people.to_list() and got.currency == want.currency


def test_imports_keep_each_order_s_day_as_the_texts_give_it(tmp_path: Path) -> None:
    db = open_db(_shop(tmp_path))
    assert is_current(db)
    days = stored_days(db)
    times = column_snapshot.load(db, column_snapshot.ORDERS, ["ordered_at"])
    assert days is not None and times is not None and days.dtype == pl.Date
    assert days.to_list() == [dt.date.fromisoformat(t[:10]) for t in times["ordered_at"]]
    assert dt.date(2024, 3, 3) in days.to_list()  # ch_2: 23:30 UTC on the 3rd stays the 3rd
    for until in UNTILS:
        kept = coded_purchases(db, until=until)
        assert_same(kept, _read_texts(db, until))
        want = purchases_frame(db, until=until)
        assert kept is not None
        assert kept.frame["ordered_at"].to_list() == want["ordered_at"].dt.date().to_list()


def test_an_undo_makes_the_days_again(tmp_path: Path) -> None:
    db = open_db(_shop(tmp_path))
    before = stored_days(db)
    (last,) = db.conn.execute("SELECT max(id) FROM imports").fetchone()
    undo_import(db, last)  # the Stripe file
    assert is_current(db)
    after = stored_days(db)
    assert before is not None and after is not None and after.len() == before.len() - 3
    until = dt.date(2024, 2, 28)
    assert_same(coded_purchases(db, until=until), _read_texts(db, until))


@pytest.mark.parametrize("odd", ["2024-03-04T23:59:60Z", "2024-03-04Z"])
def test_a_time_the_days_would_answer_otherwise_keeps_none(tmp_path: Path, odd: str) -> None:
    db = open_db(_shop(tmp_path))
    with db.conn:  # a leap second, a stray format: as text, later than its day's end
        db.conn.execute("UPDATE orders SET ordered_at = ? WHERE order_id = 'ch_3'", (odd,))
        column_snapshot.rebuild(db)
    assert column_snapshot.ORDERS in column_snapshot.current_parts(db.conn)
    assert not is_current(db) and stored_days(db) is None
    got = coded_purchases(db, until="2024-03-04")  # the texts: ch_3 is left out
    want = purchases_frame(db, until="2024-03-04")
    assert got is not None and got.frame.height == want.height
    assert dt.date(2024, 3, 4) not in got.frame["ordered_at"].to_list()
    assert dt.date(2024, 3, 4) in coded_purchases(db, until="2024-03-05").frame["ordered_at"]


def test_an_older_database_reads_the_texts(tmp_path: Path) -> None:
    path = _shop(tmp_path)
    db = open_db(path)
    with db.conn:
        db.conn.execute(_DROP, (TIME,))
    readonly = open_db(path, readonly=True)
    assert not is_current(readonly)
    until = dt.date(2024, 3, 1)
    got = coded_purchases(readonly, until=until)
    want = purchases_frame(readonly, until=until)
    assert got is not None
    assert got.frame["ordered_at"].to_list() == want["ordered_at"].dt.date().to_list()
    import_file(db, tmp_path / "g.csv", fmt="generic")  # the next import makes them again
    assert is_current(db)
