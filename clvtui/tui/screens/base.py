"""What every main screen shares: header, the 1–6 navigation strip, the footer, error toasts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer, Header, Static
from textual.worker import Worker, WorkerState

if TYPE_CHECKING:
    from clvtui.tui.app import ClvApp
    from clvtui.tui.data import AppData

SCREENS = [
    ("overview", "Overview"),
    ("customers", "Customers"),
    ("segments", "Segments"),
    ("budget", "Budget"),
    ("model", "Model"),
    ("import", "Import"),
]


class NavBar(Static):
    """The six main screens with their keys; the current one highlighted, each clickable."""

    def __init__(self, current: str) -> None:
        super().__init__(classes="navbar")
        self.current = current

    def on_mount(self) -> None:
        parts = []
        for number, (mode, label) in enumerate(SCREENS, start=1):
            text = f" {number} {label} "
            if mode == self.current:
                parts.append(f"[reverse b]{text}[/]")
            else:
                parts.append(f"[@click=app.switch_mode('{mode}')]{text}[/]")
        self.update("".join(parts))


class WorkerErrors:
    """Any worker that dies of an unexpected error becomes a toast (and the log keeps it)."""

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR and event.worker.error is not None:
            error = event.worker.error
            self.log.error(f"worker {event.worker.name} failed", error)  # type: ignore[attr-defined]
            self.notify(  # type: ignore[attr-defined]
                f"{type(error).__name__}: {error}", severity="error", timeout=10
            )


class MainScreen(WorkerErrors, Screen[None]):
    """A top-level screen (one per mode). Subclasses yield their body from ``compose_body``."""

    MODE = ""
    # never land in a text box: the number keys must keep working after a switch
    AUTO_FOCUS = "FrameTable, DataTable, DirectoryTree"

    @property
    def clv(self) -> ClvApp:
        return self.app  # type: ignore[return-value]

    @property
    def data(self) -> AppData:
        return self.clv.data

    def compose(self) -> ComposeResult:
        yield Header(icon="◆")
        yield NavBar(self.MODE)
        yield from self.compose_body()
        yield Footer()

    def compose_body(self) -> ComposeResult:
        yield from ()

    def on_screen_resume(self) -> None:
        """Reload when the data changed since this screen last loaded (import, fit)."""
        if getattr(self, "_seen_version", None) != self.data.version:
            self._seen_version = self.data.version
            self.reload()

    def reload(self) -> None:
        """Start loading this screen's data (in a worker)."""

    def fail(self, message: str) -> None:
        """A user-facing problem as a toast, never a traceback."""
        self.notify(message, severity="error", timeout=8)
