"""The order times kept in the orders snapshot (``store.order_times``): the fit's shop is the
same whether its times come from them, from the stored text (an older snapshot) or from SQL.

Real files: the 2,000-customer demo (tests/conftest.py) copied per test, read in-process.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from clvtui.ingest import import_file
from clvtui.shop import Shop, read_shop
from clvtui.store import column_snapshot, open_db
from clvtui.store.history import undo_import
from clvtui.store.order_times import TIME, parsed, with_times
from tests.dbfiles import private_copy
from tests.store.conftest import FIXTURES


def _shop(path: Path, holdout: int | None, as_of: object = None, readonly: bool = False) -> Shop:
    db = open_db(path, readonly=readonly)
    try:
        return read_shop(db, as_of, holdout, None, [], lambda _s, _f: None)  # type: ignore[arg-type]
    finally:
        db.conn.close()


def _same(a: Shop, b: Shop, coded: bool = True) -> None:
    """Equal shops (``coded``: both read with customer codes; SQL reads none)."""
    codes = [] if coded else ["customer_code"]
    orders_a, orders_b = (s.orders.drop(codes, strict=False) for s in (a, b))
    assert orders_a.equals(orders_b) and orders_a.schema == orders_b.schema
    assert a.summary.equals(b.summary) and a.summary.schema == b.summary.schema
    assert a.shop_days.outliers.equals(b.shop_days.outliers)
    assert np.array_equal(a.shop_days.second_gaps, b.shop_days.second_gaps)
    assert np.array_equal(a.m, b.m)
    assert (a.end, a.cal_end, a.currency) == (b.end, b.cal_end, b.currency)
    cal_a, cal_b = a.shop_days.calibration, b.shop_days.calibration
    assert (cal_a is None and cal_b is None) or (cal_a is not None and cal_a.equals(cal_b))
    weekly_a, weekly_b = a.shop_days.holdout_weekly, b.shop_days.holdout_weekly
    assert (weekly_a is None) == (weekly_b is None)
    if weekly_a is not None:
        assert np.array_equal(weekly_a, weekly_b)


def _drop(path: Path, where: str) -> None:
    conn = sqlite3.connect(path)
    with conn:
        conn.execute(f"DELETE FROM column_snapshots WHERE {where}")
    conn.close()


def _stored_times(path: Path) -> pl.DataFrame:
    db = open_db(path)
    frame = column_snapshot.load(db, column_snapshot.ORDERS, ["ordered_at", TIME])
    db.conn.close()
    assert frame is not None
    return frame


@pytest.mark.parametrize(("holdout", "back_days"), [(None, 0), (13, 0), (None, 60)])
def test_the_shop_is_the_same_from_kept_times_text_and_sql(
    demo_2000: Path, tmp_path: Path, holdout: int | None, back_days: int
) -> None:
    path = private_copy(demo_2000, tmp_path)
    first = _shop(path, holdout)
    as_of = first.end - timedelta(days=back_days) if back_days else None
    timed = _shop(path, holdout, as_of) if as_of else first
    assert column_snapshot.holds(open_db(path), column_snapshot.ORDERS, TIME)
    assert timed.summary.height > 1_000 and timed.orders["ordered_at"].max().date() <= timed.end

    _drop(path, f"part = 'orders' AND name = '{TIME}'")  # as a build before the times wrote it
    _same(timed, _shop(path, holdout, as_of, readonly=True))  # parses the stored text
    _drop(path, "1")  # no snapshot at all: SQL
    from_sql = _shop(path, holdout, as_of, readonly=True)
    assert "customer_code" not in from_sql.orders.columns
    _same(timed, from_sql, coded=False)


def test_an_older_orders_part_gets_its_times_on_the_next_read(
    demo_2000: Path, tmp_path: Path
) -> None:
    path = private_copy(demo_2000, tmp_path)
    _shop(path, None)
    kept = _stored_times(path)
    _drop(path, f"part = 'orders' AND name = '{TIME}'")
    assert not column_snapshot.holds(open_db(path, readonly=True), column_snapshot.ORDERS, TIME)
    _shop(path, None)  # a connection that may write adds them (the rows are the same)
    assert _stored_times(path).equals(kept)
    assert kept[TIME].null_count() == 0
    assert kept[TIME].equals(parsed(kept["ordered_at"]))


def test_imports_and_undos_keep_the_times_of_every_order(demo_2000: Path, tmp_path: Path) -> None:
    path = private_copy(demo_2000, tmp_path)
    before = _stored_times(path)
    db = open_db(path)
    result = import_file(db, FIXTURES / "stripe_payments_jan_jun.csv")
    db.conn.close()
    after = _stored_times(path)  # the import's orders merged in
    assert after.height > before.height
    assert after[TIME].equals(parsed(after["ordered_at"]))
    db = open_db(path)
    undo_import(db, result.import_id)  # type: ignore[attr-defined]
    db.conn.close()
    assert _stored_times(path).equals(before)  # rebuilt from the tables


def test_a_time_that_does_not_parse_leaves_the_text_to_the_reader() -> None:
    orders = pl.DataFrame({"ordered_at": ["2024-01-02T03:04:05Z", "2024-01-02 03:04"]})
    assert TIME not in with_times(orders).columns
    good = pl.DataFrame({"ordered_at": ["1970-01-01T00:00:01Z", "2024-01-02T03:04:05Z"]})
    assert with_times(good)[TIME].to_list() == [1_000_000, 1_704_164_645_000_000]


def _read_all_ways(path: Path, **kw: object) -> list[pl.DataFrame | str]:
    """``purchases_frame`` (or its one-line refusal) from the kept times, the stored text and
    SQL, in that order."""
    from clvtui.errors import NoDataError
    from clvtui.store.reads import purchases_frame

    out: list[pl.DataFrame | str] = []
    for drop in (None, f"part = 'orders' AND name = '{TIME}'", "1"):
        if drop:
            _drop(path, drop)
        db = open_db(path, readonly=drop is not None)
        assert column_snapshot.holds(db, column_snapshot.ORDERS, TIME) == (drop is None)
        try:
            out.append(purchases_frame(db, **kw))  # type: ignore[arg-type]
        except NoDataError as e:
            out.append(str(e))
        db.conn.close()
    return out


@pytest.mark.parametrize(
    ("until", "currency"),
    [("2024-01-04", None), ("2024-01-09", None), ("2024-01-09", "eur"), ("2023-12-31", None),
     (None, "JPY")],
)  # fmt: skip
def test_as_of_and_currency_choice_are_the_same_from_kept_times(
    tmp_path: Path, until: str | None, currency: str | None
) -> None:
    """USD leads up to 01-04, EUR after; a day before any order gives nothing, and a currency
    never held is refused in the same words, every way."""
    from tests.store.test_purchase_currency import _generic

    rows = [("O1", "a", "2024-01-02", "USD"), ("O2", "b", "2024-01-03", "USD"),
            ("O3", "a", "2024-01-04", "EUR"), ("O4", "c", "2024-01-06", "EUR"),
            ("O5", "b", "2024-01-08", "EUR"), ("O6", "c", "2024-01-10", "USD")]  # fmt: skip
    db = open_db(tmp_path / "shop.db")
    import_file(db, _generic(tmp_path / "orders.csv", rows), fmt="generic")
    db.conn.close()
    timed, text, sql = _read_all_ways(tmp_path / "shop.db", until=until, currency=currency)
    if isinstance(timed, str):
        assert timed == text == sql and ("no purchases" in timed)
        return
    assert isinstance(text, pl.DataFrame) and isinstance(sql, pl.DataFrame)
    assert timed.equals(text.drop("customer_code", strict=False))
    assert timed.equals(sql)
    if until == "2023-12-31":  # nothing by then: an empty frame (the fit then says so)
        assert timed.height == 0
        return
    want = {"2024-01-04": "USD", "2024-01-09": "EUR"}[until or ""]
    assert timed["currency"].unique().to_list() == [currency.upper() if currency else want]
    assert timed["ordered_at"].max() <= datetime.fromisoformat(f"{until}T23:59:59+00:00")
