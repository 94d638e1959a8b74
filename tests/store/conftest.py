"""Helpers for the database-file tests: real files, real child processes, real permissions."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.dbfiles import built_once, private_copy

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
SHOP_EXPORT = FIXTURES / "shopify_orders.csv"  # 9 orders, 6 customers
STRIPE_EXPORT = FIXTURES / "stripe_payments_jan_jun.csv"  # 7 orders
CDNOW_SAMPLE = FIXTURES / "cdnow" / "CDNOW_sample.txt"


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def clvtui(
    *args: str | Path,
    env: dict[str, str] | None = None,
    user: str | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m clvtui ARGS`` in a child process (as ``user`` when given; umask 022)."""
    command = [sys.executable, "-m", "clvtui", *map(str, args)]
    if user is not None and os.geteuid() == 0:
        command = ["setpriv", f"--reuid={user}", "--regid=nogroup", "--clear-groups", *command]
    return subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=os.environ | {"CLVTUI_DB": "/nonexistent/never-used.db"} | (env or {}),
        preexec_fn=lambda: os.umask(0o022),
        cwd=Path(__file__).resolve().parents[2],
    )


def start(*args: str | Path, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """``clvtui ARGS`` started in the background (umask 022)."""
    return subprocess.Popen(
        [sys.executable, "-m", "clvtui", *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ | (env or {}),
        preexec_fn=lambda: os.umask(0o022),
        cwd=Path(__file__).resolve().parents[2],
    )


def one_error_line(stderr: str) -> str:
    """The single ``error: …`` line a refused command prints (and nothing else)."""
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error: "), stderr
    assert "Traceback" not in stderr
    return lines[0]


def table_counts(path: Path) -> dict[str, int]:
    conn = sqlite3.connect(path)
    try:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {n: conn.execute(f"SELECT count(*) FROM [{n}]").fetchone()[0] for n in names}
    finally:
        conn.close()


def integrity(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


@pytest.fixture(scope="session")
def cdnow_exports(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The CDNOW sample as two generic CSV exports: 1997 and 1998 (6,919 orders in all)."""
    import polars as pl

    from clvtui.model.summary import cdnow_orders

    folder = tmp_path_factory.mktemp("exports")
    orders = cdnow_orders(str(CDNOW_SAMPLE)).select(
        customer="customer_id",
        date=pl.col("ordered_at").dt.strftime("%Y-%m-%d"),
        amount=pl.col("amount"),
    )
    first, second = folder / "cdnow_1997.csv", folder / "cdnow_1998.csv"
    orders.filter(pl.col("date") < "1998").write_csv(first)
    orders.filter(pl.col("date") >= "1998").write_csv(second)
    return first, second


@pytest.fixture(scope="session")
def fitted_shop(tmp_path_factory: pytest.TempPathFactory, cdnow_exports: tuple[Path, Path]) -> Path:
    """The CDNOW sample imported and fitted (BG/NBD): a real shop for every command."""

    def build(path: Path) -> None:
        from clvtui.ingest import import_file
        from clvtui.pipeline import fit_run
        from clvtui.store import open_db

        db = open_db(path)
        for export in cdnow_exports:
            import_file(db, export, fmt="generic")
        fit_run(db, model="bgnbd")
        db.conn.close()

    return built_once(tmp_path_factory, "store-cdnow-bgnbd", build, "shop.db")


@pytest.fixture
def shop(fitted_shop: Path, tmp_path: Path) -> Path:
    return private_copy(fitted_shop, tmp_path)


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A folder another user can enter (pytest's own tmp folders are 0700 under root)."""
    folder = Path(tempfile.mkdtemp(prefix="clvtui-perm-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        for sub in [folder, *folder.rglob("*")]:
            if sub.is_dir():
                sub.chmod(0o755)
        shutil.rmtree(folder)


def content(path: Path) -> dict[str, object]:
    """What a user's data is: orders and customers row by row, every other table's size."""
    conn = sqlite3.connect(path)
    try:
        out: dict[str, object] = {
            "orders": conn.execute("SELECT * FROM orders ORDER BY source, order_id").fetchall(),
            "customers": conn.execute("SELECT * FROM customers ORDER BY customer_id").fetchall(),
            "settings": conn.execute("SELECT * FROM settings ORDER BY key").fetchall(),
        }
        for table in ("imports", "rejects", "runs", "scores", "run_segments", "run_frames"):
            out[table] = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        return out
    finally:
        conn.close()


def wait_for(path: Path, process: subprocess.Popen[str], timeout: float = 60) -> None:
    """Until ``path`` exists (the child reached its pause point); fail if the child ended."""
    import time

    end = time.monotonic() + timeout
    while not path.exists():
        if process.poll() is not None:
            raise AssertionError(f"child ended before its pause point: {process.communicate()}")
        if time.monotonic() > end:
            raise AssertionError(f"child never reached {path}")
        time.sleep(0.02)
