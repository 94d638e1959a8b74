"""The UI's ``e`` (a private CSV in ``exports/``, a question before replacing one), and a
tier screen whose previous fit was pruned."""

from __future__ import annotations

import hashlib
import os
from datetime import date
from pathlib import Path

import polars as pl

from clvtui.tui.app import make_app
from clvtui.tui.export_dialog import ReplaceScreen
from tests.tui.conftest import DEMO_CUSTOMERS, SIZE, settle


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


async def test_exporting_twice_asks_before_replacing(demo_copy: Path) -> None:
    old = os.umask(0o022)
    try:
        await _export_twice(demo_copy)
    finally:
        os.umask(old)


async def _export_twice(db: Path) -> None:
    folder = db.parent / "exports"
    first = folder / f"customers-{date.today().isoformat()}.csv"
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("2")
        await settle(pilot, app)
        await pilot.press("e")
        await settle(pilot, app)
        assert pl.read_csv(first).height == DEMO_CUSTOMERS
        assert first.stat().st_mode & 0o777 == 0o600
        assert folder.stat().st_mode & 0o777 == 0o700

        await pilot.press("e")  # again: asks, and "keep both" is the default button
        await settle(pilot, app)
        assert isinstance(app.screen, ReplaceScreen)
        await pilot.press("enter")
        await settle(pilot, app)
        second = folder / f"{first.stem}-2.csv"
        assert pl.read_csv(second).height == DEMO_CUSTOMERS
        assert second.stat().st_mode & 0o777 == 0o600

        first.write_text("edited by hand\n")
        before = sha(first)
        await pilot.press("e")
        await settle(pilot, app)
        await pilot.press("escape")  # cancel: nothing written
        await settle(pilot, app)
        assert not isinstance(app.screen, ReplaceScreen) and sha(first) == before
        assert not (folder / f"{first.stem}-3.csv").exists()

        await pilot.press("e")
        await settle(pilot, app)
        await pilot.press("r")  # replace
        await settle(pilot, app)
        assert pl.read_csv(first).height == DEMO_CUSTOMERS
        assert first.stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in folder.iterdir()) == sorted([first.name, second.name])


async def test_tier_screen_after_the_previous_fit_was_pruned(demo_copy: Path) -> None:
    """The latest fit is always kept; its tier screen still loads, and the Moved tab says
    why it has nothing to compare with instead of failing."""
    from textual.widgets import Static

    from clvtui.pipeline import fit_run
    from clvtui.store import open_db
    from clvtui.store.run_storage import prune_runs
    from clvtui.tui.screens.tier import TierScreen
    from clvtui.tui.widgets.frame_table import FrameTable

    db = open_db(demo_copy)
    latest = fit_run(db, model="bgnbd").run_id
    assert [r["id"] for r in prune_runs(db, 1)["pruned"]] == [latest - 1]
    db.conn.close()
    app = make_app(demo_copy)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("3")
        await settle(pilot, app)
        await pilot.press("enter")
        await settle(pilot, app)
        assert isinstance(app.screen, TierScreen)
        assert app.screen.query_one("#tier-customers", FrameTable).row_count > 0
        note = str(app.screen.query_one("#tier-moved-note", Static).render())
        assert f"Fit #{latest - 1} was pruned" in note
