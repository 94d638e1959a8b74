"""Every format's fixture end to end: exact orders, minor units, statuses, identities, UTC."""

from __future__ import annotations

import pytest

from clvtui.ingest import FORMATS, import_file
from tests.ingest.conftest import fixture, orders


def _pick(row: dict, *keys: str) -> tuple:
    return tuple(row[k] for k in keys)


KEYS = ("customer_key", "ordered_at", "amount_minor", "refunded_minor", "currency", "status",
        "is_purchase")  # fmt: skip


def test_formats_list() -> None:
    assert FORMATS == ["shopify", "woocommerce", "etsy", "square", "stripe", "paypal",
                       "online-retail", "generic"]  # fmt: skip


def test_shopify(db) -> None:
    report = import_file(db, fixture("shopify_orders.csv"))
    assert report.format == "shopify"
    assert (report.rows_read, report.orders, report.orders_new, report.rows_rejected) == (
        14,
        9,
        9,
        2,
    )
    got = {k: _pick(v, *KEYS) for k, v in orders(db).items()}
    assert got == {
        "5001": ("shopify:alice@example.com", "2024-01-15T15:30:00Z", 5400, 0, "USD",
                 "completed", 1),
        "5002": ("shopify:bob@example.com", "2024-02-01T08:00:00Z", 114900, 14900, "USD",
                 "partially_refunded", 1),
        "5003": ("shopify:alice@example.com", "2024-03-01T12:00:00Z", 2000, 2000, "USD",
                 "refunded", 0),
        "5004": ("shopify:carol@example.com", "2024-03-05T08:00:00Z", 3550, 0, "USD",
                 "cancelled", 0),
        "5005": ("shopify:tel:+31612345678", "2024-04-11T06:30:00Z", 1800, 0, "USD",
                 "completed", 1),
        "5006": (None, "2024-04-11T10:00:00Z", 1250, 0, "USD", "completed", 1),
        "5009": ("shopify:erin@example.com", "2024-05-01T10:00:00Z", 2200, 0, "USD", "voided", 0),
        "5010": ("shopify:dave@example.com", "2024-05-02T13:45:10Z", 8997, 0, "USD",
                 "completed", 1),
        "5011": ("shopify:erin@example.com", "2024-05-03T10:00:00Z", 1500, 0, "USD", "pending", 0),
    }  # fmt: skip
    first = orders(db)["5001"]
    assert first["ordered_at_raw"] == "2024-01-15 10:30:00 -0500"
    assert (first["product"], first["discount_code"], first["channel"]) == (
        "Coffee beans", "WELCOME10", "web")  # fmt: skip
    rejects = db.query("SELECT row, reason, raw FROM rejects ORDER BY row").__iter__()
    r9, r10 = list(rejects)
    assert r9["row"] == 9 and "column 'Total'" in r9["reason"] and "'abc'" in r9["reason"]
    assert r9["raw"].startswith("#1007,dave@example.com,paid")
    assert r10["row"] == 10 and "column 'Created at'" in r10["reason"]
    assert report.without_identity == 1
    # net purchase revenue: 54 + (1149 - 149) + 18 + 12.50 + 89.97; share rounded to 6 digits
    share = 1250 / (5400 + 100000 + 1800 + 1250 + 8997)
    assert report.revenue_without_identity_share == pytest.approx(share, abs=1e-6)
    alice = db["customers"].get("shopify:alice@example.com")
    assert alice["first_order_at"] == "2024-01-15T15:30:00Z"
    assert (alice["first_product"], alice["discount_code"], alice["name"]) == (
        "Coffee beans", "WELCOME10", "Alice Adams")  # fmt: skip
    assert db["customers"].count == 6  # alice, bob, carol, phone, erin, dave


