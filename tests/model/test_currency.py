"""Several currencies never get stuck: a fit is in one currency and says what it left out."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from clvtui.cli import app
from tests.ingest.conftest import fixture

runner = CliRunner()


def _fit(db, *args: str) -> dict:
    result = runner.invoke(app, ["fit", "--db", str(db), "--json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_stripe_export_in_three_currencies_fits_without_editing(tmp_path) -> None:
    db = tmp_path / "c.db"
    imported = runner.invoke(app, ["import", str(fixture("stripe_payments_jan_jun.csv")),
                                   "--db", str(db)])  # fmt: skip
    assert imported.exit_code == 0, imported.output
    doc = _fit(db)
    # USD: 3 purchases by 3 customers (ch_01, ch_02, ch_05; ch_03 uncaptured, ch_04 failed)
    assert doc["customer_equity"]["currency"] == "USD" and doc["n_customers"] == 3
    mix = doc["currencies"]
    assert (mix["currency"], mix["chosen_by"]) == ("USD", "most purchases")
    assert mix["left_out"] == [
        {"currency": "EUR", "purchases": 1, "revenue": pytest.approx(19.99, abs=1e-9),
         "customers": 1, "customers_only_in_it": 1},
        {"currency": "JPY", "purchases": 1, "revenue": 1000.0, "customers": 1,
         "customers_only_in_it": 1},
    ]  # fmt: skip
    assert any(w.startswith("left out EUR: 1 purchase (19.99 EUR)") for w in doc["warnings"])
    text = runner.invoke(app, ["fit", "--db", str(db)])
    assert "left out JPY: 1 purchase (1,000 JPY) by 1 customer who bought only in JPY" in (
        text.stdout)  # fmt: skip
    assert "clvtui fit --currency JPY" in text.stdout

    eur = _fit(db, "--currency", "eur")
    assert (eur["customer_equity"]["currency"], eur["n_customers"]) == ("EUR", 1)
    assert eur["currencies"]["chosen_by"] == "--currency"
    usd = eur["currencies"]["left_out"][0]
    assert (usd["currency"], usd["purchases"], usd["customers"]) == ("USD", 3, 3)
    assert usd["revenue"] == pytest.approx(25.00 + 70.00 + 60.00, abs=1e-9)  # net of refunds

    missing = runner.invoke(app, ["fit", "--db", str(db), "--currency", "GBP"])
    assert missing.exit_code == 1
    assert "no purchases in GBP; the database holds EUR, JPY, USD" in missing.output


def test_import_warns_when_a_file_brings_another_currency(tmp_path) -> None:
    db = tmp_path / "c.db"
    usd = tmp_path / "usd.csv"
    usd.write_text("customer_id,order_date,total,currency\nu1,2024-01-01,10.00,USD\n")
    eur = tmp_path / "eur.csv"
    eur.write_text("customer_id,order_date,total,currency\ne1,2024-01-02,20.00,EUR\n")
    first = runner.invoke(app, ["import", str(usd), "--db", str(db), "--json"])
    assert json.loads(first.stdout)["currency_warning"] is None
    second = runner.invoke(app, ["import", str(eur), "--db", str(db), "--json"])
    doc = json.loads(second.stdout)
    assert doc["database_currencies"] == ["USD"]
    assert doc["currency_warning"].startswith("this file's orders are in EUR but the database "
                                              "holds USD")  # fmt: skip
    again = runner.invoke(app, ["import", str(eur), "--db", str(db)])
    assert "warning:    this file's orders are in EUR" not in again.stdout  # EUR is held now
    other = tmp_path / "eur2.csv"
    other.write_text("customer_id,order_date,total,currency\nj1,2024-01-03,700,JPY\n")
    text = runner.invoke(app, ["import", str(other), "--db", str(db)])
    assert "warning:    this file's orders are in JPY but the database holds EUR, USD" in (
        text.stdout)  # fmt: skip
    assert "clvtui fit --currency JPY" in text.stdout
