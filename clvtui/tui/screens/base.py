"""What every main screen shares: header, the navigation strip, the footer, error toasts, and
the "no fit yet" empty state."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from textual import events
from textual.app import ComposeResult
from textual.message import Message
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, Header, Static
from textual.worker import Worker, WorkerState

from clvtui.tui.data import DB_ERRORS
from clvtui.tui.screens.registry import MAIN_SCREENS, key_of

if TYPE_CHECKING:
    import sqlite_utils

    from clvtui.tui.app import ClvApp
    from clvtui.tui.data import AppData


def no_fit_yet(mode: str = "") -> str:
    """The one empty-state sentence of a screen with nothing fitted (on Model: just ``f``)."""
    if mode == "model":
        return "No fit yet: press f to fit the model."
    return f"No fit yet: press {key_of('model')}, then f to fit the model."


@dataclass
class NoFitYet(Message):
    """Posted by ``FitReader.latest_run`` from a worker: the database has no fitted run."""

    message: str


class NavBar(Static):
    """The main screens with their keys (the screen table); the current one highlighted, each
    clickable."""

    def __init__(self, current: str) -> None:
        super().__init__(classes="navbar")
        self.current = current

    def on_mount(self) -> None:
        self.update(nav_markup(self.current, self.app.size.width))

    def on_resize(self, event: events.Resize) -> None:
        self.update(nav_markup(self.current, event.size.width))


def nav_labels(current: str | None, width: int) -> list[str]:
    """Each main screen's key and title, as many as fit in ``width`` cells: when all titles
    do not fit, the other screens' titles shrink to three letters and "…" (visibly shortened;
    the current screen keeps its whole title), and on a very narrow terminal to the key alone.
    Every key stays on screen."""
    styles = ("full", "short", "key")
    for style in styles:
        labels = [_nav_label(spec.key or "", spec.title, spec.mode == current, style)
                  for spec in MAIN_SCREENS]  # fmt: skip
        if sum(len(label) for label in labels) <= width - 2:
            break
    return labels


def _nav_label(key: str, title: str, current: bool, style: str) -> str:
    if current or style == "full" or (style == "short" and len(title) <= 4):
        return f" {key} {title} "
    return f" {key} {title[:3]}… " if style == "short" else f" {key} "


def nav_markup(current: str | None, width: int) -> str:
    """The bar's markup: the current screen reversed, the others clickable."""
    parts = []
    for spec, text in zip(MAIN_SCREENS, nav_labels(current, width), strict=True):
        if spec.mode == current:
            parts.append(f"[reverse b]{text}[/]")
        else:
            parts.append(f"[@click=app.switch_mode('{spec.mode}')]{text}[/]")
    return "".join(parts)


class KeysFooter(Footer):
    """The footer, rebuilt only when the keys it shows change.

    Textual's footer recomposes (~10 key widgets, mounted and styled) after every bindings
    signal, which includes each time the screen is shown, although a main screen's keys are
    then usually the same as last time. Like the base footer, it looks once the refresh is
    done (focus may still be moving). A change Textual does not signal (a focused widget's
    ``loading``) must call ``refresh_bindings`` (FrameTable does).
    """

    def __init__(self) -> None:
        super().__init__()
        self._shown: tuple[object, ...] | None = None

    @staticmethod
    def _keys(screen: Screen[object]) -> tuple[object, ...]:
        return tuple(
            (binding, enabled, tooltip)
            for _node, binding, enabled, tooltip in screen.active_bindings.values()
        )

    def compose(self) -> ComposeResult:
        self._shown = self._keys(self.screen) if self._bindings_ready else None
        yield from super().compose()

    def bindings_changed(self, screen: Screen[object]) -> None:
        self._bindings_ready = True
        if screen.app.app_focus and self.is_attached and screen is self.screen:
            self.call_after_refresh(self._show_keys)

    async def _show_keys(self) -> None:
        if self._shown is None or self._keys(self.screen) != self._shown:
            await self.recompose()


class WorkerErrors:
    """Any worker that dies of an unexpected error becomes a toast (and the log keeps it)."""

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR and event.worker.error is not None:
            error = event.worker.error
            self.log.error(f"worker {event.worker.name} failed", error)  # type: ignore[attr-defined]
            data = getattr(self.app, "data", None)  # type: ignore[attr-defined]
            if isinstance(error, DB_ERRORS) and data is not None:
                message = data.explain(error)  # locked, read-only, disk full...: one line
            else:
                message = f"{type(error).__name__}: {error}"
            self.notify(message, severity="error", timeout=10)  # type: ignore[attr-defined]


class FitReader(Screen[None]):
    """A screen of a fitted run: the "read the latest run, else show the empty state" step of
    its load worker, in one place and with one wording (``no_fit_yet``)."""

    MODE = ""

    def latest_run(self, db: sqlite_utils.Database) -> dict[str, Any] | None:
        """The latest fitted run; None once this screen has been told to show its empty state
        (a message, so it lands on the UI thread in order with the worker's other messages)."""
        from clvtui.store.runs import latest_run

        run = latest_run(db)
        if run is None:
            self.post_message(NoFitYet(no_fit_yet(self.MODE)))
        return run

    def on_no_fit_yet(self, message: NoFitYet) -> None:
        message.stop()
        self.show_empty(message.message)

    def show_empty(self, message: str) -> None:
        """Show ``message`` where this screen's results go (each screen says where)."""


