"""`clvtui demo --no-tui` builds a fitted demo shop end to end (scripts and tests use it)."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from clvtui.cli import app


def test_demo_no_tui_builds_a_fitted_database(tmp_path: Path) -> None:
    from clvtui.store import open_db
    from clvtui.store.runs import latest_run
    from clvtui.store.status import database_status

    db = tmp_path / "demo.db"
    result = CliRunner().invoke(
        app, ["demo", "--no-tui", "--db", str(db), "--customers", "500", "--seed", "2"]
    )
    assert result.exit_code == 0, result.output
    assert "500 simulated customers" in result.output
    status = database_status(open_db(db))
    assert status.orders > 500 and status.customers == 500 and status.runs == 1
    run = latest_run(open_db(db))
    assert run is not None and run["holdout_weeks"] == 26 and run["value_kind"] == "net"


def test_demo_refuses_a_database_with_other_orders(tmp_path: Path) -> None:
    db = tmp_path / "shop.db"
    runner = CliRunner()
    first = runner.invoke(app, ["demo", "--no-tui", "--db", str(db), "--customers", "200"])
    assert first.exit_code == 0, first.output
    again = runner.invoke(app, ["demo", "--no-tui", "--db", str(db), "--customers", "200"])
    assert again.exit_code == 1
    assert "already holds" in again.output
