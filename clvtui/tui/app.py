"""The clvtui Textual app: the main screens as modes (from ``screens/registry.py``), help,
command palette.

``make_app(db_path)`` is the one factory used by the CLI, the tests, the snapshots and the
benchmark.
"""

from __future__ import annotations

import asyncio
import gc
import time
from pathlib import Path
from typing import Any, ClassVar

from textual import events
from textual.app import App
from textual.binding import Binding, BindingType
from textual.widget import AwaitMount
from textual.widgets import DataTable

from clvtui.tui.commands import ClvCommands
from clvtui.tui.data import AppData, WorkerPool
from clvtui.tui.help import HelpScreen
from clvtui.tui.screens.registry import MAIN_SCREENS
from clvtui.tui.widgets.frame_table import FrameTable

__all__ = ["ClvApp", "HelpScreen", "make_app"]

#: seconds frames are held after a switch to a built screen (Textual holds 0.05 s for any)
BUILT_SWITCH_HOLD = 0.001
#: seconds without a key after which the garbage of the last keys is collected
IDLE_COLLECT = 0.5
#: full collections on their own only after this many middle-generation ones (Python: 10)
FULL_COLLECT_AFTER = 1000


class ClvApp(App[None]):
    """Customer lifetime value for one shop database."""

    TITLE = "clvtui"
    CSS_PATH = "app.tcss"
    # one mode and one number key per row of the screen table (screens/registry.py); the
    # classes are imported here, with the app, so a first switch never waits on an import
    MODES: ClassVar[dict[str, Any]] = {s.mode: s.screen_class() for s in MAIN_SCREENS}
    DEFAULT_MODE = MAIN_SCREENS[0].mode or ""
    # classes for the stylesheet: "-narrow" under 110 columns, "-short" under 32 rows
    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = [(0, "-narrow"), (110, "-wide")]
    VERTICAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = [(0, "-short"), (32, "-tall")]
    COMMANDS: ClassVar[set[Any]] = App.COMMANDS | {ClvCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        *(
            # not in the footer: the navigation bar shows them, and the footer keeps its room
            # for the screen's keys and "? Help  q Quit" at 80 columns
            Binding(s.key or "", f"switch_mode('{s.mode}')", s.title, id=f"go-{s.mode}",
                    tooltip=s.summary, show=False)
            for s in MAIN_SCREENS
        ),
        Binding("question_mark,f1", "help", "Help", id="help", tooltip="Keys and screens"),
        Binding("q", "quit", "Quit", id="quit", tooltip="Leave clvtui"),
        Binding("escape", "back", "Back", id="back", show=False),
    ]  # fmt: skip

    def __init__(self, db_path: Path, *, read_only: bool = False) -> None:
        super().__init__()
        self._switch_to_built = False  # inside ``switch_mode`` to a screen built already
        self.data = AppData(db_path, read_only=read_only)
        self.data.on_wait = self._announce_wait
        self.sub_title = Path(db_path).name + (" (read-only)" if read_only else "")
        self._load_table_css()

    def _load_table_css(self) -> None:
        """Add textual-fastdatatable's stylesheet now, before any screen is styled.

        Its rules select ``DataTable``, so they style Textual's tables too (the Overview's tiers,
        Segments). Textual adds a widget's stylesheet at its first mount and does not restyle
        the screens built before it, so a table's colours depended on whether Customers (the
        first FrameTable, built ahead on a timer) came first: a race a quick key press lost.
        Added here, every table is styled the same whichever screen is built first. Uses
        Textual internals (8.x): if they move, tables are styled as before.
        """
        try:
            for table in (DataTable, FrameTable):  # the order of a usual start: Overview first
                for read_from, css, tie_breaker, scope in table._get_default_css(
                    table.__new__(table)
                ):
                    self.stylesheet.add_source(
                        css, read_from=read_from, is_default_css=True,
                        tie_breaker=tie_breaker, scope=scope,
                    )  # fmt: skip
        except AttributeError as err:
            self.log.warning("table stylesheet not added ahead", err)

    def on_load(self) -> None:
        """Thread workers run on our pool, which closes each work's connections as it returns.

        Textual (8.x) runs them on the event loop's default executor (a move fails
        tests/tui/test_textual_internals.py: the connections would then stay open, and the
        exit would wait ``CLOSE_WAIT`` and leave the -wal/-shm, as before).
        """
        asyncio.get_running_loop().set_default_executor(WorkerPool(self.data.release_thread))

    def on_mount(self) -> None:
        """Full garbage collections at rest, not on a key press.

        Every drawn line (a Textual ``Strip``) holds caches that refer back to it, so each sort
        or page leaves ~3,600 objects only a full collection frees; Python ran one every ~11
        keys, 11–56 ms of CPU at 1 M customers, inside the key it landed on. Here the automatic
        full collection waits ~100× longer, and one runs once the keys pause.
        """
        self._gc_threshold = gc.get_threshold()
        young, middle, _ = self._gc_threshold
        gc.set_threshold(young, middle, FULL_COLLECT_AFTER)
        self._last_key = self._collected = time.monotonic()
        self.set_interval(IDLE_COLLECT, self._collect_at_rest, name="collect at rest")

    def on_unmount(self) -> None:
        """Leaving (a key, or an error): close every connection the app opened, so the last
        one out removes the -wal and -shm beside the database (``AppData.close``)."""
        gc.set_threshold(*self._gc_threshold)
        problem = self.data.close()
        if problem:
            self.log.warning("the database's write-ahead log was left in place:", problem)

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key):
            self._last_key = time.monotonic()
        await super().on_event(event)

    def _collect_at_rest(self) -> None:
        now = time.monotonic()
        if self._last_key > self._collected and now - self._last_key >= IDLE_COLLECT:
            gc.collect()
            self._collected = now

    def _announce_wait(self, path: Path) -> None:
        """Another program holds the write lock: say so (writes run in workers; from the UI
        thread itself, ``call_from_thread`` refuses, so notify directly)."""
        message = f"Waiting for another clvtui to finish writing to {path.name}…"
        try:
            self.call_from_thread(self.notify, message)
        except RuntimeError:  # already on the app's thread
            self.notify(message)

    def action_help(self) -> None:
        """The one help screen, built at the first ``?`` and kept (installed) for the next."""
        if not isinstance(self.screen, HelpScreen):
            if not self.is_screen_installed("help"):
                self.install_screen(HelpScreen(), "help")
            self.push_screen("help")

    def action_back(self) -> None:
        """Escape: leave a drill-down (main screens have nowhere to go back to)."""
        if len(self.screen_stack) > 1:
            self.pop_screen()

    def action_refit(self) -> None:
        """Palette: go to the Model screen and refit."""
        self.switch_mode("model")
        self.call_after_refresh(lambda: self.screen.run_action("refit"))

    def action_export(self) -> None:
        """Palette: export whatever the current screen shows, if it can."""
        screen = self.screen
        if hasattr(screen, "action_export"):
            screen.action_export()
        else:
            self.notify("Nothing to export here: try Customers, Segments or Budget.")

    def switch_mode(self, mode: str) -> AwaitMount:
        """Switch screens; to a screen already built, without Textual's 50 ms hold.

        Textual holds every frame for 50 ms after a switch (``delay_update``), to hide a new
        screen being composed; a screen that exists (built ahead, or visited) has nothing to
        hide, and the hold was half of what a number key took to show its screen.
        """
        self._switch_to_built = mode in self._screen_stacks
        try:
            return super().switch_mode(mode)
        finally:
            self._switch_to_built = False

    def delay_update(self, delay: float = 0.05) -> None:
        super().delay_update(BUILT_SWITCH_HOLD if self._switch_to_built else delay)

    def prebuild_mode(self, mode: str) -> None:
        """Compose and mount a mode's screen now, off screen, so its first switch only shows it.

        A first switch otherwise composes, mounts and styles ~40 widgets in the key press
        (~200 ms for Customers on 2 cores). This is exactly what ``switch_mode`` does on first
        use (``_init_mode``: build, mount, ``ScreenResume``, which starts the screen's load),
        minus making the mode current. A hidden screen is never displayed; Customers draws
        itself into its caches once its rows are in (``MainScreen.prepaint``). Uses Textual
        internals (8.x): if they move, the screen is built at its first switch, as before.
        """
        try:
            if mode in self._screen_stacks or mode == self.current_mode or not self.is_running:
                return  # built already, shown, or the app is closing its screens
            self._init_mode(mode)  # re-styles the app: the new screen is styled as it mounts
            # Textual starts a screen at "styles out of date" and records the update only for
            # a screen already mounted when shown, so without this every switch to the mode
            # would re-parse the whole stylesheet (~60-90 ms)
            self._screen_stacks[mode][0]._css_update_count = self._css_update_count
        except AttributeError as err:  # Textual internals (8.x) moved: build at the switch
            self.log.warning("prebuild skipped", err)

    def open_customer(self, customer_id: str) -> None:
        from clvtui.tui.screens.customer_detail import CustomerScreen

        self.push_screen(CustomerScreen(customer_id))

    def data_changed(self) -> None:
        """After an import or a fit: forget caches; each screen reloads when shown."""
        self.data.forget()
        screen = self.screen
        if hasattr(screen, "on_screen_resume"):
            screen.on_screen_resume()


def make_app(db_path: str | Path) -> ClvApp:
    """The app on ``db_path`` (created empty if missing: Overview then shows a welcome).

    A file we may write is created or migrated once here, before any worker touches it. A
    file we may not write (read-only file or folder) is opened read-only: every screen works,
    import, fit and saving settings say why they cannot.
    """
    from clvtui.store import open_db

    path = Path(db_path)
    read_only = not _writable(path)
    open_db(path, readonly=read_only).conn.close()
    return ClvApp(path, read_only=read_only)


def _writable(path: Path) -> bool:
    """Whether we could write the database (and its -wal/-shm beside it)."""
    import os

    folder = path.parent
    if path.exists():
        return os.access(path, os.W_OK) and os.access(folder, os.W_OK)
    return not folder.exists() or os.access(folder, os.W_OK)
