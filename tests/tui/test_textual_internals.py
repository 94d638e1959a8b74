"""The Textual internals clvtui relies on, so an upgrade that moves one fails here by name.

They are used to build and draw screens ahead of their first switch (``ClvApp.prebuild_mode``,
``MainScreen.prepaint``), to add the tables' stylesheets at start (``ClvApp._load_table_css``),
to keep the footer from recomposing (``KeysFooter``) and to swap a virtual table's rows in place
(``FrameTable.show``), and to close each thread worker's connections as its work returns
(``ClvApp.on_load``). Each use falls back to the plain path on an ``AttributeError``, so a move
would only make the app slower (or a table's colours depend on the order screens are built),
silently, without this test.
pyproject pins ``textual<9`` and ``textual-fastdatatable<0.20`` (the tested versions).
"""

from __future__ import annotations

from pathlib import Path

from textual.app import App
from textual.screen import Screen
from textual.widgets import Footer
from textual_fastdatatable import DataTable as FastDataTable

from clvtui.tui.app import make_app
from tests.tui.conftest import SIZE, settle


def test_the_classes_still_have_what_we_call() -> None:
    assert callable(App._init_mode)
    assert callable(Screen._refresh_layout)
    assert "_bindings_ready" in dir(Footer)
    assert callable(FastDataTable._get_default_css)
    for name in ("_clear_caches", "_update_dimensions"):
        assert callable(getattr(FastDataTable, name)), name


async def test_a_running_app_still_has_what_we_read(demo_db: Path) -> None:
    app = make_app(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        assert isinstance(app._screen_stacks, dict)
        assert isinstance(app._css_update_count, int)
        assert isinstance(app.screen._css_update_count, int)
        assert callable(app.screen._compositor.render_update)
        # prebuilding a mode builds its screen off screen, with the app's styles
        app.prebuild_mode("segments")
        await pilot.pause()
        stack = app._screen_stacks["segments"]
        assert stack and stack[0]._css_update_count == app._css_update_count
        assert app.current_mode == "overview"
        await pilot.press("2")
        await settle(pilot, app)
        ranking = app.screen.query_one("#ranking")
        assert isinstance(ranking._update_count, int)


async def test_thread_workers_still_run_on_the_loops_default_executor(demo_db: Path) -> None:
    """``ClvApp.on_load`` makes its ``WorkerPool`` the loop's default executor, so that each
    worker's connections are closed as its work returns: a worker must run on it."""
    import threading

    app = make_app(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        ran_on: list[str] = []
        worker = app.run_worker(lambda: ran_on.append(threading.current_thread().name), thread=True)
        await worker.wait()
        assert ran_on and ran_on[0].startswith("clvtui-worker")