def test_stripe(db) -> None:
    report = import_file(db, fixture("stripe_payments_jan_jun.csv"))
    got = {k: _pick(v, *KEYS) for k, v in orders(db).items()}
    assert got == {
        "ch_01": ("stripe:cus_A", "2024-01-05T12:00:00Z", 2500, 0, "USD", "completed", 1),
        "ch_02": ("stripe:cus_B", "2024-02-10T08:30:00Z", 10000, 3000, "USD",
                  "partially_refunded", 1),
        "ch_03": ("stripe:cus_A", "2024-03-01T10:00:00Z", 1500, 0, "USD", "uncaptured", 0),
        "ch_04": ("stripe:cus_A", "2024-04-02T09:15:00Z", 4000, 0, "USD", "failed", 0),
        "ch_05": ("stripe:cus_C", "2024-05-20T14:00:00Z", 6000, 0, "USD", "completed", 1),
        "ch_06": ("stripe:cus_D", "2024-06-15T18:45:00Z", 1000, 0, "JPY", "completed", 1),
        "ch_07": ("stripe:guest@x.com", "2024-06-28T23:59:59Z", 1999, 0, "EUR", "completed", 1),
    }  # fmt: skip
    assert report.currencies == {"USD": 5, "EUR": 1, "JPY": 1}
    assert any("mixed currencies" in n for n in report.notes)


def test_woocommerce_cp1252_semicolon_decimal_comma(db) -> None:
    report = import_file(db, fixture("woocommerce_orders.csv"))
    assert (report.format, report.encoding, report.delimiter, report.decimal) == (
        "woocommerce", "cp1252", ";", ",")  # fmt: skip
    got = {k: _pick(v, *KEYS) for k, v in orders(db).items()}
    assert got == {
        "201": ("woocommerce:17", "2024-03-05T14:22:10Z", 123456, 0, "EUR", "completed", 1),
        "202": ("woocommerce:guest@example.fr", "2024-03-06T09:00:00Z", 4500, 1000, "EUR",
                "processing", 1),
        "203": ("woocommerce:17", "2024-03-07T10:00:00Z", 1990, 0, "EUR", "cancelled", 0),
        "204": ("woocommerce:18", "2024-03-08T11:00:00Z", 3000, 3000, "EUR", "refunded", 0),
        "205": ("woocommerce:18", "2024-03-09T12:00:00Z", 500, 0, "EUR", "on_hold", 0),
        "206": (None, "2024-03-10T13:00:00Z", 750, 0, "EUR", "failed", 0),
        "207": ("woocommerce:19", "2024-03-11T14:00:00Z", 1250, 0, "EUR", "completed", 1),
    }  # fmt: skip
    jose = db["customers"].get("woocommerce:17")
    assert (jose["name"], jose["email"], jose["first_product"], jose["discount_code"]) == (
        "José Müller", "jose@example.es", "Café Crème", "BIENVENUE")  # fmt: skip


def test_etsy_duplicates_and_adjustments(db) -> None:
    report = import_file(db, fixture("EtsySoldOrders2024-3.csv"))
    assert (report.rows_read, report.orders) == (5, 4)
    got = {k: _pick(v, *KEYS) for k, v in orders(db).items()}
    assert got == {
        "3001": ("etsy:111", "2024-03-01T00:00:00Z", 2450, 0, "USD", "completed", 1),
        "3002": ("etsy:222", "2024-03-15T00:00:00Z", 4000, 1000, "USD", "partially_refunded", 1),
        "3003": ("etsy:111", "2024-04-02T00:00:00Z", 1500, 1500, "USD", "refunded", 0),
        "3004": ("etsy:333", "2024-04-30T00:00:00Z", 999, 0, "GBP", "cancelled", 0),
    }  # fmt: skip
    assert orders(db)["3001"]["product"] == "sku-a"


def test_square_money_strings_zones_refunds(db) -> None:
    report = import_file(db, fixture("square_items.csv"))
    got = {k: _pick(v, *KEYS) for k, v in orders(db).items()}
    assert got == {
        "T1": ("square:SQC1", "2026-07-18T18:30:00Z", 115295, 0, "USD", "completed", 1),
        "T2": (None, "2026-07-19T13:05:00Z", 3362, 3362, "USD", "refunded", 0),
        "T3": (None, "2026-07-19T18:00:00Z", 1000, 0, "USD", "completed", 1),
    }  # fmt: skip
    assert orders(db)["T1"]["ordered_at_raw"] == "07/18/2026 2:30:00 PM Eastern Time (US & Canada)"
    reasons = {r["row"]: r["reason"] for r in db.query("SELECT row, reason FROM rejects")}
    assert set(reasons) == {7, 8}  # refund of unknown T9; unknown zone of T4
    assert "refund of order 'T9'" in reasons[7]
    assert "Time Zone" in reasons[8] and "Atlantis Standard" in reasons[8]
    assert report.rows_rejected == 2
    assert report.without_identity == 2


