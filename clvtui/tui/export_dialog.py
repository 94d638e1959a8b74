"""Where the UI's ``e`` (export) writes, and the question it asks before replacing a file.

Exports go to ``exports/`` beside the database (created user-only), one file per list and
day: ``customers-2026-12-06.csv``. Exporting the same list again that day asks whether to
replace the file, keep both (the new one gets ``-2``, ``-3``, …) or cancel — a file is never
replaced silently. Writing goes through ``insights.customer_lists.write_export``: text a spreadsheet
would run as a formula is neutralised, and the file appears whole, 0600, or not at all.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any, ClassVar

import polars as pl
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from clvtui.errors import ClvError

REPLACE, KEEP_BOTH, CANCEL = "replace", "keep", "cancel"


def export_path(db_path: Path, what: str, day: date | None = None) -> Path:
    """``<db folder>/exports/<what>-<YYYY-MM-DD>.csv`` (the folder is created user-only)."""
    from clvtui.safewrite import private_folder

    folder = private_folder(Path(db_path).parent / "exports")
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in what.lower())
    return folder / f"{safe}-{(day or date.today()).isoformat()}.csv"


def next_free(path: Path) -> Path:
    """``name-2.csv``, ``name-3.csv``, … : the first name not taken (for "keep both")."""
    n = 2
    while True:
        candidate = path.with_name(f"{path.stem}-{n}{path.suffix}")
        if not (candidate.exists() or candidate.is_symlink()):
            return candidate
        n += 1


class ReplaceScreen(ModalScreen[str]):
    """Ask before replacing an earlier export: replace, keep both, or cancel."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "choose('replace')", "Replace"),
        Binding("k", "choose('keep')", "Keep both"),
        Binding("escape,c", "choose('cancel')", "Cancel"),
    ]

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path

    def compose(self) -> ComposeResult:
        with Vertical(id="replace-box"):
            yield Static(f"[b]{self.path.name}[/b] already exists in {self.path.parent}.")
            yield Static("Replace it with this export?", id="replace-question")
            with Horizontal(id="replace-buttons"):
                yield Button("Replace", id=REPLACE, variant="warning")
                yield Button("Keep both", id=KEEP_BOTH, variant="primary")
                yield Button("Cancel", id=CANCEL)
            yield Static("r replace · k keep both (adds -2) · Esc cancel", id="replace-keys")

    def on_mount(self) -> None:
        self.query_one(f"#{KEEP_BOTH}", Button).focus()  # the choice that loses nothing

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id or CANCEL)

    def action_choose(self, choice: str) -> None:
        self.dismiss(choice)


def export_rows(screen: Any, frame: pl.DataFrame, what: str, done: Callable[[Path], str]) -> None:
    """Export ``frame`` as the day's ``what`` CSV, asking first if that file exists.

    ``done(path)`` is the notification shown once written; a failure is an error toast with
    the one-line reason, never a traceback.
    """
    app = screen.app
    try:
        path = export_path(app.data.db_path, what)
    except OSError as err:
        app.notify(f"export failed: cannot create {err.filename}: {err.strerror}", severity="error")
        return

    def write(choice: str | None) -> None:
        if choice not in (REPLACE, KEEP_BOTH, None):
            app.notify("Export cancelled: nothing written.")
            return
        from clvtui.insights.customer_lists import write_export

        target = next_free(path) if choice == KEEP_BOTH else path
        try:
            write_export(frame, target, force=choice == REPLACE)
        except (ClvError, OSError) as err:
            app.notify(f"export failed: {err}", severity="error", timeout=8)
            return
        app.notify(done(target))

    if path.exists() or path.is_symlink():
        app.push_screen(ReplaceScreen(path), write)
    else:
        write(None)


def export_customers_shown(
    screen: Any,
    run_id: int | None,
    customer_ids: pl.Series,
    what: str = "customers",
    noun: str = "customers",
) -> None:
    """Export the customers a screen shows, in its order, as the day's ``what`` CSV with the
    columns ``clvtui export`` writes (``services.exporting.customer_export_frame``: one frame
    for both faces).

    The frame is read on a worker thread (a million customers' scores take a moment); the
    question and the write then happen on the UI thread.
    """
    app = screen.app

    def build() -> None:
        from clvtui.services.exporting import customer_export_frame
        from clvtui.tui.data import DB_ERRORS

        try:
            frame, _ = customer_export_frame(
                app.data.connect(), run_id=run_id, customer_ids=customer_ids
            )
        except DB_ERRORS as err:
            message = f"export failed: {app.data.explain(err)}"
            app.call_from_thread(app.notify, message, severity="error", timeout=8)
            return

        def done(path: Path) -> str:
            return f"Exported {frame.height:,} {noun} to {path}"

        app.call_from_thread(export_rows, screen, frame, what, done)

    screen.run_worker(build, thread=True, exclusive=True, group="export", exit_on_error=False)
