"""Naming columns for an export no format recognises (``services.importing``): the same
parsing, advice and retry behind the CLI's ``--map`` and the Import screen's mapping box."""

from __future__ import annotations

from pathlib import Path

import pytest

from clvtui.errors import ClvError, MappingError
from clvtui.services.importing import mapping_advice, parse_mapping, preview_import, with_pair

ODD = Path("fixtures/generic_odd_headers.csv")
NAMED = "order_id=Beleg, customer_id=Kunde; ordered_at=Bestelldatum, amount=Net Total"


def test_pairs_parse_like_repeated_map_options() -> None:
    assert parse_mapping(" amount=Total (EUR, net), currency=eur ") == {
        "amount": "Total (EUR, net)",  # a comma inside a column name is not a separator
        "currency": "eur",
    }
    assert parse_mapping("") == {}
    with pytest.raises(ClvError, match=r"^mapping 'amount': expected field=column"):
        parse_mapping("amount")
    with pytest.raises(ClvError, match=r"^mapping 'price=Total': unknown field 'price'"):
        parse_mapping("price=Total")


def test_an_unrecognised_header_advises_the_mapping_each_face_has() -> None:
    with pytest.raises(MappingError) as caught:
        preview_import(None, ODD)
    err = caught.value
    assert err.fmt == "generic"
    assert err.fixes == {"customer_id": None, "ordered_at": None, "amount": "Net Total"}
    cli = str(err).splitlines()[-1]
    assert cli == (
        f"  fix: clvtui import {ODD} --format generic --map customer_id=COLUMN "
        "--map ordered_at=COLUMN --map amount='Net Total'"
    )
    screen = mapping_advice(err, "Map columns (m)")
    assert "--map" not in screen
    lines = screen.splitlines()  # the fix right under the first line: seen on a short screen
    assert lines[0] == str(err).splitlines()[0] and lines[2:] == err.detail.splitlines()[1:]
    assert lines[1] == (
        "  fix: set customer_id=?, ordered_at=?, amount=Net Total in Map columns (m) "
        "(format generic), then preview again"
    )


def test_named_columns_read_an_unrecognised_file_as_generic_csv() -> None:
    """No --format needed once the columns are named: the file is read as the generic CSV,
    its zone-less times in the zone given, its amounts in the currency named."""
    mapping = parse_mapping(NAMED + ", currency=EUR")
    report = preview_import(None, ODD, mapping=mapping, timezone="Europe/Berlin").to_json()
    assert report["format"] == "generic"
    assert report["mapping"]["currency"] == "=EUR"
    assert report["orders"] == 5 and report["customers"] == 3
    first = report["sample_orders"][0]
    assert (first["order_id"], first["amount_minor"], first["currency"]) == ("B-1001", 1990, "EUR")
    assert first["ordered_at"] == "2024-03-01T08:30:00Z"  # 09:30 CET is 08:30 UTC


def test_a_picked_column_replaces_the_one_named_before() -> None:
    assert with_pair("", "customer_id", "Kunde") == "customer_id=Kunde"
    assert with_pair("amount=Total, currency=EUR", "amount", "Net Total") == (
        "amount=Net Total, currency=EUR"
    )


def test_the_file_columns_come_with_a_preview_and_its_mapping_error() -> None:
    with pytest.raises(MappingError) as caught:
        preview_import(None, ODD)
    assert caught.value.columns == ["Beleg", "Kunde", "Bestelldatum", "Net Total"]
    report = preview_import(None, Path("fixtures/generic_orders.csv"))
    assert report.columns == ["customer", "date", "amount"]