def test_timezone_for_zone_less_times(db) -> None:
    """WooCommerce writes site time without a zone: --timezone says which. Madrid in early
    March 2024 is CET (UTC+1); an unknown zone is refused before anything is read."""
    from clvtui.errors import InputError

    import_file(db, fixture("woocommerce_orders.csv"), timezone="Europe/Madrid")
    got = {k: v["ordered_at"] for k, v in orders(db).items()}
    assert got["201"] == "2024-03-05T13:22:10Z" and got["202"] == "2024-03-06T08:00:00Z"
    assert orders(db)["201"]["ordered_at_raw"].startswith("3/5/2024 14:22:10")
    with pytest.raises(InputError, match="unknown time zone 'Mars/Olympus'"):
        import_file(db, fixture("woocommerce_orders.csv"), timezone="Mars/Olympus")


def test_square_transactions_partial_refunds_are_subtracted(db) -> None:
    """Transactions export: one row per payment; 'Partial Refunds' is written as ($10.00) and
    must reduce the order (taken as signed, it would have raised net spend to 50.00)."""
    report = import_file(db, fixture("square_transactions.csv"))
    assert report.format == "square"
    got = {k: _pick(v, *KEYS) for k, v in orders(db).items()}
    assert got == {
        # 12:59:30 PDT (UTC−7) in July; 08:15 EDT (UTC−4); an empty time is local midnight, EST
        "TX1": ("square:SQC7", "2026-07-18T19:59:30Z", 2550, 0, "USD", "completed", 1),
        "TX2": (None, "2026-07-19T12:15:00Z", 4000, 1000, "USD", "partially_refunded", 1),
        "TX3": ("square:SQC7", "2025-12-27T05:00:00Z", 1200, 0, "USD", "completed", 1),
    }  # fmt: skip
    assert report.without_identity == 1 and report.rows_rejected == 0


def test_paypal_german_locale(db) -> None:
    """German headers, DD.MM.YYYY, '1.594,36', MESZ (UTC+2) in June and MEZ (UTC+1) in January;
    'Ausstehend' (pending) is kept but not a purchase; the e-mail is the identity, lower-cased."""
    report = import_file(db, fixture("paypal_activity_de.csv"))
    assert report.format == "paypal"
    got = {k: _pick(v, *KEYS) for k, v in orders(db).items()}
    assert got == {
        "DE1": ("paypal:max@example.com", "2026-06-01T08:15:00Z", 159436, 0, "EUR", "completed", 1),
        "DE2": ("paypal:erika@example.com", "2026-06-02T09:00:00Z", 1250, 0, "EUR", "pending", 0),
        "DE3": ("paypal:max@example.com", "2026-01-15T08:30:00Z", 2000, 0, "EUR", "completed", 1),
    }  # fmt: skip
    assert orders(db)["DE1"]["country"] == "DE"
    assert report.rows_rejected == 0


def test_paypal_refund_memo_withdrawal(db) -> None:
    report = import_file(db, fixture("paypal_activity_us.csv"))
    got = {k: _pick(v, *KEYS) for k, v in orders(db).items()}
    assert got == {
        "TXA": ("paypal:pat@example.com", "2024-01-15T18:00:00Z", 125000, 0, "USD", "completed", 1),
        "TXB": ("paypal:quinn@example.com", "2024-07-05T01:30:00Z", 8000, 3000, "USD",
                "partially_refunded", 1),
        "TXH": (None, "2024-07-11T16:00:00Z", 8000, 0, "USD", "memo", 0),
        "TXC": ("paypal:rae@example.com", "2024-07-13T19:00:00Z", 2000, 0, "USD", "pending", 0),
    }  # fmt: skip
    assert report.skipped == {"not a sale: General Withdrawal": 1}
    reasons = [r["reason"] for r in db.query("SELECT reason FROM rejects")]
    assert len(reasons) == 1 and "refund of order 'TXOLD'" in reasons[0]


def test_paypal_eu_cp1252_day_first(db) -> None:
    report = import_file(db, fixture("paypal_activity_eu.csv"))
    assert (report.encoding, report.decimal) == ("cp1252", ",")
    got = {k: _pick(v, *KEYS) for k, v in orders(db).items()}
    assert got == {
        "EU1": ("paypal:lena@example.de", "2024-03-25T20:15:00Z", 123456, 0, "EUR", "completed", 1),
        "EU2": ("paypal:jürgen@example.de", "2024-04-02T06:00:00Z", 9990, 0, "EUR", "completed", 1),
    }  # fmt: skip


