"""Built-once test databases: fold the WAL in, then give each test its own copy.

A session- or module-scoped fixture builds a fitted shop once (seconds); tests that write get a
private file copy (milliseconds). The copy is only whole once the WAL is checkpointed.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path


def checkpoint(path: Path) -> Path:
    """Fold the WAL into the main file, so a plain copy (or a hash) covers everything."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return path


def private_copy(source: Path, folder: Path, name: str | None = None) -> Path:
    """A copy of a checkpointed database in ``folder`` for one test to change."""
    target = folder / (name or source.name)
    shutil.copy(source, target)
    return target
