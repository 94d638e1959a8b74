"""The Import screen's parts that hold no screen state: the file tree, the worker messages, the
time-zone check and the wording of a preview or import report."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from textual.message import Message
from textual.validation import ValidationResult, Validator
from textual.widgets import DirectoryTree

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
