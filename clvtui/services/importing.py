"""A shop export into the database, or a preview of what that would do (``clvtui import``,
the Import screen).

Both faces take the same two steps: a preview (a dry run: format detected, columns mapped,
orders counted and a few shown, nothing written) and the import (one transaction; re-import
is an upsert). Cheap checks come first (:func:`check_export`, before polars loads or any
database is created), so a mistyped name creates nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from clvtui.errors import ClvError, MappingError

if TYPE_CHECKING:
    from clvtui.ingest.importer import ImportReport

#: ``progress(done, total)``: rows read (total None) then orders written (total known).
Progress = Callable[[int, int | None], None]


def check_export(path: Path) -> Path:
    """Refuse a missing, unreadable or absurd file in a fraction of a second (no polars)."""
    from clvtui.ingest.csvscan import preflight

    return preflight(path)


def preview_import(
    db: Any,
    path: Path,
    *,
    fmt: str = "auto",
    mapping: dict[str, str] | None = None,
    timezone: str | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """What importing ``path`` would do; nothing is written (``db`` may be None)."""
    return _import(db, path, fmt, mapping, dry_run=True, progress=progress, timezone=timezone)


def import_orders(
    db: Any,
    path: Path,
    *,
    fmt: str = "auto",
    mapping: dict[str, str] | None = None,
    timezone: str | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Import ``path`` into ``db``: an open database, or the path of one to create once the
    export has parsed (so a bad export leaves no empty database behind)."""
    return _import(db, path, fmt, mapping, dry_run=False, progress=progress, timezone=timezone)


def _import(
    db: Any, path: Path, fmt: str, mapping: dict[str, str] | None, **options: Any
) -> ImportReport:
    """``import_file``, except that a header no format recognises, with columns named by the
    user, is read as the format the error names (the generic CSV): naming the columns is the
    whole fix, on either face. Detection fails before any row is read, so the retry is cheap."""
    from clvtui.ingest import import_file

    try:
        return import_file(db, path, fmt=fmt, mapping=mapping, **options)
    except MappingError as err:
        if fmt != "auto" or not mapping or not err.fmt or err.fmt == fmt:
            raise
        return import_file(db, path, fmt=err.fmt, mapping=mapping, **options)


def parse_mapping(text: str) -> dict[str, str]:
    """``"amount=Total, currency=EUR"`` → ``{"amount": "Total", "currency": "EUR"}``: the
    screen's mapping box, read as the CLI reads ``--map FIELD=COLUMN`` (one pair per ``--map``).

    Pairs are split at a comma followed by ``field=``, so a column named ``Total (EUR, net)``
    survives. A malformed pair or an unknown field is a one-line ClvError naming it.
    """
    from clvtui.ingest.formats import FIELDS

    mapping: dict[str, str] = {}
    for item in re.split(r"[,;]\s*(?=[A-Za-z_]+\s*=)", text.strip()):
        if not item.strip():
            continue
        field, sep, column = item.partition("=")
        field, column = field.strip(), column.strip().rstrip(",;").strip()
        if not sep or not field or not column:
            raise ClvError(f"mapping {item.strip()!r}: expected field=column, e.g. amount=Total")
        if field not in FIELDS:
            raise ClvError(f"mapping {item.strip()!r}: unknown field {field!r}; fields are "
                           f"{', '.join(FIELDS)}")  # fmt: skip
        mapping[field] = column
    return mapping


def mapping_text(mapping: dict[str, str | None]) -> str:
    """The inverse of :func:`parse_mapping` (a fixed currency ``=EUR`` reads ``currency=EUR``);
    a field with no column guessed reads ``field=?`` so the user sees what is still needed."""
    return ", ".join(f"{f}={(c or '?').removeprefix('=')}" for f, c in mapping.items())


def with_pair(text: str, field: str, column: str) -> str:
    """The mapping box's ``text`` with ``field`` taken from ``column`` (replacing any column
    named for it before): the screen's column picker writes through the same parsing."""
    mapping: dict[str, str | None] = dict(parse_mapping(text))
    mapping[field] = column
    return mapping_text(mapping)


def mapping_advice(err: MappingError, control: str) -> str:
    """``err`` with its fix worded for a face whose mapping control is called ``control``
    (the Import screen) instead of the CLI's ``--map``."""
    if err.fixes:
        fix = f"fix: set {mapping_text(err.fixes)} in {control}"
        if err.fmt:
            fix += f" (format {err.fmt})"
        fix += ", then preview again"
    else:
        fix = f"if a column was misread, name the right one in {control}"
    first, _, rest = err.detail.partition("\n")  # the fix right under what went wrong:
    return "\n".join(part for part in (first, f"  {fix}", rest) if part)  # a short screen
