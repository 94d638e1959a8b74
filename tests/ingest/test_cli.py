"""`clvtui import` through Typer: JSON document, dry run, exit codes, stderr messages."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from clvtui.cli import app
from clvtui.store import open_db
from tests.ingest.conftest import dump, fixture

runner = CliRunner()


def test_json_document(tmp_path) -> None:
    db = tmp_path / "c.db"
    result = runner.invoke(app, ["import", str(fixture("shopify_orders.csv")), "--db", str(db),
                                 "--json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    for key in ("format", "rows_read", "orders_new", "orders_updated", "orders_unchanged",
                "rows_rejected", "customers", "without_identity", "reject_reasons", "mapping",
                "import_id"):  # fmt: skip
        assert key in doc
    assert (doc["format"], doc["rows_read"], doc["orders_new"], doc["rows_rejected"]) == (
        "shopify", 14, 9, 2)  # fmt: skip
    assert (doc["customers"], doc["without_identity"]) == (6, 1)


def test_dry_run_writes_nothing(tmp_path) -> None:
    db = tmp_path / "c.db"
    result = runner.invoke(app, ["import", str(fixture("stripe_payments_jan_jun.csv")),
                                 "--db", str(db), "--dry-run"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Would import" in result.stdout and "ch_01" in result.stdout
    assert not db.exists()
    open_db(db)
    before = dump(open_db(db))
    result = runner.invoke(app, ["import", str(fixture("stripe_payments_jan_jun.csv")),
                                 "--db", str(db), "--dry-run", "--json"])  # fmt: skip
    doc = json.loads(result.stdout)
    assert doc["dry_run"] is True and len(doc["sample_orders"]) == 5
    assert dump(open_db(db)) == before


def test_human_report(tmp_path) -> None:
    result = runner.invoke(app, ["import", str(fixture("square_items.csv")),
                                 "--db", str(tmp_path / "c.db")])  # fmt: skip
    assert result.exit_code == 0
    out = result.stdout
    assert "format:     square" in out
    assert "3 new, 0 updated, 0 unchanged" in out
    assert "no identity: 2 orders" in out
    assert "rejected:   2 rows" in out


def test_bad_file_exit_code_and_stderr(tmp_path) -> None:
    db = tmp_path / "c.db"
    result = runner.invoke(app, ["import", str(fixture("broken_missing_amount.csv")),
                                 "--db", str(db), "--format", "generic"])  # fmt: skip
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "error:" in result.stderr and "--map amount=net" in result.stderr
    assert "Traceback" not in result.stderr


def test_map_option(tmp_path) -> None:
    result = runner.invoke(app, ["import", str(fixture("broken_missing_amount.csv")),
                                 "--db", str(tmp_path / "c.db"), "--format", "generic",
                                 "--map", "amount=net", "--json"])  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["orders_new"] == 1


def test_bad_map_syntax(tmp_path) -> None:
    result = runner.invoke(app, ["import", str(fixture("generic_orders.csv")),
                                 "--db", str(tmp_path / "c.db"), "--map", "amount"])  # fmt: skip
    assert result.exit_code == 1 and "expected FIELD=COLUMN" in result.stderr