def test_online_retail_xlsx_two_sheets(db) -> None:
    report = import_file(db, fixture("online_retail.xlsx"))
    assert report.format == "online-retail" and report.rows_read == 7
    got = {k: _pick(v, *KEYS) for k, v in orders(db).items()}
    assert got == {
        "536365": ("online-retail:17850", "2010-12-01T08:26:00Z", 3564, 0, "GBP", "completed", 1),
        "536366": (None, "2010-12-01T08:28:00Z", 1110, 0, "GBP", "completed", 1),
        "C536379": ("online-retail:14527", "2010-12-01T09:41:00Z", -2750, 0, "GBP", "cancelled", 0),
        "581001": ("online-retail:12583", "2011-07-01T09:00:00Z", 3300, 0, "GBP", "completed",
                   1),  # BST
    }  # fmt: skip
    assert report.rows_skipped == 1  # BANK CHARGES


def test_online_retail_ii_csv(db) -> None:
    report = import_file(db, fixture("online_retail_ii.csv"))
    got = {k: _pick(v, *KEYS) for k, v in orders(db).items()}
    assert got == {
        "489434": ("online-retail:13085", "2009-12-01T07:45:00Z", 16440, 0, "GBP", "completed", 1),
        "c489449": ("online-retail:16321", "2009-12-01T10:33:00Z", -1020, 0, "GBP", "cancelled", 0),
        "489450": ("online-retail:13085", "2009-12-01T11:00:00Z", 0, 0, "GBP", "adjustment", 0),
    }  # fmt: skip
    reasons = {r["row"]: r["reason"] for r in db.query("SELECT row, reason FROM rejects")}
    assert reasons[6] == "column 'Quantity': expected a whole number, got 'x'"
    assert reasons[7] == "another line of order '489451' was rejected (row 6)"
    assert report.rows_rejected == 2


def test_generic_without_ids(db) -> None:
    report = import_file(db, fixture("generic_orders.csv"))
    got = sorted(_pick(v, "order_id", "customer_key", "amount_minor") for v in orders(db).values())
    assert got == [
        ("k:-|2024-02-02T00:00:00Z|300|1", None, 300),
        ("k:C2|2024-01-03T14:00:00Z|550|1", "generic:C2", 550),
        ("k:c1|2024-01-02T00:00:00Z|1000|1", "generic:c1", 1000),
        ("k:c1|2024-01-02T00:00:00Z|1000|2", "generic:c1", 1000),
        ("k:c1|2024-02-01T00:00:00Z|725|1", "generic:c1", 725),
    ]
    assert report.without_identity == 1


def test_generic_line_items_summed_day_first(db) -> None:
    import_file(db, fixture("generic_with_ids.csv"))
    got = {k: _pick(v, *KEYS) for k, v in orders(db).items()}
    assert got == {
        "A-1": ("generic:x@example.com", "2024-01-15T00:00:00Z", 1250, 0, "EUR", "completed", 1),
        "A-2": ("generic:y@example.com", "2024-01-16T00:00:00Z", 800, 0, "EUR", "completed", 1),
    }  # fmt: skip


def test_mixed_currencies_kept_per_order(db) -> None:
    report = import_file(db, fixture("mixed_currencies.csv"))
    assert report.currencies == {"USD": 1, "EUR": 1, "JPY": 1}
    by_currency = dict(
        db.execute("SELECT currency, sum(amount_minor) FROM orders GROUP BY 1").fetchall()
    )
    assert by_currency == {"USD": 1000, "EUR": 2000, "JPY": 1500}


