"""Import (6): pick a shop export, preview what would be imported, import with progress.

The preview is the real importer in ``dry_run`` mode (nothing written), so what you see is
exactly what the import will do. Import runs in a thread worker; progress arrives as
coalescing messages so a fast import never floods the UI.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.validation import ValidationResult, Validator
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

from clvtui.errors import ClvError
from clvtui.tui.data import DB_ERRORS
from clvtui.tui.screens.base import MainScreen
from clvtui.tui.widgets.fmt import count
from clvtui.wording import plural

EXPORT_SUFFIXES = {".csv", ".tsv", ".txt", ".xlsx", ".xls"}
FALLBACK_FORMATS = [
    "shopify", "woocommerce", "etsy", "square", "stripe", "paypal", "online-retail", "generic",
]  # fmt: skip


class ExportTree(DirectoryTree):
    """Folders and files that look like exports (CSV, TSV, TXT, Excel); no hidden files."""

    def filter_paths(self, paths: Iterable[Path]) -> Iterable[Path]:
        return [
            p
            for p in paths
            if not p.name.startswith(".") and (p.is_dir() or p.suffix.lower() in EXPORT_SUFFIXES)
        ]


@dataclass
class PreviewReady(Message):
    path: Path
    report: dict[str, Any]
    timezone: str | None = None


@dataclass
class ImportProgress(Message):
    done: int
    total: int | None

    def can_replace(self, message: Message) -> bool:  # coalesce floods of progress
        return isinstance(message, ImportProgress)


@dataclass
class ImportDone(Message):
    path: Path
    report: dict[str, Any]


@dataclass
class ImportFailed(Message):
    message: str
    preview: bool = field(default=False)


class TimeZone(Validator):
    """An IANA zone name (empty: the format's default, UTC for most)."""

    def validate(self, value: str) -> ValidationResult:
        problem = zone_problem(value)
        return self.success() if problem is None else self.failure(problem)


def zone_problem(text: str) -> str | None:
    """Why ``text`` is not a usable time zone, or None (empty is fine: the default)."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    name = text.strip()
    if not name:
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return f"unknown time zone {name!r}: use an IANA name such as Europe/Berlin"
    return None


def _formats() -> list[str]:
    try:
        from clvtui.ingest import FORMATS

        return list(FORMATS)
    except ImportError:
        return FALLBACK_FORMATS


class ImportScreen(MainScreen):
    MODE = "import"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("p", "preview", "Preview", id="preview", tooltip="Dry run: nothing is written"),
        Binding("i", "import", "Import", id="import", tooltip="Import the previewed file"),
        Binding("escape", "leave_input", "Back", id="leave-input", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.previewed: Path | None = None
        self.previewed_zone: str | None = None  # the import uses what the preview showed

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="import-body"):
            with Vertical(id="import-picker"):
                yield Label("File (type a path and press Enter, or pick below)")
                yield Input(placeholder="path/to/orders_export.csv", id="import-path")
                yield ExportTree(Path.cwd(), id="import-tree")
            with VerticalScroll(id="import-side"):
                with Horizontal(classes="toolbar"):
                    yield Label("Format ")
                    yield Select(
                        [("auto-detect", "auto"), *[(f, f) for f in _formats()]],
                        value="auto",
                        allow_blank=False,
                        id="import-format",
                    )
                    yield Button("Preview (p)", id="import-preview")
                    yield Button("Import (i)", id="import-go", variant="primary", disabled=True)
                with Horizontal(classes="toolbar"):
                    yield Label("Time zone ")
                    yield Input(
                        placeholder="UTC",
                        id="import-timezone",
                        validators=[TimeZone()],
                        tooltip="Zone of order times written without one (WooCommerce site "
                        "time, most generic CSVs), e.g. Europe/Berlin. Empty: UTC (UCI Online "
                        "Retail: Europe/London). Times with an offset are not affected.",
                    )
                    yield Label("for zone-less times (WooCommerce, CSV)", id="import-zone-hint")
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

    @on(Input.Changed, "#import-timezone")
    def timezone_changed(self, event: Input.Changed) -> None:
        """A preview made with another zone no longer says what the import would do."""
        if self.previewed is not None and (event.value.strip() or None) != self.previewed_zone:
            self.previewed = None
            self.query_one("#import-go", Button).disabled = True
            self.query_one("#import-summary", Static).update(
                "Time zone changed: press Enter (or p) to preview again."
            )

    @on(Input.Submitted, "#import-timezone")
    def timezone_typed(self) -> None:
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
    def preview(self, path: Path) -> None:
        from clvtui.ingest.csvscan import check_input

        try:
            check_input(path)  # "no such file", "is a folder", "permission denied"
        except ClvError as err:
            self.fail(str(err))
            return
        self.previewed = None
        self.query_one("#import-go", Button).disabled = True
        self.query_one("#import-report", Static).update("")
        try:
            zone = self.current_timezone()
        except ClvError as err:
            self.query_one("#import-summary", Static).update(f"Preview not run: {err}")
            self.fail(str(err))
            return
        self.query_one("#import-summary", Static).update(f"Reading {path.name}…")
        self.run_preview(path, self.current_format(), zone)

    @work(thread=True, exclusive=True, exit_on_error=False, group="import")
    def run_preview(self, path: Path, fmt: str, timezone: str | None = None) -> None:
        from clvtui.services.importing import preview_import

        try:
            db = self.data.connect()
            report = preview_import(db, path, fmt=fmt, timezone=timezone)
            self.post_message(PreviewReady(path, report.to_json(), timezone))
        except ClvError as err:
            self.post_message(ImportFailed(str(err), preview=True))

    def on_preview_ready(self, msg: PreviewReady) -> None:
        self.previewed = msg.path
        self.previewed_zone = msg.timezone
        r = msg.report
        if "orders" in r:  # a dry run counts the file's orders, not new versus stored ones
            orders = f"{_n(r, 'orders', 'order')} ({_n(r, 'purchases', 'purchase')}), "
        else:
            orders = (
                f"{_n(r, 'orders_new', 'new order')}, {count(r.get('orders_updated'))} "
                f"updated, {count(r.get('orders_unchanged'))} unchanged, "
            )
        summary = (
            f"[b]{msg.path.name}[/b] — format [b]{r.get('format', '?')}[/b]: "
            f"{_n(r, 'rows_read', 'row')} → {orders}"
            f"{count(r.get('rows_rejected'))} would be rejected; {_n(r, 'customers', 'customer')}"
        )
        if r.get("without_identity"):
            summary += f"; {_n(r, 'without_identity', 'order')} without a customer identity"
        summary += ".\nNothing has been written yet: press [b]i[/b] to import."
        self.query_one("#import-summary", Static).update(summary)
        self._fill_mapping(r.get("mapping") or {})
        self._fill_sample(r.get("sample_orders") or r.get("sample") or [])
        self.query_one("#import-report", Static).update(_reasons_text(r))
        self.query_one("#import-go", Button).disabled = False

    def _fill_mapping(self, mapping: dict[str, Any]) -> None:
        table = self.query_one("#import-mapping", DataTable)
        table.clear()
        for field_name, column in mapping.items():
            table.add_row(field_name, "–" if column is None else str(column))

    def _fill_sample(self, rows: list[dict[str, Any]]) -> None:
        table = self.query_one("#import-sample", DataTable)
        table.clear(columns=True)
        if not rows:
            return
        rows = [_readable(row) for row in rows[:20]]
        columns = list(rows[0].keys())
        table.add_columns(*columns)
        for row in rows:
            table.add_row(*["" if row.get(c) is None else str(row.get(c)) for c in columns])

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
        self.run_import(self.previewed, self.current_format(), self.previewed_zone)

    @work(thread=True, exclusive=True, exit_on_error=False, group="import")
    def run_import(self, path: Path, fmt: str, timezone: str | None = None) -> None:
        from clvtui.services.importing import import_orders

        def progress(done: int, total: int | None) -> None:
            self.post_message(ImportProgress(done, total))

        try:
            db = self.data.connect(write=True)
            report = import_orders(db, path, fmt=fmt, progress=progress, timezone=timezone)
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
        text = (
            f"[b]Imported {msg.path.name}[/b] ({r.get('format', '?')}): "
            f"{_n(r, 'orders_new', 'new order')}, {count(r.get('orders_updated'))} updated, "
            f"{count(r.get('orders_unchanged'))} unchanged, "
            f"{_n(r, 'rows_rejected', 'row')} rejected; {_n(r, 'customers', 'customer')}"
            + (f", {count(r['customers_linked'])} linked by e-mail to a customer already known"
               if r.get("customers_linked") else "")
            + ".\nNext: press [b]5[/b], then [b]f[/b] to fit the model."
        )  # fmt: skip
        self.query_one("#import-summary", Static).update(text)
        self.query_one("#import-report", Static).update(_reasons_text(r))
        self.notify(f"Imported {_n(r, 'orders_new', 'new order')} from {msg.path.name}")
        if r.get("currency_warning"):
            self.notify(str(r["currency_warning"]), severity="warning", timeout=12)
        self.clv.data_changed()

    def on_import_failed(self, msg: ImportFailed) -> None:
        self.query_one("#import-progress", ProgressBar).display = False
        what = "Preview" if msg.preview else "Import"
        self.query_one("#import-summary", Static).update(f"{what} failed: {msg.message}")
        self.fail(msg.message)


def _readable(order: dict[str, Any]) -> dict[str, Any]:
    """A sample order with its money in major units ("$54.00", "54.00 EUR"), not minor."""
    from clvtui.core.money import format_minor

    out = {}
    for key, value in order.items():
        if key in ("amount_minor", "refunded_minor") and isinstance(value, int):
            out[key.removesuffix("_minor")] = format_minor(value, order.get("currency"))
        else:
            out[key] = value
    return out


def _n(report: dict[str, Any], key: str, noun: str) -> str:
    """A report count with its noun ("1 order", "3 orders"); "–" when absent."""
    value = report.get(key)
    return plural(value, noun) if isinstance(value, int) else f"{count(value)} {noun}s"


def _reasons_text(report: dict[str, Any]) -> str:
    """Reject reasons with their counts (the report's summary, whatever its shape)."""
    reasons = report.get("reject_reasons") or report.get("rejects") or {}
    if isinstance(reasons, dict):
        items = sorted(reasons.items(), key=lambda kv: -_as_int(kv[1]))
    elif isinstance(reasons, list):
        items = [
            (r.get("reason", "?"), r.get("rows", r.get("count", 0)))
            if isinstance(r, dict)
            else (str(r), "")
            for r in reasons
        ]
    else:
        items = []
    if not items:
        return ""
    lines = ["[b]Rejected rows by reason[/b]"]
    lines += [f"  {count(_as_int(n))} × {reason}" for reason, n in items[:10]]
    return "\n".join(lines)


def _as_int(value: Any) -> int:
    if isinstance(value, dict):
        value = value.get("rows", value.get("count", 0))
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0
