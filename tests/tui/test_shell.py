"""The app shell: number keys, help, Escape, no text box focused on arrival, empty welcome."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input

from clvtui.tui.app import HelpScreen, make_app
from tests.tui.conftest import SIZE, settle

MODES = ["overview", "customers", "segments", "budget", "model", "import"]


async def test_empty_database_shows_the_welcome(tmp_path: Path) -> None:
    app = make_app(tmp_path / "empty.db")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        assert app.current_mode == "overview"
        assert app.screen.query_one("#welcome").display
        assert not app.screen.query_one("#dashboard").display
        await pilot.click("#welcome-import")
        await pilot.pause()
        assert app.current_mode == "import"


async def test_number_keys_switch_screens_and_never_land_in_a_text_box(demo_db: Path) -> None:
    app = make_app(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        for key, mode in zip("234561", [*MODES[1:], MODES[0]], strict=True):
            await pilot.press(key)
            await settle(pilot, app)
            assert app.current_mode == mode
            assert not isinstance(app.focused, Input), (mode, app.focused)
        # the full tour twice: screens are kept, number keys still work after a round trip
        for key, mode in zip("123456", MODES, strict=True):
            await pilot.press(key)
            await pilot.pause()
            assert app.current_mode == mode


async def test_help_opens_and_escape_closes(demo_db: Path) -> None:
    app = make_app(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)


async def test_number_keys_type_into_a_focused_input(demo_db: Path) -> None:
    """`/` on Customers focuses the filter: digits go into it, Escape leaves it."""
    app = make_app(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2")
        await settle(pilot, app)
        await pilot.press("slash", "3")
        await pilot.pause()
        assert app.current_mode == "customers"
        box = app.screen.query_one("#customer-filter", Input)
        assert box.value == "3"
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.focused, Input)
        await pilot.press("3")
        await pilot.pause()
        assert app.current_mode == "segments"


async def test_quit(demo_db: Path) -> None:
    app = make_app(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0