def test_bad_rows_rejected_rest_imported(db) -> None:
    report = import_file(db, fixture("broken_bad_rows.csv"))
    assert (report.orders_new, report.rows_rejected) == (2, 5)
    reasons = {r["row"]: r["reason"] for r in db.query("SELECT row, reason FROM rejects")}
    assert reasons == {
        3: "column 'date': expected a date like 2024-05-01 10:00:00 +0000, 05/01/2024 or "
        "01.05.2024, got 'not a date'",
        4: "column 'amount': expected an amount like 1,234.56, got '12,34,56'",
        5: "column 'date': expected a date like 2024-05-01 10:00:00 +0000, 05/01/2024 or "
        "01.05.2024, got '2024-02-30'",
        6: "column 'amount' is empty; expected an amount",
        7: "column 'amount': more decimals than USD has, got '9.999'",
    }
    raw = db.execute("SELECT raw FROM rejects WHERE row = 4").fetchone()[0]
    assert raw == 'c3,2024-01-04,"12,34,56"'
    kinds = {r["reason"]: r["count"] for r in report.reject_reasons}
    date_kind = "column 'date': expected a date like 2024-05-01 10:00:00 +0000, 05/01/2024"
    assert kinds[date_kind + " or 01.05.2024"] == 2


def test_chunked_reading_matches_whole_file(db, tmp_path, monkeypatch) -> None:
    """Large files are parsed in record-aligned pieces; quoted newlines must not split rows."""
    from clvtui.ingest import read
    from clvtui.store import open_db

    lines = ["customer,date,amount,note"]
    for i in range(300):
        note = f'"line one\nline two, ""quoted"" {i}"' if i % 7 == 0 else "plain"
        lines.append(f"c{i % 40},2024-01-{1 + i % 28:02d} 10:{i % 60:02d}:00,{i}.25,{note}")
    path = tmp_path / "notes.csv"
    path.write_text("\n".join(lines) + "\n")
    whole = import_file(db, path)
    monkeypatch.setattr(read, "_CHUNK_BYTES", 512)
    assert read.open_table(path).chunked
    other = open_db(tmp_path / "other.db")
    chunked = import_file(other, path)
    assert (
        (chunked.rows_read, chunked.orders_new) == (whole.rows_read, whole.orders_new) == (300, 300)
    )
    assert orders(other) == orders(db)


def test_customer_contact_from_a_later_order(db, tmp_path) -> None:
    """First-order attributes come from the earliest purchase; a missing e-mail from any order."""
    path = tmp_path / "orders.csv"
    path.write_text(
        "customer,email,date,amount,status,product\n"
        "c1,,2024-03-01,5.00,completed,Tea\n"
        "c1,one@example.com,2024-04-01,6.00,completed,Mug\n"
        "c1,,2024-01-01,7.00,cancelled,Cake\n"
        "c2,,2024-02-01,8.00,cancelled,Box\n"
    )
    import_file(db, path)
    c1, c2 = db["customers"].get("generic:c1"), db["customers"].get("generic:c2")
    assert (c1["email"], c1["first_product"], c1["first_order_at"]) == (
        "one@example.com", "Tea", "2024-03-01T00:00:00Z")  # fmt: skip
    assert (c2["email"], c2["first_product"], c2["first_order_at"]) == (None, "Box", None)


def test_workbook_rejects_name_the_sheet_and_its_own_row(db, tmp_path) -> None:
    """Rows count per sheet, as the spreadsheet shows them, not across the stacked sheets."""
    import xlsxwriter

    header = ["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice",
              "CustomerID", "Country"]  # fmt: skip
    good = ["536365", "85123A", "HEART", 6, "2010-12-01 08:26", 2.55, "17850", "United Kingdom"]
    path = tmp_path / "two_sheets.xlsx"
    book = xlsxwriter.Workbook(str(path))
    for name, rows in {
        "Year 2010": [good, [*good[:4], "2010-12-02 09:00", 1.0, "17851", "United Kingdom"]],
        "Year 2011": [
            ["581001", "22423", "CAKESTAND", 1, "2011-07-01 09:00", 33.0, "12583", "France"],
            ["581002", "22423", "CAKESTAND", 1, "not a date", 33.0, "12584", "France"],
        ],
    }.items():
        sheet = book.add_worksheet(name)
        for r, values in enumerate([header, *rows]):
            sheet.write_row(r, 0, values)
    book.close()

    report = import_file(db, path)
    assert report.rows_rejected == 1
    rejects = list(db["rejects"].rows)
    assert [(r["row"], r["reason"][:19]) for r in rejects] == [(3, "sheet 'Year 2011': ")]
    assert "InvoiceDate" in rejects[0]["reason"]
    assert report.reject_reasons[0]["example_rows"] == [3]