class StyledOnce(Screen[None]):
    """Re-applies the stylesheet on a switch back only when something it depends on moved.

    Textual re-styles every widget of a screen each time it is shown (~30 ms for Customers
    or the Overview at 1 M, half of a switch), in case the app changed while it was hidden.
    A hidden screen's own class and pseudo-class changes are styled as they happen; what it
    misses is the app's: the stylesheet (theme, CSS), the app's classes and pseudo-classes
    (focus, dark). Those are the key; while it is unchanged, the styles are current. Uses
    Textual internals (8.x): if they move, every switch re-styles, as before.
    """

    _styled_for: tuple[object, ...] | None = None

    def _app_style_key(self) -> tuple[object, ...]:
        app = self.app
        return (app._css_update_count, app.theme, app.pseudo_classes, frozenset(app.classes))

    def _on_screen_resume(self, event: events.ScreenResume) -> None:
        """Runs before Textual's own handler (``Screen._on_screen_resume``), which re-styles
        only when ``refresh_styles`` is still set."""
        try:
            key = self._app_style_key()
        except AttributeError as err:  # Textual internals (8.x) moved: re-style as before
            self.log.warning("style check skipped", err)
            return
        if event.refresh_styles and key == self._styled_for:
            event.refresh_styles = False
        elif self.is_attached:
            # re-styled now with the app's stylesheet (and any refresh pending restyles the
            # current screen): Textual records that only for a screen mounted before its
            # first switch, so the next visit would re-parse the whole stylesheet again
            self._css_update_count = self.app._css_update_count
        self._styled_for = key


class MainScreen(WorkerErrors, FitReader, StyledOnce):
    """A top-level screen (one per mode). Subclasses yield their body from ``compose_body``."""

    # never land in a text box: the number keys must keep working after a switch
    AUTO_FOCUS = "FrameTable, DataTable, DirectoryTree"

    @property
    def clv(self) -> ClvApp:
        return self.app  # type: ignore[return-value]

    @property
    def data(self) -> AppData:
        return self.clv.data

    _first: Future[tuple[dict[str, Any] | None, Message | None]] | None = None

    def read_first(self, read: Callable[[sqlite_utils.Database, dict[str, Any]], Message]) -> None:
        """Start the first load's ``read`` now, from ``compose_body``, for ``post_latest``.

        A first visit composes, mounts and styles the screen (~0.2-0.3 s of the UI thread at
        1 M customers) before its load worker starts; a read that takes a second or more
        (Cohorts, Products: every order) overlaps that instead of following it. Its SQLite,
        decompression and polars work runs outside the GIL.
        """

        def first(data: AppData) -> tuple[dict[str, Any] | None, Message | None]:
            from clvtui.store.runs import latest_run

            db = data.connect()
            run = latest_run(db)
            return run, None if run is None else read(db, run)

        self._first = self.data.read_ahead(first)

    def post_latest(
        self,
        read: Callable[[sqlite_utils.Database, dict[str, Any]], Message],
        failed: Callable[[str], Message],
    ) -> Message | None:
        """In a load worker: post ``read(db, latest run)`` (the one ``read_first`` started, on
        the first load) and return it, or post ``failed(the error's line)`` when it raises a
        ``ClvError``; nothing but the empty state when nothing is fitted yet."""
        from clvtui.errors import ClvError

        ahead, self._first = self._first, None
        try:
            if ahead is not None:
                run, message = ahead.result()
                if run is None:
                    self.post_message(NoFitYet(no_fit_yet(self.MODE)))
            else:
                db = self.data.connect()
                run = self.latest_run(db)
                message = None if run is None else read(db, run)
            if message is not None:
                self.post_message(message)
            return message
        except ClvError as err:
            self.post_message(failed(str(err)))
            return None

    def compose(self) -> ComposeResult:
        yield Header(icon="◆")
        yield NavBar(self.MODE)
        yield from self.compose_body()
        yield KeysFooter()

    def compose_body(self) -> ComposeResult:
        yield from ()

    def on_screen_resume(self) -> None:
        """Reload when the data changed since this screen last loaded (import, fit)."""
        if getattr(self, "_seen_version", None) != self.data.version:
            self._seen_version = self.data.version
            self.reload()

    def reload(self) -> None:
        """Start loading this screen's data (in a worker)."""

    def prepaint(self, widget: Widget | None = None) -> None:
        """Lay out and draw this screen while it is hidden (built ahead by ``prebuild_mode``).

        Showing a screen for the first time lays it out and draws every widget inside the
        switch (~50 ms for a screen of customers); drawn here, the switch finds the lines
        cached, as on any later visit. The drawing waits until ``widget`` (the costly one) has
        handled the resize the layout sends it, which would drop its cached lines again.
        Uses Textual internals (8.x): if they move, the screen is drawn at the switch, as before.
        """
        if self.is_current or not self.is_attached:
            return
        try:
            self._refresh_layout(self.app.size)
        except AttributeError as err:
            self.log.warning("prepaint skipped", err)
            return
        (widget or self).call_later(self._draw_hidden)

    def _draw_hidden(self) -> None:
        if self.is_current:
            return  # shown meanwhile: drawn the normal way
        try:
            self._compositor.render_update(full=True)  # into the widgets' caches; not displayed
        except AttributeError as err:
            self.log.warning("prepaint skipped", err)

    def fail(self, message: str) -> None:
        """A user-facing problem as a toast, never a traceback."""
        self.notify(message, severity="error", timeout=8)
