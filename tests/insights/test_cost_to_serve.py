"""Cost to serve from real exports: fees, refunds, discounts and shipping, hand-computed."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import sqlite_utils

from clvtui.errors import NoDataError
from clvtui.ingest.importer import import_file
from clvtui.insights.cost_to_serve import K_ORDERS
from clvtui.services.costs import cost_report
from clvtui.settings import Settings
from clvtui.shop_costs import customer_costs
from clvtui.store import column_snapshot, open_db
from clvtui.store.costs import has_cost_columns, has_cost_data

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "costs"


@pytest.fixture
def db(tmp_path: Path) -> sqlite_utils.Database:
    return open_db(tmp_path / "clv.db")


def _by_id(frame) -> dict[str, dict]:
    return {r["customer_id"]: r for r in frame.to_dicts()}


def test_stripe_fees_and_refunds_give_the_hand_computed_cost(db) -> None:
    import_file(db, FIXTURES / "stripe_fees.csv")
    stored = {r["order_id"]: r["fee_minor"] for r in db.query("SELECT * FROM orders")}
    assert stored == {"ch_1": 320, "ch_2": 175, "ch_3": 146, "ch_4": 88, "ch_5": 117,
                      "ch_6": 317}  # fmt: skip
    customers, shop = customer_costs(db, "USD", None, Settings(margin=0.05))
    rows = _by_id(customers)
    a, b, c = rows["stripe:cus_A"], rows["stripe:cus_B"], rows["stripe:cus_C"]
    # A: 2 purchases; the refunded-in-full ch_3 still cost its fee: (3.20 + 1.75 + 1.46) / 2
    assert a["purchases"] == 2 and a["own_cost"] == pytest.approx(6.41 / 2, abs=1e-9)
    assert a["refund_rate"] == pytest.approx(40 / 190, abs=1e-9)
    assert b["refund_rate"] == pytest.approx(0.5, abs=1e-9)
    # the failed ch_6 never cost anything
    assert c["own_cost"] == pytest.approx(1.17, abs=1e-9)
    assert shop == pytest.approx(8.46 / 4, abs=1e-9)
    # shrunk: (cost + K·shop) / (n + K), K = 5
    assert K_ORDERS == 5
    assert a["cost_per_order"] == pytest.approx((6.41 + 5 * 2.115) / 7, abs=1e-9)
    assert b["cost_per_order"] == pytest.approx((0.88 + 5 * 2.115) / 6, abs=1e-9)


def test_customers_who_cost_more_than_they_bring_with_the_reason(db) -> None:
    import_file(db, FIXTURES / "stripe_fees.csv")
    doc = cost_report(db, settings=Settings(margin=0.05))
    assert doc["currency"] == "USD" and doc["cost_columns"] and doc["used_by_fit"]
    assert doc["per_purchase"]["fees"] == pytest.approx(2.115, abs=1e-9)
    assert doc["refund_rate"] == pytest.approx(50 / 240, abs=1e-9)
    losing = doc["cost_more_than_they_bring"]
    # B: 5 % of 10.00 net = 0.50 against a 0.88 fee; A (1.09) and C (0.33) still bring money
    assert losing["customers"] == 1
    row = losing["list"][0]
    assert row["customer_id"] == "stripe:cus_B"
    assert row["brought"] == pytest.approx(0.05 * 10 - 0.88, abs=1e-9)
    assert row["reasons"].startswith("refunds (50% of what they paid)")


def test_shopify_discounts_and_free_shipping(db) -> None:
    import_file(db, FIXTURES / "shopify_discounts.csv")
    stored = {r["order_id"]: (r["discount_minor"], r["shipping_minor"], r["fee_minor"])
              for r in db.query("SELECT * FROM orders")}  # fmt: skip
    assert stored == {"9001": (500, 0, None), "9002": (300, 0, None), "9003": (0, 600, None),
                      "9004": (0, 200, None)}  # fmt: skip
    settings = Settings(margin=0.4, shipping_cost=5.0)
    customers, shop = customer_costs(db, "EUR", None, settings)
    rows = _by_id(customers)
    d, e = rows["shopify:d@example.com"], rows["shopify:e@example.com"]
    # d: two free-shipping orders (5 + 5 uncovered) and (1 − 40 %) of 8.00 discounts
    assert d["cost"] == pytest.approx(10 + 0.6 * 8, abs=1e-9)
    # e: 6.00 charged covers the 5.00; 2.00 leaves 3.00 uncovered; no discount
    assert e["cost"] == pytest.approx(3.0, abs=1e-9)
    assert shop == pytest.approx((14.8 + 3.0) / 4, abs=1e-9)
    doc = cost_report(db, settings=settings)
    losing = doc["cost_more_than_they_bring"]["list"]
    assert [r["customer_id"] for r in losing] == ["shopify:d@example.com"]
    assert losing[0]["brought"] == pytest.approx(0.4 * 24 - 14.8, abs=1e-9)
    assert "discount-only buying" in losing[0]["reasons"]
    assert "free or under-charged shipping (10.00 uncovered)" in losing[0]["reasons"]


def test_flat_cost_is_added_and_revenue_fits_have_no_costs(db) -> None:
    import_file(db, FIXTURES / "shopify_discounts.csv")
    customers, _ = customer_costs(db, "EUR", None, Settings(shipping_cost=5.0))
    e = _by_id(customers)["shopify:e@example.com"]
    assert e["cost"] == pytest.approx(3.0, abs=1e-9)  # no margin: discounts cost nothing here
    with_flat, shop = customer_costs(db, "EUR", None, Settings(margin=0.4, cost_per_order=1.0))
    e = _by_id(with_flat)["shopify:e@example.com"]
    assert e["cost_per_order"] == pytest.approx((0.0 + 5 * shop) / 7 + 1.0, abs=1e-9)


def test_no_cost_columns_costs_nothing(db) -> None:
    import_file(db, Path(__file__).resolve().parents[2] / "fixtures" / "generic_orders.csv")
    assert not has_cost_columns(db)


def test_the_currency_is_chosen_as_before_without_counting_one_currency_shops(db) -> None:
    import_file(db, FIXTURES / "stripe_fees.csv")  # USD only: the imports log says so
    assert cost_report(db, settings=Settings(margin=0.05))["currency"] == "USD"
    assert cost_report(db, "usd", settings=Settings(margin=0.05))["purchases"] == 4
    with pytest.raises(NoDataError, match="no purchases in EUR; the database holds USD"):
        cost_report(db, "EUR", settings=Settings(margin=0.05))
    import_file(db, FIXTURES / "shopify_discounts.csv")  # EUR: 4 purchases against USD's 4
    assert cost_report(db, settings=Settings(margin=0.05))["currency"] == "EUR"  # tie: by code
    assert cost_report(db, "USD", settings=Settings(margin=0.05))["purchases"] == 4


def test_a_currency_without_purchases_says_so(tmp_path: Path) -> None:
    csv = tmp_path / "failed.csv"
    csv.write_text(
        "id,Created date (UTC),Amount,Amount Refunded,Currency,Captured,Fee,Status,Customer ID\n"
        "ch_9,2024-01-05 10:00:00,10.00,0.00,usd,false,0.30,Failed,cus_Z\n"
    )
    db = open_db(tmp_path / "clv.db")
    import_file(db, csv)
    with pytest.raises(NoDataError, match="no purchases with a customer in the database"):
        cost_report(db, settings=Settings(margin=0.05))


def test_cost_data_is_found_in_any_cost_column_and_not_in_empty_ones(db, tmp_path: Path) -> None:
    """From the snapshot's cost columns, one at a time: the fee column is empty in this
    export, its discounts and shipping are not; an export whose cost columns are all empty
    maps them but holds no cost."""
    import_file(db, FIXTURES / "shopify_discounts.csv")
    assert has_cost_columns(db) and has_cost_data(db)
    with (FIXTURES / "shopify_discounts.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        row["Discount Amount"] = row["Discount Code"] = row["Shipping"] = ""
    empty = tmp_path / "no_costs.csv"
    with empty.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    other = open_db(tmp_path / "empty.db")
    import_file(other, empty)
    assert column_snapshot.ORDERS in column_snapshot.current_parts(other.conn)  # answers
    assert has_cost_columns(other) and not has_cost_data(other)
    assert cost_report(other, settings=Settings(margin=0.4))["cost_columns"] is False
