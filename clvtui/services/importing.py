"""A shop export into the database, or a preview of what that would do (``clvtui import``,
the Import screen).

Both faces take the same two steps: a preview (a dry run: format detected, columns mapped,
orders counted and a few shown, nothing written) and the import (one transaction; re-import
is an upsert). Cheap checks come first (:func:`check_export`, before polars loads or any
database is created), so a mistyped name creates nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

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
    from clvtui.ingest import import_file

    return import_file(
        db, path, fmt=fmt, mapping=mapping, dry_run=True, progress=progress, timezone=timezone
    )


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
    from clvtui.ingest import import_file

    return import_file(db, path, fmt=fmt, mapping=mapping, progress=progress, timezone=timezone)
