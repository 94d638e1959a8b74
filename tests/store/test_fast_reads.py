"""The shortcuts commands take to read a fit fast give what the long way gives.

Real files: the Shopify fixture imported and fitted by the CLI's commands (in this process:
a child process would pay ~1 s of imports per command for six customers), then read. The
blob's names and attributes stand in for the customers table only while no import changed it
since the fit.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
import sqlite_utils

from clvtui.store.run_scores import _with_customers, latest_run_id, scores_columns
from clvtui.store.runs import blob_identity_current, ranked_customers
from tests.dbfiles import checkpoint, private_copy
from tests.store.conftest import FIXTURES, SHOP_EXPORT


def clvtui_ok(*args: str | Path) -> None:
    """A CLI command run in this process, which must succeed (exit code 0, no exception)."""
    from typer.testing import CliRunner

    from clvtui.cli import app

    result = CliRunner().invoke(app, [str(a) for a in args])
    assert result.exit_code == 0 and result.exception is None, (result.output, result.exception)


PEOPLE = ("email", "name", "sources", "country", "channel", "first_product", "discount_code")


@pytest.fixture(scope="module")
def fitted_once(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("fast-reads") / "shop.db"
    clvtui_ok("import", SHOP_EXPORT, "--db", db)
    clvtui_ok("fit", "--db", db)
    return checkpoint(db)


@pytest.fixture
def fitted(fitted_once: Path, tmp_path: Path) -> Path:
    """Each test's own copy (one imports into it): two child processes once, not per test."""
    return private_copy(fitted_once, tmp_path)


def test_blob_people_equal_the_customers_table_until_an_import(fitted: Path) -> None:
    db = sqlite_utils.Database(fitted)
    run = latest_run_id(db)
    assert set(blob_identity_current(db, run)) >= set(PEOPLE)
    fast = scores_columns(db, run, ["customer_id", "clv"], customer_columns=PEOPLE)
    slow = _with_customers(db, scores_columns(db, run, ["customer_id", "clv"]), PEOPLE)
    assert fast.height == 4  # the fit's four customers (one row of the file is rejected)
    assert fast.equals(slow.select(fast.columns))
    db.close()

    stripe = FIXTURES / "stripe_payments_jan_jun.csv"
    clvtui_ok("import", stripe, "--db", fitted)
    db = sqlite_utils.Database(fitted)
    assert blob_identity_current(db, run) == []  # the table moved on: joined again
    again = scores_columns(db, run, ["customer_id", "clv"], customer_columns=("sources",))
    table = dict(db.conn.execute("SELECT customer_id, sources FROM customers").fetchall())
    assert again["sources"].to_list() == [table[c] for c in again["customer_id"]]


def test_a_summary_fit_that_renames_a_known_customer_retires_the_blobs_names(
    fitted: Path, tmp_path: Path
) -> None:
    """A summary's upsert can change an existing customer's name without a new row or an
    import: older runs' blobs then no longer stand in for the table."""
    db = sqlite_utils.Database(fitted)
    run = latest_run_id(db)
    assert "name" in blob_identity_current(db, run)
    db.close()
    summary = tmp_path / "summary.csv"
    summary.write_text(
        "customer_id,x,t_x,T,m,currency,name\n"
        "shopify:bob@example.com,2,10,30,40.5,USD,Bob Renamed\n"
        "shopify:carol@example.com,1,5,30,20,USD,\n"  # no new customer: no new row
    )
    clvtui_ok("fit", "--summary", summary, "--as-of", "2024-06-30", "--db", fitted)
    db = sqlite_utils.Database(fitted)
    assert blob_identity_current(db, run) == []  # the table moved on: joined again
    named = scores_columns(db, run, ["customer_id"], customer_columns=("name",))
    names = dict(zip(named["customer_id"], named["name"], strict=True))
    assert names["shopify:bob@example.com"] == "Bob Renamed"


def test_a_projected_ranking_is_the_whole_one_cut(fitted: Path) -> None:
    db = sqlite_utils.Database(fitted)
    run = latest_run_id(db)
    whole = ranked_customers(db, run)
    assert "first_product" not in whole.columns  # blob extras are not the ranking's
    part = ranked_customers(db, run, ["customer_id", "clv", "tier"])
    assert part.equals(whole.select("customer_id", "clv", "tier"))


def test_sqlite_utils_is_imported_without_pandas() -> None:
    code = (
        "import sys, clvtui, sqlite_utils.db as d; "
        "print(d.pd is None, 'pandas' in sys.modules); import pandas; print(pandas.DataFrame)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    lines = out.stdout.splitlines()
    assert lines[0] == "True False"  # withheld from sqlite_utils, never loaded for it …
    assert "DataFrame" in lines[1]  # … and importable by anyone else afterwards


def test_purchase_times_cover_linked_keys(fitted: Path) -> None:
    from clvtui.store.run_scores import purchase_times

    db = sqlite_utils.Database(fitted)
    ids = db.conn.execute("SELECT customer_id FROM customers").fetchall()
    got = purchase_times(db, [i[0] for i in ids], "2030-01-01")
    want = db.conn.execute(
        "SELECT count(*) FROM orders WHERE is_purchase = 1 AND customer_key IS NOT NULL"
    ).fetchone()[0]
    assert got.height == want and got.schema == {"customer_id": pl.Utf8, "ordered_at": pl.Utf8}
