"""Import (6): pick a shop export, preview what would be imported, import with progress.

The preview is the real importer in ``dry_run`` mode (nothing written), so what you see is
exactly what the import will do. Import runs in a thread worker; progress arrives as
coalescing messages so a fast import never floods the UI.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import (
    Button,
    DataTable,
    DirectoryTree,
    Input,
    Label,
    ProgressBar,
    Select,
    Static,
)

from clvtui.errors import ClvError, MappingError
from clvtui.tui.data import DB_ERRORS
from clvtui.tui.screens.base import MainScreen
from clvtui.tui.screens.import_parts import (
    ExportTree,
    ImportDone,
    ImportFailed,
    ImportProgress,
    PreviewReady,
    counted,
    formats,
    import_summary,
    mapping_rows,
    preview_summary,
    reasons_text,
    sample_rows,
    settings_rows,
    zone_problem,
)

#: What the screen calls its mapping box in advice (the CLI says ``--map``).
MAP_CONTROL = "Map columns (m)"


class ImportScreen(MainScreen):
    MODE = "import"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("p", "preview", "Preview", id="preview", tooltip="Dry run: nothing is written"),
        Binding("i", "import", "Import", id="import", tooltip="Import the previewed file"),
        Binding(
            "m", "edit_mapping", "Map columns", id="map",
            tooltip="Name the file's column for a field (amount=Total), or a currency "
            "(currency=EUR); Enter previews again",
        ),
        Binding("escape", "leave_input", "Back", id="leave-input", show=False),
    ]  # fmt: skip
    DEFAULT_CSS = """
    #import-field { width: 1fr; max-width: 24; }
    #import-column { width: 1fr; }
    .import-hint { width: 1fr; text-wrap: nowrap; text-overflow: ellipsis; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.previewed: Path | None = None
        # the import uses what the preview showed: its zone and the columns the user named
        self.previewed_zone: str | None = None
        self.previewed_mapping: dict[str, str] = {}
        self.chosen: Path | None = None  # the file last previewed (or tried): a new one resets
        self.suggested_format: str | None = None  # chosen by a mapping fix, not by the user

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="import-body"):
            with Vertical(id="import-picker"):
                yield Label(
                    "File (type a path and press Enter, or pick below)", classes="import-hint"
                )
                yield Input(placeholder="path/to/orders_export.csv", id="import-path")
                yield ExportTree(Path.cwd(), id="import-tree")
            with VerticalScroll(id="import-side"):
                with Horizontal(classes="toolbar"):
                    yield Select(
                        [("auto-detect format", "auto"), *[(f, f) for f in formats()]],
                        value="auto",
                        allow_blank=False,
                        id="import-format",
                        tooltip="The export's format (shop); auto-detect reads the header",
                    )
                    # the keys (p, i) are in the footer: short labels fit 80 columns
                    yield Button("Preview", id="import-preview")
                    yield Button("Import", id="import-go", variant="primary", disabled=True)
                yield from settings_rows()
                yield Static("Pick a file to see what would be imported.", id="import-summary")
                mapping = DataTable(id="import-mapping", cursor_type="none")
                mapping.border_title = "Column mapping"
                yield mapping
                sample = DataTable(id="import-sample", cursor_type="row", zebra_stripes=True)
                sample.border_title = "First orders"
                yield sample
                yield ProgressBar(id="import-progress", show_eta=True)
                yield Static("", id="import-report")

    def on_mount(self) -> None:
        self.query_one("#import-progress", ProgressBar).display = False
        self.query_one("#import-mapping", DataTable).add_columns("Field", "Column in the file")

    # --- choosing a file -------------------------------------------------------------------
    @on(DirectoryTree.FileSelected)
    def file_picked(self, event: DirectoryTree.FileSelected) -> None:
        self.query_one("#import-path", Input).value = str(event.path)
        self.preview(Path(event.path))

    @on(Input.Submitted, "#import-path")
    def path_typed(self, event: Input.Submitted) -> None:
        self.preview(Path(event.value).expanduser())

    def action_leave_input(self) -> None:
        if isinstance(self.focused, Input):
            self.query_one("#import-tree").focus()

    def action_edit_mapping(self) -> None:
        self.query_one("#import-map", Input).focus()

    def current_path(self) -> Path | None:
        text = self.query_one("#import-path", Input).value.strip()
        return Path(text).expanduser() if text else None

    def current_format(self) -> str:
        return str(self.query_one("#import-format", Select).value)

    def current_timezone(self) -> str | None:
        """The typed zone (None: the format's default); a bad one is reported, never used."""
        text = self.query_one("#import-timezone", Input).value.strip()
        problem = zone_problem(text)
        if problem is not None:
            raise ClvError(problem)
        return text or None

    def current_mapping(self) -> dict[str, str]:
        """The columns named in the mapping box (``services.importing.parse_mapping``)."""
        from clvtui.services.importing import parse_mapping

        return parse_mapping(self.query_one("#import-map", Input).value)

    def _stale(self, what: str) -> None:
        """A preview made with other settings no longer says what the import would do."""
        self.previewed = None
        self.query_one("#import-go", Button).disabled = True
        self.query_one("#import-summary", Static).update(
            f"{what} changed: press Enter (or p) to preview again."
        )

    @on(Input.Changed, "#import-timezone")
    def timezone_changed(self, event: Input.Changed) -> None:
        if self.previewed is not None and (event.value.strip() or None) != self.previewed_zone:
            self._stale("Time zone")

    @on(Input.Changed, "#import-map")
    def mapping_changed(self) -> None:
        if self.previewed is None:
            return
        try:
            changed = self.current_mapping() != self.previewed_mapping
        except ClvError:
            changed = True
        if changed:
            self._stale("Mapping")

    @on(Input.Submitted, "#import-timezone")
    @on(Input.Submitted, "#import-map")
    def setting_typed(self) -> None:
        path = self.current_path()
        if path is not None:
            self.preview(path)

    @on(Button.Pressed, "#import-preview")
    def action_preview(self) -> None:
        path = self.current_path()
        if path is None:
            self.notify("Pick a file first (or type its path).")
            return
        self.preview(path)

    @on(Select.Changed, "#import-format")
    def format_changed(self) -> None:
        if self.previewed is not None:
            self.preview(self.previewed)

    # --- preview (dry run) -----------------------------------------------------------------
    def clear_results(self) -> None:
        """Forget the previous preview: its mapping, sample orders and rejects."""
        self.previewed = None
        self.query_one("#import-go", Button).disabled = True
        self.query_one("#import-mapping", DataTable).clear()
        self.query_one("#import-sample", DataTable).clear(columns=True)
        self.query_one("#import-report", Static).update("")
        self._offer_columns([])

    def preview(self, path: Path) -> None:
        from clvtui.ingest.csvscan import check_input

        if self.chosen is not None and path != self.chosen:
            # another file: the columns (and format) fixed for the last one mean nothing here
            self.query_one("#import-map", Input).value = ""
            if self.suggested_format and self.current_format() == self.suggested_format:
                self.query_one("#import-format", Select).value = "auto"
            self.suggested_format = None
        self.chosen = path
        self.clear_results()
        try:
            check_input(path)  # "no such file", "is a folder", "permission denied"
            zone = self.current_timezone()
            mapping = self.current_mapping()
        except ClvError as err:
            self.on_import_failed(ImportFailed(str(err), preview=True))
            return
        self.query_one("#import-summary", Static).update(f"Reading {path.name}…")
        self.run_preview(path, self.current_format(), zone, mapping)

    @work(thread=True, exclusive=True, exit_on_error=False, group="import")
    def run_preview(
        self,
        path: Path,
        fmt: str,
        timezone: str | None = None,
        mapping: dict[str, str] | None = None,
    ) -> None:
        from clvtui.services.importing import mapping_advice, preview_import

        try:
            db = self.data.connect()
            report = preview_import(db, path, fmt=fmt, timezone=timezone, mapping=mapping)
            self.post_message(PreviewReady(path, report.to_json(), timezone, mapping or {}))
        except MappingError as err:
            advice = mapping_advice(err, MAP_CONTROL)
            self.post_message(ImportFailed(advice, True, dict(err.fixes), err.fmt, err.columns))
        except ClvError as err:
            self.post_message(ImportFailed(str(err), preview=True))

    def on_preview_ready(self, msg: PreviewReady) -> None:
        if msg.path != self.chosen:
            return  # a preview of a file the user has since moved away from
        self.previewed = msg.path
        self.previewed_zone = msg.timezone
        self.previewed_mapping = msg.mapping
        r = msg.report
        self.query_one("#import-summary", Static).update(preview_summary(msg.path, r))
        self._fill_mapping(r.get("mapping") or {})
        self._fill_sample(r.get("sample_orders") or r.get("sample") or [])
        self.query_one("#import-report", Static).update(reasons_text(r))
        self.query_one("#import-go", Button).disabled = False
        self._offer_columns(r.get("columns") or [])

    def _fill_mapping(self, mapping: dict[str, Any]) -> None:
        table = self.query_one("#import-mapping", DataTable)
        table.clear()
        table.add_rows(mapping_rows(mapping))

    def _fill_sample(self, orders: list[dict[str, Any]]) -> None:
        table = self.query_one("#import-sample", DataTable)
        table.clear(columns=True)
        columns, rows = sample_rows(orders)
        table.add_columns(*columns)
        table.add_rows(rows)

    def offer_fix(self, fixes: dict[str, str | None], fmt: str | None) -> None:
        """Put the mapping a failed preview suggests into the box (fields the user already
        named are kept) and choose the format it needs: the fix is then one key (p)."""
        from clvtui.services.importing import mapping_text

        box = self.query_one("#import-map", Input)
        try:
            named = self.current_mapping()
        except ClvError:
            return  # the box does not parse: leave the user's text alone
        extra = {f: c for f, c in fixes.items() if f not in named and c}
        if extra:
            box.value = ", ".join(t for t in (box.value.strip(), mapping_text(extra)) if t)
        if fmt and self.current_format() == "auto":
            self.query_one("#import-format", Select).value = fmt
            self.suggested_format = fmt

    def _offer_columns(self, columns: list[str]) -> None:
        """The file's columns to pick from (none until a preview has read its header)."""
        picker = self.query_one("#import-column", Select)
        picker.set_options([(c, c) for c in columns])
        picker.disabled = not columns

    @on(Select.Changed, "#import-column")
    def use_column(self) -> None:
        """Put the picked field=column into the mapping box and preview with it (a column
        cleared by a new file's header is not a pick)."""
        from clvtui.services.importing import with_pair

        field_name = self.query_one("#import-field", Select).value
        column = self.query_one("#import-column", Select).value
        if not isinstance(column, str):
            return
        if not isinstance(field_name, str):
            self.notify("Pick the field first, then the file's column for it.")
            return
        box = self.query_one("#import-map", Input)
        try:
            box.value = with_pair(box.value, field_name, column)
        except ClvError as err:
            self.fail(str(err))
            return
        path = self.current_path()
        if path is not None:
            self.preview(path)

    # --- import ----------------------------------------------------------------------------
    @on(Button.Pressed, "#import-go")
    def action_import(self) -> None:
        if self.previewed is None:
            self.notify("Preview a file first (p): you will see what the import will do.")
            return
        bar = self.query_one("#import-progress", ProgressBar)
        bar.display = True
        bar.update(total=None, progress=0)
        self.query_one("#import-go", Button).disabled = True
        self.query_one("#import-summary", Static).update(f"Importing {self.previewed.name}…")
        self.run_import(
            self.previewed, self.current_format(), self.previewed_zone, self.previewed_mapping
        )

    @work(thread=True, exclusive=True, exit_on_error=False, group="import")
    def run_import(
        self,
        path: Path,
        fmt: str,
        timezone: str | None = None,
        mapping: dict[str, str] | None = None,
    ) -> None:
        from clvtui.services.importing import import_orders

        def progress(done: int, total: int | None) -> None:
            self.post_message(ImportProgress(done, total))

        try:
            db = self.data.connect(write=True)
            report = import_orders(
                db, path, fmt=fmt, progress=progress, timezone=timezone, mapping=mapping
            )
            self.post_message(ImportDone(path, report.to_json()))
        except DB_ERRORS as err:
            self.post_message(ImportFailed(self.data.explain(err)))

    def on_import_progress(self, msg: ImportProgress) -> None:
        self.query_one("#import-progress", ProgressBar).update(total=msg.total, progress=msg.done)

    def on_import_done(self, msg: ImportDone) -> None:
        bar = self.query_one("#import-progress", ProgressBar)
        bar.update(total=1, progress=1)
        r = msg.report
        self.previewed = None
        self.query_one("#import-summary", Static).update(import_summary(msg.path, r))
        self.query_one("#import-report", Static).update(reasons_text(r))
        self.notify(f"Imported {counted(r, 'orders_new', 'new order')} from {msg.path.name}")
        if r.get("currency_warning"):
            self.notify(str(r["currency_warning"]), severity="warning", timeout=12)
        self.clv.data_changed()

    def on_import_failed(self, msg: ImportFailed) -> None:
        self.query_one("#import-progress", ProgressBar).display = False
        what = "Preview" if msg.preview else "Import"
        if msg.preview:
            self.clear_results()  # nothing of an earlier file may look like this one's
        self.query_one("#import-summary", Static).update(f"{what} failed: {msg.message}")
        if msg.fixes is not None:
            self.offer_fix(msg.fixes, msg.fmt)
        self._offer_columns(msg.columns or [])
        self.fail(msg.message.splitlines()[0])
