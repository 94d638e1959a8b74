"""Where the UI's ``e`` (export) writes: a CSV beside the database, named for what it holds."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import polars as pl


def export_path(db_path: Path, what: str) -> Path:
    """``<db folder>/exports/<what>-<YYYYmmdd-HHMMSS>.csv`` (never overwrites an earlier one)."""
    folder = Path(db_path).parent / "exports"
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in what.lower())
    path = folder / f"{safe}-{stamp}.csv"
    n = 1
    while path.exists():
        n += 1
        path = folder / f"{safe}-{stamp}-{n}.csv"
    return path


def export_frame(frame: pl.DataFrame, db_path: Path, what: str) -> Path:
    """Write ``frame`` as CSV; text a spreadsheet would run as a formula is neutralised."""
    from clvtui.insights.export import neutralise_frame

    path = export_path(db_path, what)
    neutralise_frame(frame).write_csv(path)
    return path
