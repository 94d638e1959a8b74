"""Order lines from every format that carries them, and their idempotency and undo."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlite_utils

from clvtui.errors import ClvError
from clvtui.ingest import import_file
from clvtui.store import open_db
from clvtui.store.history import undo_import
from tests.ingest.conftest import dump, fixture


@pytest.fixture
def db(tmp_path: Path) -> sqlite_utils.Database:
    return open_db(tmp_path / "clv.db")


def lines(db: sqlite_utils.Database) -> list[tuple]:
    """(order_id, line_no, product_id, product, quantity, amount_minor, currency), in order."""
    return db.conn.execute(
        "SELECT order_id, line_no, product_id, product, quantity, amount_minor, currency"
        " FROM order_lines ORDER BY order_id, line_no"
    ).fetchall()


def state(db: sqlite_utils.Database) -> dict[str, list[tuple]]:
    return {t: rows for t, rows in dump(db).items() if t != "imports"}


def test_shopify_lineitem_rows_become_lines_of_the_order_keyed_by_id(db) -> None:
    report = import_file(db, fixture("lines/shopify_lines.csv"))
    assert (report.orders, report.lines_new) == (3, 5)
    assert lines(db) == [
        ("7001", 1, "BEAN-1", "Espresso beans 1kg", 2.0, 3000, "EUR"),  # 2 × 15.00
        ("7001", 2, "TMP", "Tamper", 1.0, 1150, "EUR"),  # second row: order fields empty
        ("7002", 1, "FIL-100", "Paper filters", 3.0, 990, "EUR"),
        ("7003", 1, "BEAN-1", "Espresso beans 1kg", 1.0, 1500, "EUR"),
        ("7003", 2, None, "Cleaning tablets", 1.0, 700, "EUR"),  # no SKU: name only
    ]


def test_woocommerce_line_item_cells_parse_name_id_quantity_and_total(db) -> None:
    report = import_file(db, fixture("lines/woocommerce_lines.csv"))
    assert report.lines_new == 4
    assert lines(db) == [
        ("301", 1, "CC-9", "Café Crème", 2.0, 2500, "EUR"),  # sku wins over product_id
        ("301", 2, "12", "Milk jug", 1.0, 750, "EUR"),  # decimal comma like the totals
        ("302", 1, "12", "Milk jug", 1.0, 1200, "EUR"),
        ("303", 1, "40", "Sample", 1.0, 500, "EUR"),  # a failed order keeps its lines
    ]


def test_square_items_are_lines_with_tax_and_the_transactions_file_has_none(db, tmp_path) -> None:
    import_file(db, fixture("square_items.csv"))
    got = lines(db)
    assert got[:3] == [
        ("T1", 1, None, "Latte", 1.0, 114995, "USD"),  # $1,149.00 net + $0.95 tax
        ("T1", 2, None, "Bagel", 1.0, 300, "USD"),
        ("T2", 1, None, "Tea", 2.0, 3362, "USD"),
    ]
    # line amounts add up to the stored order totals
    for order_id, total in db.conn.execute("SELECT order_id, amount_minor FROM orders"):
        assert sum(r[5] for r in got if r[0] == order_id) == total
    report = import_file(open_db(tmp_path / "other.db"), fixture("square_transactions.csv"))
    assert report.lines_new == 0


def test_paypal_item_title_is_the_line_and_refunds_add_none(db) -> None:
    report = import_file(db, fixture("lines/paypal_items.csv"))
    assert report.lines_new == 3
    assert lines(db) == [
        ("PP1", 1, "BOWL-1", "Handmade bowl", 1.0, 4500, "USD"),
        ("PP2", 1, "TBL-9", "Dining table", 1.0, 125000, "USD"),  # "1,250.00"
        ("PP3", 1, None, "Glaze kit", 2.0, 3000, "USD"),
    ]


def test_online_retail_lines_leave_postage_and_fees_out(db, tmp_path) -> None:
    path = tmp_path / "uci.csv"
    path.write_text(
        "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
        "536365,85123A,WHITE HANGING HEART,6,12/1/2010 8:26,2.55,17850.0,United Kingdom\n"
        "536365,POST,POSTAGE,1,12/1/2010 8:26,18.00,17850.0,United Kingdom\n"
        "536365,71053,WHITE METAL LANTERN,6,12/1/2010 8:26,3.39,17850.0,United Kingdom\n"
        "536366,M,Manual,1,12/1/2010 8:28,5.00,17850.0,United Kingdom\n"
        "536366,22633,HAND WARMER UNION JACK,3,12/1/2010 8:28,1.85,17850.0,United Kingdom\n",
        encoding="utf-8",
    )
    report = import_file(db, path)
    assert report.lines_new == 3
    assert lines(db) == [
        ("536365", 1, "85123A", "WHITE HANGING HEART", 6.0, 1530, "GBP"),
        ("536365", 2, "71053", "WHITE METAL LANTERN", 6.0, 2034, "GBP"),
        ("536366", 1, "22633", "HAND WARMER UNION JACK", 3.0, 555, "GBP"),
    ]
    # the order total still includes postage: lines are products, not the invoice
    totals = dict(db.conn.execute("SELECT order_id, amount_minor FROM orders").fetchall())
    assert totals == {"536365": 1530 + 1800 + 2034, "536366": 500 + 555}


def test_generic_csv_rows_are_lines_and_map_names_other_columns(db, tmp_path) -> None:
    report = import_file(db, fixture("lines/products_shop.csv"))
    assert (report.orders, report.lines_new) == (10, 13)
    assert lines(db)[:2] == [
        ("o1", 1, "COF", "Coffee", 2.0, 2000, "USD"),
        ("o1", 2, "MUG", "Mug", 1.0, 850, "USD"),
    ]
    path = tmp_path / "mapped.csv"
    path.write_text(
        "customer,date,amount,Artikel,Menge\nk1,2024-01-02,10.00,Seife,2\n", encoding="utf-8"
    )
    other = open_db(tmp_path / "other.db")
    report = import_file(other, path, mapping={"product": "Artikel", "quantity": "Menge"})
    assert report.lines_new == 1
    (line,) = lines(other)
    assert line[1:] == (1, None, "Seife", 2.0, 1000, "USD")  # an order of its own, keyed by content
    assert other.conn.execute("SELECT order_id FROM orders").fetchone()[0] == line[0]


def test_formats_without_lines_store_none(db) -> None:
    for name in ("stripe_payments_jan_jun.csv", "generic_orders.csv", "EtsySoldOrders2024-3.csv"):
        report = import_file(db, fixture(name))
        assert report.lines_new == 0
    assert lines(db) == []


def test_reimport_adds_nothing_and_an_updated_order_replaces_its_lines(db, tmp_path) -> None:
    first = import_file(db, fixture("lines/shopify_lines.csv"))
    after_first = state(db)
    again = import_file(db, fixture("lines/shopify_lines.csv"))
    assert (again.lines_new, again.orders_relined) == (0, 0)
    assert state(db) == after_first
    text = fixture("lines/shopify_lines.csv").read_text(encoding="utf-8")
    changed = tmp_path / "shopify_later.csv"
    changed.write_text(
        text.replace("1,Cleaning tablets,7.00,,", "2,Descaler,3.50,DSC,"), encoding="utf-8"
    )
    later = import_file(db, changed)
    assert (later.lines_new, later.orders_relined) == (2, 1)  # order 7003's two lines
    assert lines(db)[-2:] == [
        ("7003", 1, "BEAN-1", "Espresso beans 1kg", 1.0, 1500, "EUR"),
        ("7003", 2, "DSC", "Descaler", 2.0, 700, "EUR"),
    ]
    undone = undo_import(db, later.import_id)
    assert undone["lines_removed"] == 2
    assert state(db) == after_first  # the old lines are back, exactly
    undo_import(db, first.import_id)
    assert lines(db) == []
    assert state(db) == state(open_db(tmp_path / "fresh.db"))


def test_undo_is_refused_when_a_later_import_replaced_its_lines(db, tmp_path) -> None:
    first = import_file(db, fixture("lines/shopify_lines.csv"))
    text = fixture("lines/shopify_lines.csv").read_text(encoding="utf-8")
    changed = tmp_path / "shopify_later.csv"
    changed.write_text(text.replace("Tamper,11.50,TMP", "Tamper XL,11.50,TMP"), encoding="utf-8")
    later = import_file(db, changed)
    assert later.orders_relined == 1 and later.orders_updated == 0  # only the lines changed
    with pytest.raises(ClvError, match="replaced order lines"):
        undo_import(db, first.import_id)
