"""Leaving the app closes every connection it opened: no -wal / -shm left beside the database.

SQLite removes them when the last connection closes, and only if that one may write; the
screens read through read-only connections opened in worker threads, which were never closed.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from clvtui.store.locking import write_transaction
from clvtui.store.runs import latest_run
from clvtui.store.saved_settings import load_settings
from clvtui.tui.app import make_app
from clvtui.tui.data import AppData
from tests.tui.conftest import SIZE, settle


def companions(db: Path) -> list[str]:
    """The -wal and -shm files beside ``db``."""
    return sorted(p.name for p in db.parent.iterdir() if p.name.startswith(db.name + "-"))


def fitted_run(db: Path) -> int:
    conn = sqlite3.connect(db)
    try:
        return int(conn.execute("SELECT max(id) FROM runs").fetchone()[0])
    finally:
        conn.close()


async def test_quitting_removes_the_write_ahead_log(demo_copy: Path) -> None:
    run_id = fitted_run(demo_copy)
    app = make_app(demo_copy)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        for key in ("2", "8", "9"):  # Customers, Cohorts, Products: each reads in a worker
            await pilot.press(key)
            await settle(pilot, app)
        assert app.screen.MODE == "products"
        assert companions(demo_copy) == [demo_copy.name + "-shm", demo_copy.name + "-wal"]
        await pilot.press("q")
        await pilot.pause()
    assert companions(demo_copy) == []
    assert fitted_run(demo_copy) == run_id  # the file is whole without its log


async def test_an_exit_on_an_error_removes_it_too(demo_copy: Path) -> None:
    app = make_app(demo_copy)
    with pytest.raises(ZeroDivisionError):
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot, app)
            await pilot.press("8")
            await settle(pilot, app)
            assert companions(demo_copy) != []
            app.call_later(lambda: 1 / 0)  # an unexpected error: Textual ends the app
            await pilot.pause()
    assert companions(demo_copy) == []


def test_closing_interrupts_a_read_still_running(demo_copy: Path) -> None:
    """A worker's query at the exit is stopped, its connection released, the log removed."""
    data = AppData(demo_copy)
    started, failed = threading.Event(), []

    def read_for_long() -> None:
        try:
            db = data.connect()
            started.set()
            db.conn.execute(
                "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 2000000000) "
                "SELECT count(*) FROM c"
            ).fetchone()
        except sqlite3.OperationalError as err:
            failed.append(str(err))
        finally:
            data.release_thread()

    worker = threading.Thread(target=read_for_long)
    worker.start()
    assert started.wait(10)
    assert companions(demo_copy) != []
    assert data.close() is None
    worker.join()
    assert failed == ["interrupted"]
    assert companions(demo_copy) == []


def test_a_write_under_way_finishes_and_the_last_one_out_removes_the_log(
    demo_copy: Path,
) -> None:
    """A fit or import at the exit is not interrupted: it commits, then removes the log."""
    data = AppData(demo_copy)
    in_transaction, go_on = threading.Event(), threading.Event()

    def write_margin() -> None:
        try:
            db = data.connect(write=True)
            with write_transaction(db, "settings"):
                db.table("settings").upsert({"key": "margin", "value": "0.3"}, pk="key")
                in_transaction.set()
                go_on.wait(10)
        finally:
            data.release_thread()

    worker = threading.Thread(target=write_margin)
    worker.start()
    assert in_transaction.wait(10)
    assert data.close(wait=0.05) is None  # the writer is still at work: the log stays
    assert companions(demo_copy) != []
    go_on.set()
    worker.join()
    assert companions(demo_copy) == []
    reader = AppData(demo_copy).connect()
    try:
        assert load_settings(reader).margin == pytest.approx(0.3, abs=1e-12)
        assert latest_run(reader) is not None
    finally:
        reader.conn.close()


def test_no_connection_once_closing(demo_copy: Path) -> None:
    """A worker that starts while the app leaves opens nothing (it would leave a log again)."""
    from clvtui.store import StoreError

    data = AppData(demo_copy)
    data.close()
    with pytest.raises(StoreError, match="closing"):
        data.connect()
    assert companions(demo_copy) == []


def test_the_demo_build_closes_its_database_before_the_ui_opens(tmp_path: Path) -> None:
    """`clvtui demo` builds, then opens the UI in the same process: a connection the build
    left to the garbage collector (it sits in a reference cycle) kept the log beside the
    file through the whole session, so the UI's exit could not remove it."""
    from clvtui.services.demo import build_demo

    db = tmp_path / "demo.db"
    build_demo(db, customers=300, fmt="shopify", seed=1, fresh=True)
    assert companions(db) == []  # no collection asked for: the build closed its own
