"""The fit's currency taken from the imports log: the same orders and messages as the scan."""

from __future__ import annotations

from pathlib import Path

import pytest

from clvtui.errors import NoDataError
from clvtui.ingest import import_file
from clvtui.store import open_db
from clvtui.store.reads import purchases_frame


def _generic(path: Path, rows: list[tuple[str, str, str, str]]) -> Path:
    """(order id, customer, day, currency) → a generic CSV of 12.50 orders."""
    lines = ["order_id,customer_id,order_date,total,currency"] + [
        f"{o},{c},{day},12.50,{cur}" for o, c, day, cur in rows
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _shop(tmp_path: Path, currencies: tuple[str, ...] = ("USD", "USD", "USD")):
    db = open_db(tmp_path / "shop.db")
    rows = [(f"O{i}", f"C{i % 2}", f"2024-01-0{i + 1}", cur) for i, cur in enumerate(currencies)]
    import_file(db, _generic(tmp_path / "orders.csv", rows), fmt="generic")
    return db


def test_logged_currency_reads_the_same_orders_as_the_scan(tmp_path) -> None:
    db = _shop(tmp_path)
    from_log = purchases_frame(db)
    # an import logged before currencies were recorded: the log is incomplete, so the scan
    db.conn.execute("UPDATE imports SET currencies = NULL")
    from_scan = purchases_frame(db)
    assert from_log.equals(from_scan)
    assert from_log.height == 3 and from_log["currency"].unique().to_list() == ["USD"]
    assert from_log["amount"].to_list() == [12.5, 12.5, 12.5]


def test_logged_currency_without_purchases_says_what_the_scan_says(tmp_path) -> None:
    db = _shop(tmp_path)
    db.conn.execute("UPDATE orders SET is_purchase = 0")  # every order cancelled
    with pytest.raises(NoDataError, match=r"^no purchases with a customer in the database"):
        purchases_frame(db)
    with pytest.raises(NoDataError, match=r"^no purchases in EUR; the database holds USD$"):
        purchases_frame(_shop(tmp_path / "b", ("USD",)), currency="EUR")


def test_two_logged_currencies_are_chosen_by_the_scan(tmp_path) -> None:
    frame = purchases_frame(_shop(tmp_path, ("EUR", "USD", "EUR")))
    assert frame["currency"].unique().to_list() == ["EUR"] and frame.height == 2
