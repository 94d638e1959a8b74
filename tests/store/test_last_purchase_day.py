"""How far the imported data reaches (``campaign list``'s "through" day): the column
snapshot's kept order times give the day the orders table's texts give."""

from __future__ import annotations

from pathlib import Path

import pytest

from clvtui.ingest import import_file
from clvtui.store import column_snapshot, open_db
from clvtui.store.campaigns import last_purchase_day
from clvtui.store.order_times import TIME

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


@pytest.mark.parametrize(
    ("export", "day"),
    [
        ("shopify_orders.csv", "2024-05-02"),  # 15:45 +0200; the pending 05-03 is no sale
        ("paypal_activity_us.csv", "2024-07-05"),
        ("online_retail_ii.csv", "2009-12-01"),
    ],
)
def test_the_kept_times_give_the_tables_day(tmp_path: Path, export: str, day: str) -> None:
    db = open_db(tmp_path / "shop.db")
    import_file(db, FIXTURES / export)
    assert column_snapshot.holds(db, column_snapshot.ORDERS, TIME)  # the fast path is taken
    fast = last_purchase_day(db)
    db.conn.execute("DELETE FROM column_snapshots")  # the table's answer
    db.conn.commit()
    assert fast == last_purchase_day(db) == day


def test_no_purchase_no_day(tmp_path: Path) -> None:
    db = open_db(tmp_path / "shop.db")
    assert last_purchase_day(db) is None
