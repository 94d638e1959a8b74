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


def test_allocator_returns_freed_memory_even_under_a_polars_parent() -> None:
    """A child of a Python process that imported polars inherits polars' jemalloc default
    (freed pages kept ~1 s, ~0.3 GB more peak at 1 M customers); the CLI appends its own
    setting (the last option wins) but keeps a value the user chose. Run in a fresh
    interpreter, where polars is not loaded yet, as in the real CLI process."""
    import os
    import subprocess
    import sys

    probe = (
        "import os, sys\n"
        "from clvtui.cli.import_cmd import _return_freed_memory\n"
        "_return_freed_memory()\n"
        "print(os.environ.get('_RJEM_MALLOC_CONF'))\n"
    )
    ours = "dirty_decay_ms:0,muzzy_decay_ms:0"
    polars_default = "dirty_decay_ms:500,muzzy_decay_ms:1000"
    cases = {
        None: ours,
        polars_default: f"{polars_default},{ours}",
        "dirty_decay_ms:200": "dirty_decay_ms:200",  # the user's own choice is kept
    }
    for given, expected in cases.items():
        env = {k: v for k, v in os.environ.items() if k != "_RJEM_MALLOC_CONF"}
        if given is not None:
            env["_RJEM_MALLOC_CONF"] = given
        out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True,
                             text=True, check=True)  # fmt: skip
        assert out.stdout.strip() == expected, given
    # the orders fit's own wait (``fit_cmd.ORDERS_FIT_DECAY_MS``) in place of ours
    env = {k: v for k, v in os.environ.items() if k != "_RJEM_MALLOC_CONF"}
    fit_probe = probe.replace("_return_freed_memory()", "_return_freed_memory(100)")
    out = subprocess.run([sys.executable, "-c", fit_probe], env=env, capture_output=True,
                         text=True, check=True)  # fmt: skip
    assert out.stdout.strip() == "dirty_decay_ms:100,muzzy_decay_ms:100"


def test_db_given_before_the_command_is_the_one_used(tmp_path, monkeypatch) -> None:
    """`clvtui --db FILE import …` writes to FILE, not to $CLVTUI_DB or the per-user file."""
    elsewhere = tmp_path / "default.db"
    monkeypatch.setenv("CLVTUI_DB", str(elsewhere))
    db = tmp_path / "mine.db"
    result = runner.invoke(app, ["--db", str(db), "import", str(fixture("shopify_orders.csv"))])
    assert result.exit_code == 0, result.output
    assert db.exists() and not elsewhere.exists()
    assert open_db(db).conn.execute("SELECT count(*) FROM orders").fetchone()[0] == 9
    # the command's own --db still wins, and a later call without it goes back to the default
    other = tmp_path / "other.db"
    result = runner.invoke(
        app, ["--db", str(db), "import", str(fixture("shopify_orders.csv")), "--db", str(other)]
    )
    assert result.exit_code == 0, result.output
    assert other.exists()
    result = runner.invoke(app, ["import", str(fixture("shopify_orders.csv"))])
    assert result.exit_code == 0, result.output
    assert elsewhere.exists()


def test_missing_file_or_folder_creates_no_database(tmp_path) -> None:
    db = tmp_path / "new.db"
    result = runner.invoke(app, ["import", str(tmp_path / "nope.csv"), "--db", str(db)])
    assert result.exit_code == 1
    assert result.stderr.strip() == f"error: {tmp_path / 'nope.csv'}: no such file"
    (tmp_path / "exports").mkdir()
    result = runner.invoke(app, ["import", str(tmp_path / "exports"), "--db", str(db)])
    assert result.exit_code == 1
    assert "exports: is a folder; expected an export file" in result.stderr
    assert not db.exists()


def test_dry_run_says_what_would_happen_in_major_units(tmp_path) -> None:
    result = runner.invoke(app, ["import", str(fixture("excel_saved_orders.csv")), "--dry-run",
                                 "--db", str(tmp_path / "c.db")])  # fmt: skip
    out = result.stdout
    assert result.exit_code == 0, out
    assert "rows read:  7  →  3 orders (3 purchases)" in out
    assert "skipped:    3 rows — blank rows (only separators)" in out
    assert "rejected:   1 row (would be kept in the rejects table):" in out
    assert "kept in the rejects table" not in out.replace("would be kept in the rejects", "")
    assert "1 × a totals row (labelled 'Total'), not an order  (row 8)" in out
    assert "c2  $20.50  completed" in out and "minor units" not in out
    result = runner.invoke(app, ["import", str(fixture("woocommerce_orders.csv")), "--dry-run",
                                 "--db", str(tmp_path / "c.db")])  # fmt: skip
    assert "201  2024-03-05T14:22:10Z  17  1,234.56 EUR  completed" in result.stdout
    assert "no identity: 1 order (0.0% of purchase revenue) — would be kept" in result.stdout


def test_hopeless_file_is_refused_before_polars_loads(tmp_path) -> None:
    """A 6 MB file without a line break is refused by the stdlib preflight: the CLI never
    loads polars (~0.7 s of start-up) nor opens a database for it."""
    import subprocess
    import sys

    path = tmp_path / "one_line.csv"
    path.write_bytes(b"customer,date,amount,text " * 250_000)
    db = tmp_path / "c.db"
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from clvtui.cli import app\n"
        f"r = CliRunner().invoke(app, ['import', {str(path)!r}, '--db', {str(db)!r}])\n"
        "print(r.exit_code, 'polars' in sys.modules)\n"
        "print(r.stderr.strip())\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    status, message = out.stdout.splitlines()
    assert status == "1 False"
    assert message == (
        f"error: {path}: line 1: the header row is longer than 1 MB without a line break; "
        "expected a row of column names"
    )
    assert not db.exists()
