"""The Import screen's parts that hold no screen state: the file tree, the worker messages, the
time-zone check and the wording of a preview or import report."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.validation import ValidationResult, Validator
from textual.widgets import DirectoryTree, Input, Label, Select

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
    mapping: dict[str, str] = field(default_factory=dict)  # the columns the user named


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
    # a preview that naming columns would fix: field → guessed column, and the format needed
    fixes: dict[str, str | None] | None = None
    fmt: str | None = None
    columns: list[str] | None = None  # the file's header, when it could be read


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


def formats() -> list[str]:
    try:
        from clvtui.ingest import FORMATS

        return list(FORMATS)
    except ImportError:
        return FALLBACK_FORMATS


def readable(order: dict[str, Any]) -> dict[str, Any]:
    """A sample order with its money in major units ("$54.00", "54.00 EUR"), not minor."""
    from clvtui.core.money import format_minor

    out = {}
    for key, value in order.items():
        if key in ("amount_minor", "refunded_minor") and isinstance(value, int):
            out[key.removesuffix("_minor")] = format_minor(value, order.get("currency"))
        else:
            out[key] = value
    return out


def counted(report: dict[str, Any], key: str, noun: str) -> str:
    """A report count with its noun ("1 order", "3 orders"); "–" when absent."""
    value = report.get(key)
    return plural(value, noun) if isinstance(value, int) else f"{count(value)} {noun}s"


def reasons_text(report: dict[str, Any]) -> str:
    """Reject reasons with their counts (the report's summary, whatever its shape)."""
    reasons = report.get("reject_reasons") or report.get("rejects") or {}
    if isinstance(reasons, dict):
        items = sorted(reasons.items(), key=lambda kv: -as_int(kv[1]))
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
    lines += [f"  {count(as_int(n))} × {reason}" for reason, n in items[:10]]
    return "\n".join(lines)


def as_int(value: Any) -> int:
    if isinstance(value, dict):
        value = value.get("rows", value.get("count", 0))
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def preview_summary(path: Path, r: dict[str, Any]) -> str:
    """What importing the previewed file would do, in one paragraph."""
    if "orders" in r:  # a dry run counts the file's orders, not new versus stored ones
        orders = f"{counted(r, 'orders', 'order')} ({counted(r, 'purchases', 'purchase')}), "
    else:
        orders = (
            f"{counted(r, 'orders_new', 'new order')}, {count(r.get('orders_updated'))} "
            f"updated, {count(r.get('orders_unchanged'))} unchanged, "
        )
    summary = (
        f"[b]{path.name}[/b] — format [b]{r.get('format', '?')}[/b]: "
        f"{counted(r, 'rows_read', 'row')} → {orders}"
        f"{count(r.get('rows_rejected'))} would be rejected; "
        f"{counted(r, 'customers', 'customer')}"
    )
    if r.get("without_identity"):
        summary += f"; {counted(r, 'without_identity', 'order')} without a customer identity"
    return summary + ".\nNothing has been written yet: press [b]i[/b] to import."


def import_summary(path: Path, r: dict[str, Any]) -> str:
    """What the import did, and the next step."""
    return (
        f"[b]Imported {path.name}[/b] ({r.get('format', '?')}): "
        f"{counted(r, 'orders_new', 'new order')}, {count(r.get('orders_updated'))} updated, "
        f"{count(r.get('orders_unchanged'))} unchanged, "
        f"{counted(r, 'rows_rejected', 'row')} rejected; {counted(r, 'customers', 'customer')}"
        + (f", {count(r['customers_linked'])} linked by e-mail to a customer already known"
           if r.get("customers_linked") else "")
        + ".\nNext: press [b]5[/b], then [b]f[/b] to fit the model."
    )  # fmt: skip


def field_options() -> list[tuple[str, str]]:
    """Every field a mapping may name, as the CLI's ``--map`` takes them."""
    from clvtui.ingest.formats import FIELDS

    return [(name, name) for name in FIELDS]


def mapping_rows(mapping: dict[str, Any]) -> list[tuple[str, str]]:
    """(field, column) rows; a constant such as the currency named in the box says so."""
    rows = []
    for name, column in mapping.items():
        shown = "–" if column is None else str(column)
        if shown.startswith("="):
            shown = f"{shown[1:]} (set here, not a column)"
        rows.append((name, shown))
    return rows


def sample_rows(orders: list[dict[str, Any]]) -> tuple[list[str], list[list[str]]]:
    """Columns and cells of the first 20 sample orders, money in major units."""
    if not orders:
        return [], []
    shown = [readable(order) for order in orders[:20]]
    columns = list(shown[0].keys())
    return columns, [["" if o.get(c) is None else str(o.get(c)) for c in columns] for o in shown]


def settings_rows() -> ComposeResult:
    """Time zone, the mapping box and the field/column picker: what the CLI's ``--timezone``
    and ``--map`` set."""
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
        yield Label(
            "for zone-less times (WooCommerce, CSV)",
            id="import-zone-hint",
            classes="import-hint",
        )
    with Horizontal(classes="toolbar"):
        yield Label("Map columns ")
        yield Input(
            placeholder="field=column, … e.g. amount=Total, currency=EUR",
            id="import-map",
            tooltip="Take a field from the file's column you name, as the CLI's "
            "--map does: order_id, customer_id, email, name, ordered_at, amount, "
            "currency, status, … A currency code (currency=EUR) sets the currency "
            "of a file without one. Enter previews with it.",
        )
    with Horizontal(classes="toolbar"):
        yield Label("Field ")
        yield Select(field_options(), prompt="field", id="import-field")
        yield Select(
            [], prompt="from column", id="import-column",
            tooltip="Picking the file's column for the field adds it to Map "
            "columns and previews again",
        )  # fmt: skip
