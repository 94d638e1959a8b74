"""Shared helpers: fixture paths, a fresh database per test, table dumps for atomicity."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlite_utils

from clvtui.store import open_db

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


@pytest.fixture
def db(tmp_path: Path) -> sqlite_utils.Database:
    return open_db(tmp_path / "clv.db")


def fixture(name: str) -> Path:
    return FIXTURES / name


def orders(db: sqlite_utils.Database, source: str | None = None) -> dict[str, dict]:
    """order_id → stored row (as a dict) for one source (or all)."""
    rows = db.query(
        "SELECT * FROM orders" + (" WHERE source = ?" if source else ""),
        [source] if source else [],
    )
    return {r["order_id"]: r for r in rows}


def dump(db: sqlite_utils.Database) -> dict[str, list[tuple]]:
    """Every row of every table, for byte-for-byte content comparison — but the column
    snapshot: a derived copy of the orders, stamped with the imports log (which an undo keeps,
    marked), rebuilt whenever that moves; tests/store/test_column_snapshot.py checks it."""
    out = {}
    for table in db.table_names():
        if table == "column_snapshots":
            continue
        out[table] = sorted(db.conn.execute(f"SELECT * FROM [{table}]").fetchall(), key=repr)
    return out
