"""Each format's cost columns land in orders as magnitudes in minor units (NULL when absent)."""

from __future__ import annotations

from pathlib import Path

from clvtui.ingest.importer import import_file
from tests.ingest.conftest import orders

PAYPAL = (
    '"Date","Time","TimeZone","Name","Type","Status","Currency","Gross","Fee","Net",'
    '"From Email Address","Transaction ID","Shipping and Handling Amount","Reference Txn ID",'
    '"Balance Impact"\n'
    '"01/15/2024","10:00:00","PST","pat","Express Checkout Payment","Completed","USD",'
    '"1,250.00","-36.55","1,213.45","pat@example.com","TXA","12.50","","Credit"\n'
)
SQUARE = (
    "Date,Time,Time Zone,Gross Sales,Discounts,Net Sales,Tax,Partial Refunds,Total Collected,"
    "Fees,Transaction ID,Event Type,Customer ID,Transaction Status\n"
    "2026-07-18,12:59:30,Pacific Time (US & Canada),$30.00,-$4.50,$25.50,$0.00,$0.00,$25.50,"
    "-$0.95,TX1,Payment,SQC7,Complete\n"
)
ETSY = (
    "Sale Date,Order ID,Buyer User ID,Currency,Order Value,Coupon Code,Discount Amount,"
    "Shipping,Sales Tax,Order Total,Status,Card Processing Fees,Adjusted Order Total\n"
    "03/01/24,3001,111,USD,20.00,SPRING,2.00,4.50,0.00,22.50,Completed,0.93,\n"
)
WOO = (
    "order_id,order_date,status,shipping_total,discount_total,order_total,order_currency,"
    "customer_email\n"
    "201,3/5/2024 14:22:10,wc-completed,4.90,5.00,45.00,EUR,jo@example.com\n"
)


def _one(tmp_path: Path, db, name: str, text: str, source: str) -> tuple:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    import_file(db, path)
    (row,) = orders(db, source).values()
    return row["discount_minor"], row["shipping_minor"], row["fee_minor"]


def test_paypal_fee_is_stored_as_a_positive_cost(tmp_path: Path, db) -> None:
    assert _one(tmp_path, db, "pp.csv", PAYPAL, "paypal") == (None, 1250, 3655)


def test_square_discounts_and_fees(tmp_path: Path, db) -> None:
    assert _one(tmp_path, db, "sq.csv", SQUARE, "square") == (450, None, 95)


def test_etsy_discount_shipping_and_card_fees(tmp_path: Path, db) -> None:
    assert _one(tmp_path, db, "EtsySoldOrders.csv", ETSY, "etsy") == (200, 450, 93)


def test_woocommerce_shipping_and_discount_totals(tmp_path: Path, db) -> None:
    assert _one(tmp_path, db, "woo.csv", WOO, "woocommerce") == (500, 490, None)
