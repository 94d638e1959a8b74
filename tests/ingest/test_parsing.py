"""Property tests: money strings → exact minor units; timestamps → UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clvtui.core.money import format_money, minor_exponent, money_series, parse_money
from clvtui.ingest.dates import DateRule, parse_timestamp

amounts = st.decimals(min_value=Decimal("-99999999.99"), max_value=Decimal("99999999.99"),
                      places=2, allow_nan=False, allow_infinity=False)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(value=amounts, decimal=st.sampled_from([".", ","]), grouping=st.booleans(),
       style=st.sampled_from(["plain", "dollar", "paren", "euro", "trailing"]))  # fmt: skip
def test_money_round_trip(value: Decimal, decimal: str, grouping: bool, style: str) -> None:
    text = format_money(value, decimal=decimal, grouping=grouping)
    bare = text.lstrip("-")
    negative = value < 0
    if style == "dollar":
        text = ("-" if negative else "") + "$" + bare + " "
    elif style == "paren" and negative:
        text = f"(${bare})"
    elif style == "euro":
        text = text + " €"
    elif style == "trailing" and negative:
        text = bare + "-"
    expected = int(value * 100)
    assert parse_money(text, decimal=decimal) == expected
    vectorised = money_series(pl.Series([text]), decimal=decimal)
    assert vectorised.item() == expected


@pytest.mark.parametrize(
    ("text", "decimal", "units"),
    [("$1,149.00 ", ".", 114900), ("-$0.95", ".", -95), ("($33.62)", ".", -3362),
     ("116,99 €", ",", 11699), ("1.234,56", ",", 123456), ('1,250.00', ".", 125000),
     ("USD 10", ".", 1000), ("1 234,5", ",", 123450), ("12.5", ".", 1250)],
)  # fmt: skip
def test_money_examples(text: str, decimal: str, units: int) -> None:
    assert parse_money(text, decimal=decimal) == units


@pytest.mark.parametrize(
    "text", ["abc", "1,25", "12.345", "1..2", "$", "1e5", "+49 170 1234560", "12 34", "1'23.00"]
)
def test_money_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_money(text, decimal=".")
    assert money_series(pl.Series([text]))[0] is None


def test_minor_exponent() -> None:
    assert (minor_exponent("JPY"), minor_exponent("usd"), minor_exponent("KWD")) == (0, 2, 3)


instants = st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2060, 12, 31))


@settings(max_examples=200, deadline=None)
@given(moment=instants, offset=st.integers(min_value=-12 * 60, max_value=14 * 60))
def test_offset_timestamps(moment: datetime, offset: int) -> None:
    moment = moment.replace(microsecond=0)
    zone = timezone(timedelta(minutes=offset))
    local = moment.replace(tzinfo=zone)
    text = local.strftime("%Y-%m-%d %H:%M:%S %z")
    expected = local.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert parse_timestamp(text) == expected


@settings(max_examples=200, deadline=None)
@given(moment=instants, day_first=st.booleans(), sep=st.sampled_from(["/", "."]))
def test_day_order(moment: datetime, day_first: bool, sep: str) -> None:
    moment = moment.replace(microsecond=0)
    fmt = f"%d{sep}%m{sep}%Y %H:%M:%S" if day_first else f"%m{sep}%d{sep}%Y %H:%M:%S"
    text = moment.strftime(fmt)
    assert parse_timestamp(text, DateRule(day_first=day_first)) == moment.strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )


@pytest.mark.parametrize(
    ("text", "rule", "zone", "utc"),
    [("2024-05-01 10:00:00 +0200", DateRule(), None, "2024-05-01T08:00:00Z"),
     ("2024-05-01 10:00", DateRule(), None, "2024-05-01T10:00:00Z"),  # Stripe: naive UTC
     ("05/01/2024 10:00:00", DateRule(zone="abbreviation"), "PDT", "2024-05-01T17:00:00Z"),
     ("25/03/2024 21:15:00", DateRule(zone="abbreviation"), "CET", "2024-03-25T20:15:00Z"),
     ("07/18/2026 2:30:00 PM", DateRule(zone="rails"), "Eastern Time (US & Canada)",
      "2026-07-18T18:30:00Z"),
     ("01/15/2026 12:05:00 AM", DateRule(zone="rails"), "Pacific Time (US & Canada)",
      "2026-01-15T08:05:00Z"),
     ("03/01/24", DateRule(day_first=False), None, "2024-03-01T00:00:00Z"),  # Etsy
     ("7/1/2011 10:00", DateRule(day_first=False, naive_zone="Europe/London"), None,
      "2011-07-01T09:00:00Z"),  # UCI: naive UK time, BST in July
     ("2024-02-30", DateRule(), None, None),
     ("13/13/2024", DateRule(), None, None),
     ("2024-05-01 25:00:00", DateRule(), None, None),
     ("07/18/2026 2:30:00 PM", DateRule(zone="rails"), "Atlantis", None)],
)  # fmt: skip
def test_timestamp_examples(text: str, rule: DateRule, zone: str | None, utc: str | None) -> None:
    assert parse_timestamp(text, rule, zone=zone) == utc


@pytest.mark.parametrize(
    ("minor", "currency", "text"),
    [(5400, "USD", "$54.00"), (5400, "EUR", "54.00 EUR"), (5400, "JPY", "5,400 JPY"),
     (54321, "KWD", "54.321 KWD"), (-5, "chf", "-0.05 CHF"), (123456789, "USD", "$1,234,567.89"),
     (0, "GBP", "0.00 GBP")],
)  # fmt: skip
def test_format_minor_uses_the_currency_decimals(minor: int, currency: str, text: str) -> None:
    from clvtui.core.money import format_minor

    assert format_minor(minor, currency) == text


@given(minor=st.integers(1 - 10**15, 10**15 - 1), currency=st.sampled_from(["USD", "JPY", "KWD"]))
def test_format_minor_round_trips_through_parse_money(minor: int, currency: str) -> None:
    """Up to the 15 integer digits parse_money accepts."""
    from clvtui.core.money import format_minor, minor_exponent

    text = format_minor(minor, currency).replace(" " + currency, "").replace("$", "")
    assert parse_money(text, scale=minor_exponent(currency)) == minor


@pytest.mark.parametrize(
    ("text", "expected"),
    [("3/5/2024 14:22", "2024-03-05T14:22:00Z"), ("3/5/2024 9:05", "2024-03-05T09:05:00Z"),
     ("5.3.2024 14:22", "2024-03-05T14:22:00Z"), ("13.3.2024 9:05", "2024-03-13T09:05:00Z")],
)  # fmt: skip
def test_excel_times_without_seconds(text: str, expected: str) -> None:
    rule = DateRule(day_first=None)
    assert parse_timestamp(text, rule) == expected
