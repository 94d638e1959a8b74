"""Shared: the documented DuckDB summary of fixtures/summary/orders.csv, and a CLI runner."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from clvtui.cli import app
from tests.warehouse.test_duckdb_summary import run_doc_query

SUMMARIES = Path(__file__).resolve().parents[2] / "fixtures" / "summary"
runner = CliRunner()


@pytest.fixture(scope="session")
def summary_parquet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """docs/warehouse.md's DuckDB query over the orders fixture (t_x, T in days)."""
    return run_doc_query("duckdb-summary", tmp_path_factory.mktemp("wh") / "summary.parquet")


@pytest.fixture(scope="session")
def holdout_parquet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return run_doc_query("duckdb-holdout", tmp_path_factory.mktemp("wh") / "holdout.parquet")


def cli(db: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, [*args, "--db", str(db)])
    assert not (result.exception and not isinstance(result.exception, SystemExit)), result.exception
    return result.exit_code, result.stdout, result.stderr
