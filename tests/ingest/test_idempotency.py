"""Re-imports: same file adds nothing, overlapping exports give the union, refunds update."""

from __future__ import annotations

import hashlib

import pytest

from clvtui.errors import InputError
from clvtui.ingest import import_file
from tests.ingest.conftest import dump, fixture, orders

ALL = [
    "shopify_orders.csv", "stripe_payments_jan_jun.csv", "woocommerce_orders.csv",
    "EtsySoldOrders2024-3.csv", "square_items.csv", "paypal_activity_us.csv",
    "online_retail.xlsx", "online_retail_ii.csv", "generic_orders.csv", "generic_with_ids.csv",
]  # fmt: skip


@pytest.mark.parametrize("name", ALL)
def test_same_file_twice_adds_nothing(db, name: str) -> None:
    first = import_file(db, fixture(name))
    before = dump(db)
    second = import_file(db, fixture(name))
    assert (second.orders_new, second.orders_updated) == (0, 0)
    assert second.orders_unchanged == first.orders_new
    after = dump(db)
    assert after["orders"] == before["orders"]
    assert after["customers"] == before["customers"]
    assert len(after["imports"]) == 2  # the second import is recorded, with its counts


def test_overlapping_exports_union_and_refund_update(db) -> None:
    import_file(db, fixture("stripe_payments_jan_jun.csv"))
    report = import_file(db, fixture("stripe_payments_apr_sep.csv"))
    assert (report.orders_new, report.orders_updated, report.orders_unchanged) == (2, 1, 3)
    stored = orders(db)
    assert sorted(stored) == [f"ch_0{i}" for i in range(1, 10)]
    refunded = stored["ch_05"]
    assert (refunded["refunded_minor"], refunded["status"], refunded["is_purchase"]) == (
        6000, "refunded", 0)  # fmt: skip
    assert refunded["import_id"] == 1 and refunded["updated_import_id"] == 2
    assert stored["ch_01"]["updated_import_id"] is None
    imports = list(db.query("SELECT orders_new, orders_updated, orders_unchanged FROM imports"))
    assert imports[1] == {"orders_new": 2, "orders_updated": 1, "orders_unchanged": 3}


def test_an_older_export_imported_later_keeps_the_newer_refund(db) -> None:
    """The refund in the newer export stays: the older file was made before it happened."""
    import_file(db, fixture("stripe_payments_apr_sep.csv"))
    report = import_file(db, fixture("stripe_payments_jan_jun.csv"))
    refunded = orders(db)["ch_05"]
    assert (refunded["refunded_minor"], refunded["status"], refunded["is_purchase"]) == (
        6000, "refunded", 0)  # fmt: skip
    assert report.orders_updated == 0  # nothing in the older file is newer than what is stored


def test_customers_keep_earliest_first_order_across_imports(db) -> None:
    import_file(db, fixture("stripe_payments_apr_sep.csv"))
    assert db["customers"].get("stripe:cus_A")["first_order_at"] == "2024-07-04T07:00:00Z"
    import_file(db, fixture("stripe_payments_jan_jun.csv"))  # older export imported later
    assert db["customers"].get("stripe:cus_A")["first_order_at"] == "2024-01-05T12:00:00Z"


