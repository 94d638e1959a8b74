"""Files as shop owners really have them: WooCommerce guests, impossible dates, Excel saves,
and messages that never show a customer's e-mail, phone or name."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from clvtui.errors import InputError
from clvtui.ingest import import_file
from clvtui.ingest.normalise import plausible_dates
from clvtui.ingest.privacy import mask_cell, mask_reasons
from tests.ingest.conftest import fixture, orders

# --- WooCommerce identity -------------------------------------------------------------------


def test_woocommerce_guests_are_identified_by_billing_email(db) -> None:
    report = import_file(db, fixture("woocommerce_guests.csv"))
    who = {k: v["customer_key"] for k, v in orders(db).items()}
    w = "woocommerce:"
    assert who == {
        "301": w + "17", "305": w + "17",  # a registered customer: the shop's id
        "302": w + "guest.one@example.com", "303": w + "guest.one@example.com",  # case, spaces
        "304": w + "bob@example.org", "307": w + "bob@example.org",  # billing, then customer
        "308": w + "carol@example.net",  # no customer_id at all
        "306": None,  # a guest without any e-mail: kept, never merged
    }  # fmt: skip
    assert (report.orders_new, report.customers, report.without_identity) == (8, 4, 1)
    # 9.00 of 145.00 purchase revenue has no identity
    assert report.revenue_without_identity_share == pytest.approx(9 / 145, abs=1e-6)
    customers = {r["customer_id"]: r["email"] for r in db.query("SELECT * FROM customers")}
    assert customers["woocommerce:guest.one@example.com"] == "guest.one@example.com"


def test_the_original_woocommerce_fixture_keeps_its_identities(db) -> None:
    """Registered customers keep their id; the guest with a customer_email keeps it."""
    import_file(db, fixture("woocommerce_orders.csv"))
    who = {k: v["customer_key"] for k, v in orders(db).items()}
    w = "woocommerce:"
    assert who == {"201": w + "17", "202": w + "guest@example.fr", "203": w + "17",
                   "204": w + "18", "205": w + "18", "206": None, "207": w + "19"}  # fmt: skip


@pytest.mark.parametrize(
    ("customer", "email", "key"),
    [("0", " A.B@Example.COM ", "a.b@example.com"), ("-1", "a.b @example.com", "a.b@example.com"),
     ("0.0", "", None), ("00", "x", None), (" C@D.org", "", "c@d.org"), ("1234", "x@y.z", "1234")],
)  # fmt: skip
def test_email_identity_ignores_case_and_spaces(db, tmp_path, customer, email, key) -> None:
    path = tmp_path / "g.csv"
    path.write_text(f"order id,customer,email,date,amount\n1,{customer},{email},2024-01-02,5\n")
    import_file(db, path)
    assert orders(db)["1"]["customer_key"] == (key and f"generic:{key}")


# --- plausible dates ------------------------------------------------------------------------


def test_implausible_dates_are_rejected_with_row_column_and_reason(db) -> None:
    report = import_file(db, fixture("implausible_dates.csv"))
    assert (report.orders_new, report.rows_rejected) == (2, 4)
    tomorrow = datetime.now(UTC).date().toordinal() + 1
    last = date.fromordinal(tomorrow).isoformat()
    reasons = {r["row"]: r["reason"] for r in db.query("SELECT row, reason FROM rejects")}
    assert reasons == {
        3: f"column 'date': expected an order date no later than {last} (tomorrow), "
        "got '2099-01-01'",
        4: "column 'date': expected an order date on or after 1990-01-01, got '0001-01-01'",
        5: f"column 'date': expected an order date no later than {last} (tomorrow), "
        "got '9999-12-31'",
        6: "column 'date': expected an order date on or after 1990-01-01, got '1989-12-31'",
    }
    counts = {r["reason"]: r["count"] for r in report.reject_reasons}
    assert counts == {
        f"column 'date': expected an order date no later than {last} (tomorrow)": 2,
        "column 'date': expected an order date on or after 1990-01-01": 2,
    }
    assert report.last_order_at == "2024-01-02T00:00:00Z"
    assert report.first_order_at == "1990-01-01T00:00:00Z"


def test_plausible_window_is_1990_to_end_of_tomorrow() -> None:
    floor, limit = plausible_dates(date(2026, 12, 6))
    assert floor == datetime(1990, 1, 1, tzinfo=UTC)
    assert limit == datetime(2026, 12, 8, tzinfo=UTC)  # all of 2026-12-07 is allowed


# --- personal data in messages --------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "shown"),
    [("jane.doe@example.com", "j***@example.com"), ("+1 555-010-9999", "***99"),
     ("555.123.4567", "***67"), ("Zoë Lefèvre", "Z*** L***"), ("not a date", "n*** a d***"),
     ("2024-02-30", "2024-02-30"), ("12,34,56", "12,34,56"), ("1,234,567.00", "1,234,567.00"),
     ("3/5/2024 2:22 PM PST", "3/5/2024 2:22 PM PST"), ("EUR 9.999", "EUR 9.999"),
     ("9" * 50, "***99…")],
)  # fmt: skip
def test_mask_cell_named_cases(cell: str, shown: str) -> None:
    assert mask_cell(cell) == shown


# letters only: "÷" (U+00F7) sits inside à-ÿ but is not part of a name
_names = st.from_regex(r"[A-Z][a-zà-öø-ÿ]{2,10}( [A-Z][a-z]{2,10})?", fullmatch=True)
_emails = st.from_regex(r"[a-z][a-z0-9.]{2,12}@[a-z]{2,8}\.(com|org|de)", fullmatch=True)
_phones = st.from_regex(r"\+?\d{1,3}[ -]?\(?\d{3}\)?[ -]?\d{3}[ -]?\d{4}", fullmatch=True)


@given(value=st.one_of(_names, _emails, _phones), before=st.sampled_from(["", "x ", "12 "]))
def test_masked_cells_never_show_the_personal_part(value: str, before: str) -> None:
    shown = mask_cell(before + value)
    if "@" in value:
        local = value.split("@")[0]
        assert local not in shown and shown.endswith("@" + value.split("@")[1])
    elif any(ch.isdigit() for ch in value):
        digits = re.sub(r"\D", "", value)
        assert digits[:-2] not in re.sub(r"\D", "", shown)
    else:
        for word in value.split():
            assert word not in shown


def test_mask_reasons_masks_only_the_quoted_cell() -> None:
    rejects = pl.DataFrame(
        {"_row": [2, 3, 4], "reason": ["column 'date': expected a date, got 'ann@example.com'",
                                       "column 'amount' is empty; expected an amount",
                                       "column 'amount': expected an amount, got '1,2,3'"]}
    )  # fmt: skip
    assert mask_reasons(rejects).get_column("reason").to_list() == [
        "column 'date': expected a date, got 'a***@example.com'",
        "column 'amount' is empty; expected an amount",
        "column 'amount': expected an amount, got '1,2,3'",
    ]


def test_report_and_all_rejected_error_never_show_emails(db, tmp_path) -> None:
    """A shifted file: e-mails land in the date column."""
    path = tmp_path / "shifted.csv"
    path.write_text(
        "customer,date,amount\n" + "".join(f"c{i},c{i}.person@example.com,5.00\n" for i in range(5))
    )
    with pytest.raises(InputError) as info:
        import_file(db, path)
    message = str(info.value)
    assert "every row was rejected" in message and "got 'c***@example.com'" in message
    assert "person@" not in message
    path.write_text(path.read_text() + "c9,2024-01-02,5.00\n")
    report = import_file(db, path, dry_run=True)
    document = json.dumps(report.to_json())
    assert "person@" not in document and "c***@example.com" in document
    assert report.reject_reasons[0]["count"] == 5


# --- Excel-saved CSVs -----------------------------------------------------------------------


def _key(order: dict) -> tuple:
    return (
        order["customer_key"].removeprefix("generic:"),
        order["ordered_at"],
        order["amount_minor"],
    )


def test_excel_saved_blank_rows_short_times_and_totals_label(db) -> None:
    report = import_file(db, fixture("excel_saved_orders.csv"))
    assert (report.rows_read, report.orders_new, report.rows_skipped) == (7, 3, 3)
    assert report.skipped == {"blank rows (only separators)": 3}
    got = sorted(_key(v) for v in orders(db).values())
    assert got == [("c1", "2024-03-05T14:22:00Z", 1000), ("c1", "2024-04-01T16:00:00Z", 500),
                   ("c2", "2024-03-06T09:05:00Z", 2050)]  # fmt: skip
    rejects = db.query("SELECT row, reason FROM rejects").__iter__()
    assert list(rejects) == [{"row": 8, "reason": "a totals row (labelled 'Total'), not an order"}]


def test_excel_saved_day_first_dates_and_a_totals_sum(db) -> None:
    report = import_file(db, fixture("excel_saved_dmy.csv"))
    got = sorted(_key(v) for v in orders(db).values())
    assert got == [("k1", "2024-03-05T14:22:00Z", 1000), ("k2", "2024-03-13T09:05:00Z", 2050)]
    assert report.skipped == {"blank rows (only separators)": 1}
    assert [(r["reason"], r["count"]) for r in report.reject_reasons] == [
        ("a totals row (its amount is the sum of the orders above), not an order", 1)
    ]


@pytest.mark.parametrize(
    ("last", "reason"),
    [(",,35.51", "column 'date' is empty; expected a date"),  # not the sum: an ordinary reject
     ("Grand total,,1.00", "a totals row (labelled 'Grand total'), not an order"),
     ("c9,,35.50", "a totals row (its amount is the sum of the orders above), not an order")],
)  # fmt: skip
def test_totals_row_needs_a_label_or_the_exact_sum(db, tmp_path, last, reason) -> None:
    path = tmp_path / "t.csv"
    path.write_text(f"customer,date,amount\nc1,2024-01-02,10.00\nc2,2024-01-03,25.50\n{last}\n")
    import_file(db, path)
    assert db.execute("SELECT row, reason FROM rejects").fetchall() == [(4, reason)]


@pytest.mark.parametrize(
    ("last", "orders", "reason"),
    [("TOTAL,2024-01-31,35.50", 2, "a totals row (labelled 'TOTAL'), not an order"),
     ("Grand total:,2024-01-31,99.00", 2, "a totals row (labelled 'Grand total:'), not an order"),
     ("Sum Wong,2024-01-31,35.50", 3, None)],  # a customer whose name starts like a label
)  # fmt: skip
def test_a_dated_totals_row_is_not_a_customer(db, tmp_path, last, orders, reason) -> None:
    """An owner's footer with a date in it ("TOTAL" as the customer) must not become a buyer."""
    path = tmp_path / "t.csv"
    path.write_text(f"customer,date,amount\nc1,2024-01-02,10.00\nc2,2024-01-03,25.50\n{last}\n")
    import_file(db, path)
    assert db.execute("SELECT count(*) FROM orders").fetchone() == (orders,)
    expected = [(4, reason)] if reason else []
    assert db.execute("SELECT row, reason FROM rejects").fetchall() == expected


