"""``clvtui products`` and ``services.products`` on the fitted demo shop (real import and fit),
on a shop without lines and on a run fitted from a summary file."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from clvtui.cli import app
from clvtui.services.products import (
    FROM_SUMMARY,
    NO_LINES,
    best_next_products,
    product_report,
    run_lines,
)
from clvtui.store import open_db
from tests.ingest.conftest import fixture

runner = CliRunner()
SUMMARY = Path(__file__).resolve().parents[2] / "fixtures" / "summary" / "good_weeks.csv"


def cli(db: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, [*args, "--db", str(db)])
    assert not (result.exception and not isinstance(result.exception, SystemExit)), result.exception
    return result.exit_code, result.stdout, result.stderr


def test_products_json_on_the_demo_shop(shop_db: Path) -> None:
    code, out, _ = cli(shop_db, "products", "--json")
    assert code == 0
    doc = json.loads(out)
    assert doc["message"] is None
    assert doc["customers_with_lines"] == 2_000  # every demo order has lines
    entry = doc["entry_products"]
    assert entry and all(e["customers"] >= 20 for e in entry)
    assert [e["mean_clv"] for e in entry] == sorted((e["mean_clv"] for e in entry), reverse=True)
    for e in entry:
        assert e["ratio_low"] <= e["clv_ratio"] <= e["ratio_high"]
        assert e["repeat_low"] <= e["repeat_rate"] <= e["repeat_high"]
    # the demo's families: pairs within a family are bought together far more than chance
    top = doc["affinity"][0]
    assert top["lift"] > 2.0 and top["customers"] >= 5
    journey = doc["journey"]
    assert journey["customers_with_second_order"] > 0
    assert journey["median_days_to_second_order"] > 0


def test_entry_customers_match_the_first_orders_in_the_database(shop_db: Path) -> None:
    db = open_db(shop_db, readonly=True)
    report = product_report(db)
    (n,) = db.conn.execute(
        "SELECT count(*) FROM customers c WHERE EXISTS (SELECT 1 FROM orders o JOIN order_lines l"
        " ON l.source = o.source AND l.order_id = o.order_id WHERE o.customer_key = c.customer_id"
        " AND o.ordered_at = c.first_order_at AND o.is_purchase = 1 AND l.product = 'Tea')"
    ).fetchone()
    tea = report.entry.filter(pl.col("product") == "Tea")
    assert tea["customers"].item() == n


def test_tier_option_limits_the_customers(shop_db: Path) -> None:
    code, out, _ = cli(shop_db, "products", "--json", "--tier", "high", "--min-customers", "5")
    assert code == 0
    doc = json.loads(out)
    assert doc["tier"] == "Highly profitable"
    assert 0 < doc["customers_with_lines"] < 2_000
    code, text, _ = cli(shop_db, "products")
    assert code == 0
    assert "Entry products" in text and "Bought together" in text
    assert "customers who start with" in text


def test_best_next_products_skips_what_the_customer_bought(shop_db: Path) -> None:
    db = open_db(shop_db, readonly=True)
    data = run_lines(db)
    best = best_next_products(db, data=data)
    assert best.height > 0 and (best["lift"] > 1.0).all()
    ids = pl.col("customer_id").cast(pl.Utf8)  # lines carry categorical ids, answers text
    bought = data.lines.select(ids, pl.col("product").alias("next_product")).unique()
    assert best.join(bought, on=["customer_id", "next_product"]).height == 0
    some = best["customer_id"].head(3).to_list()
    assert best_next_products(db, customers=some, data=data)["customer_id"].to_list() == some


def test_a_shop_without_lines_says_products_need_them(tmp_path: Path) -> None:
    from clvtui.pipeline import fit_run

    db = open_db(tmp_path / "clv.db")
    from clvtui.ingest import import_file

    import_file(db, fixture("stripe_payments_jan_jun.csv"))
    import_file(db, fixture("stripe_payments_apr_sep.csv"))
    fit_run(db)
    code, out, _ = cli(tmp_path / "clv.db", "products")
    assert code == 0 and out.strip() == NO_LINES
    assert json.loads(cli(tmp_path / "clv.db", "products", "--json")[1])["message"] == NO_LINES


def test_a_summary_run_says_products_need_order_lines(tmp_path: Path) -> None:
    db = tmp_path / "clv.db"
    code, _, err = cli(db, "fit", "--summary", str(SUMMARY), "--unit", "weeks")
    assert code == 0, err
    code, out, _ = cli(db, "products")
    assert code == 0 and out.strip() == FROM_SUMMARY


@pytest.fixture(scope="module")
def shop_db(demo_2000: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The session's fitted demo shop (2,000 customers, seed 7, Shopify), this module's copy:
    a file copy instead of a second import and fit of the same shop."""
    from tests.dbfiles import private_copy

    return private_copy(demo_2000, tmp_path_factory.mktemp("products-demo"))
