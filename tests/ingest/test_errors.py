"""Each bad input's message names the file, the row or columns, and what was expected."""

from __future__ import annotations

import pytest

from clvtui.errors import InputError
from clvtui.ingest import import_file
from tests.ingest.conftest import fixture


def _error(db, name: str, **kwargs) -> str:
    with pytest.raises(InputError) as info:
        import_file(db, fixture(name), **kwargs)
    return str(info.value)


def test_missing_column_names_found_expected_and_fix(db) -> None:
    message = _error(db, "broken_missing_amount.csv", fmt="generic")
    assert str(fixture("broken_missing_amount.csv")) in message
    assert "found columns: 'customer', 'order_date', 'net'" in message
    assert "expected a column named 'amount'" in message
    assert "--format generic --map amount=net" in message


def test_unrecognised_header_suggests_map(db) -> None:
    message = _error(db, "broken_missing_amount.csv")
    assert "could not recognise this export" in message
    assert "--map amount=net" in message


def test_map_fixes_missing_column(db) -> None:
    report = import_file(db, fixture("broken_missing_amount.csv"), fmt="generic",
                         mapping={"amount": "net"})  # fmt: skip
    assert report.orders_new == 1 and report.mapping["amount"] == "net"


def test_wrong_format_forced(db) -> None:
    message = _error(db, "stripe_payments_jan_jun.csv", fmt="shopify")
    assert "missing required column(s) for the Shopify orders export" in message
    assert "--map ordered_at='Created date (UTC)'" in message


def test_map_to_absent_column(db) -> None:
    message = _error(db, "generic_orders.csv", mapping={"amount": "Totalz"})
    assert "no column 'Totalz'" in message and "'customer', 'date', 'amount'" in message


def test_map_unknown_field(db) -> None:
    assert "unknown field 'price_x'" in _error(db, "generic_orders.csv", mapping={"price_x": "a"})


def test_map_constant_currency(db) -> None:
    report = import_file(db, fixture("generic_orders.csv"), mapping={"currency": "EUR"})
    assert report.currencies == {"EUR": 5}


def test_unknown_format(db) -> None:
    assert "unknown format 'amazon'" in _error(db, "generic_orders.csv", fmt="amazon")


def test_empty_binary_header_only_all_bad(db) -> None:
    assert "the file is empty" in _error(db, "broken_empty.csv")
    assert "binary file, not a CSV" in _error(db, "broken_binary.csv")
    assert "header but no data rows" in _error(db, "broken_header_only.csv")
    message = _error(db, "broken_all_bad.csv")
    assert "every row was rejected" in message
    assert "row 2: column 'date': expected a date" in message
    assert "got 's***'" in message  # 'soon': words are masked in messages


def test_missing_file(db, tmp_path) -> None:
    with pytest.raises(InputError, match="no such file"):
        import_file(db, tmp_path / "nope.csv")


def test_etsy_items_file_is_named(db, tmp_path) -> None:
    path = tmp_path / "EtsySoldOrderItems2024.csv"
    path.write_text("Sale Date,Item Name,Buyer,Quantity,Price,Transaction ID,Listing ID,Order ID\n"
                    "03/01/24,Mug,ann,1,10.00,1,2,3\n")  # fmt: skip
    with pytest.raises(InputError, match="Etsy's order \\*items\\* file"):
        import_file(db, path)