def test_a_file_of_blank_rows_only(db, tmp_path) -> None:
    path = tmp_path / "blank.csv"
    path.write_text("customer,date,amount\n,,\n,,\n")
    with pytest.raises(InputError, match=r"blank\.csv: the file has a header but only blank rows"):
        import_file(db, path)
    assert db.execute("SELECT count(*) FROM imports").fetchone() == (0,)


def test_blank_rows_padded_past_the_header_are_skipped(db, tmp_path) -> None:
    """Excel pads blank rows with as many commas as its widest row: more than the header."""
    path = tmp_path / "padded.csv"
    path.write_text(
        "customer,date,amount\nc1,3/5/2024 14:22,10.00\n,,,\nc2,3/6/2024 9:05,20.50\n,,,,,,,,\n"
    )
    report = import_file(db, path)
    assert (report.orders_new, report.rows_read) == (2, 4)
    assert report.skipped == {"blank rows (only separators)": 2}


def test_a_real_surplus_field_is_still_refused_with_its_line(db, tmp_path) -> None:
    path = tmp_path / "stray.csv"
    path.write_text("customer,date,amount\nc1,3/5/2024 14:22,10.00,oops\nc2,3/6/2024,20.50\n")
    with pytest.raises(InputError, match=r"line 2: 4 fields where the header has 3"):
        import_file(db, path)
