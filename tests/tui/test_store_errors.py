"""The terminal UI never shows a traceback for a database problem: a locked or read-only
database becomes a notification, and the app keeps running."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from textual.widgets import Input

from clvtui.tui.app import ClvApp, make_app
from tests.tui.conftest import SIZE, settle


def _messages(app: ClvApp) -> list[str]:
    return [str(n.message) for n in app._notifications]  # Textual 8.x keeps them here


def _runs(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT count(*) FROM runs").fetchone()[0]
    finally:
        conn.close()


async def test_a_refit_while_another_program_writes_is_a_notification(
    demo_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLVTUI_LOCK_TIMEOUT", "2")  # 1 s quietly, a notice, then give up
    runs = _runs(demo_copy)
    app = make_app(demo_copy)
    holder = sqlite3.connect(demo_copy, isolation_level=None)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("5")
        await settle(pilot, app)
        holder.execute("BEGIN IMMEDIATE")  # another program starts writing
        try:
            await pilot.press("f")
            await settle(pilot, app)
        finally:
            holder.execute("ROLLBACK")
        assert f"Waiting for another clvtui to finish writing to {demo_copy.name}…" in (
            _messages(app)
        )
        locked = [m for m in _messages(app) if "is locked" in m]
        assert locked and str(demo_copy) in locked[0] and "\n" not in locked[0]
        assert app.is_running
        await pilot.press("1")  # still usable
        await settle(pilot, app)
    holder.close()
    assert _runs(demo_copy) == runs


async def test_a_read_only_database_is_shown_and_never_written(demo_copy: Path) -> None:
    before = demo_copy.read_bytes()
    app = ClvApp(demo_copy, read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        assert app.sub_title.endswith("(read-only)")
        await pilot.press("2")
        await settle(pilot, app)
        await pilot.press("5")
        await settle(pilot, app)
        await pilot.press("f")
        await settle(pilot, app)
        refused = [m for m in _messages(app) if "read-only" in m]
        assert refused and refused[0] == (
            f"{demo_copy} is read-only (the file or its folder is not writable for you): "
            "clvtui can show it but not import, fit or save settings into it"
        )
    assert demo_copy.read_bytes() == before


async def test_saving_budget_assumptions_waits_off_screen_and_lands(demo_copy: Path) -> None:
    from clvtui.store import open_db
    from clvtui.store.saved_settings import load_settings

    app = make_app(demo_copy)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("4")
        await settle(pilot, app)
        app.screen.query_one("#in-ltv_cac_ratio", Input).value = "4.5"
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        assert "Assumptions saved as the shop's settings." in _messages(app)
    assert load_settings(open_db(demo_copy, readonly=True)).ltv_cac_ratio == 4.5


async def test_saving_budget_assumptions_on_a_read_only_database(demo_copy: Path) -> None:
    app = ClvApp(demo_copy, read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("4")
        await settle(pilot, app)
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        assert any("is read-only" in m for m in _messages(app))
        assert app.is_running