def test_orphan_refund_applies_once_the_original_is_stored(db, tmp_path) -> None:
    """A PayPal refund whose payment came in an earlier export updates that order, once."""
    header = fixture("paypal_activity_us.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    cols = header.count(",") + 1

    def line(values: dict[int, str]) -> str:
        return ",".join(f'"{values.get(i, "")}"' for i in range(cols))

    # Date, Time, TimeZone, Name, Type, Status, Currency, Gross ... Transaction ID (12),
    # Reference Txn ID (24), Balance Impact (40)
    pay = line(
        {
            0: "01/02/2024",
            1: "10:00:00",
            2: "PST",
            4: "Website Payment",
            5: "Completed",
            6: "USD",
            7: "50.00",
            10: "u@example.com",
            12: "P1",
            40: "Credit",
        }
    )
    ref = line(
        {
            0: "02/02/2024",
            1: "10:00:00",
            2: "PST",
            4: "Payment Refund",
            5: "Completed",
            6: "USD",
            7: "-20.00",
            10: "u@example.com",
            12: "R1",
            24: "P1",
            40: "Debit",
        }
    )
    jan, feb = tmp_path / "jan.csv", tmp_path / "feb.csv"
    jan.write_text(header + "\n" + pay + "\n")
    feb.write_text(header + "\n" + ref + "\n")
    import_file(db, jan)
    report = import_file(db, feb)
    assert report.refunds_applied == 1 and report.rows_rejected == 0
    assert orders(db)["P1"]["refunded_minor"] == 2000
    assert orders(db)["P1"]["status"] == "partially_refunded"
    again = import_file(db, feb)
    assert again.refunds_applied == 0
    assert orders(db)["P1"]["refunded_minor"] == 2000  # never subtracted twice


def _file_digest(db) -> str:
    db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return hashlib.sha256(
        open(db.conn.execute("PRAGMA database_list").fetchone()[2], "rb").read()
    ).hexdigest()


def test_failed_import_leaves_database_unchanged(db) -> None:
    """An error mid-write (here: Ctrl-C while orders stream in) rolls everything back."""
    import_file(db, fixture("stripe_payments_jan_jun.csv"))
    before, digest = dump(db), _file_digest(db)

    def interrupt(done: int, total: int | None) -> None:
        if total is not None:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        import_file(db, fixture("stripe_payments_apr_sep.csv"), progress=interrupt)
    assert dump(db) == before
    assert _file_digest(db) == digest


@pytest.mark.parametrize(
    "name",
    [
        "broken_empty.csv",
        "broken_binary.csv",
        "broken_all_bad.csv",
        "broken_missing_amount.csv",
        "broken_header_only.csv",
    ],
)
def test_bad_file_writes_nothing(db, name: str) -> None:
    import_file(db, fixture("generic_orders.csv"))
    before, digest = dump(db), _file_digest(db)
    with pytest.raises(InputError):
        import_file(db, fixture(name))
    assert dump(db) == before
    assert _file_digest(db) == digest


def test_interrupted_first_import_restores_indexes(db) -> None:
    """The first import drops and rebuilds the orders indexes; a failure must restore them."""
    before, digest = dump(db), _file_digest(db)
    schema = db.execute("SELECT name, sql FROM sqlite_master ORDER BY name").fetchall()

    def interrupt(done: int, total: int | None) -> None:
        if total is not None:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        import_file(db, fixture("shopify_orders.csv"), progress=interrupt)
    assert db.execute("SELECT name, sql FROM sqlite_master ORDER BY name").fetchall() == schema
    assert dump(db) == before
    assert _file_digest(db) == digest


@pytest.mark.parametrize("name", ["shopify_orders.csv", "paypal_activity_us.csv"])
def test_reimport_after_another_import_uses_the_upsert(db, name: str) -> None:
    """Not the latest import any more: the staged upsert runs and still changes nothing."""
    first = import_file(db, fixture(name))
    import_file(db, fixture("generic_orders.csv"))
    before = dump(db)
    again = import_file(db, fixture(name))
    assert (again.orders_new, again.orders_updated, again.orders_unchanged) == (
        0, 0, first.orders_new)  # fmt: skip
    after = dump(db)
    assert after["orders"] == before["orders"] and after["customers"] == before["customers"]
    assert again.rows_rejected == first.rows_rejected


def test_repeat_of_latest_import_is_recorded(db) -> None:
    first = import_file(db, fixture("square_items.csv"))
    again = import_file(db, fixture("square_items.csv"))
    assert (again.orders_new, again.orders_updated, again.orders_unchanged) == (0, 0, 3)
    assert again.rows_rejected == first.rows_rejected == 2
    rows = list(db.query("SELECT import_id, count(*) AS n FROM rejects GROUP BY 1"))
    assert rows == [{"import_id": 1, "n": 2}, {"import_id": 2, "n": 2}]
