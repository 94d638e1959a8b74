"""Built-once test databases: fold the WAL in, then give each test its own copy.

A session- or module-scoped fixture builds a fitted shop once (seconds); tests that write get a
private file copy (milliseconds). The copy is only whole once the WAL is checkpointed. Under
pytest-xdist each worker is its own session, so ``built_once`` shares one build between them.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from filelock import FileLock

# The size of the shared demo shop (tests/conftest.py's ``demo_2000``).
DEMO_CUSTOMERS = 2_000


def checkpoint(path: Path) -> Path:
    """Fold the WAL into the main file, so a plain copy (or a hash) covers everything."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return path


def built_once(
    factory: pytest.TempPathFactory, key: str, build: Callable[[Path], object], name: str
) -> Path:
    """The database ``build`` writes at the path it is given (``.../key/name``; the name as
    the tests knew it, since a demo names its export after it), built once per test run and
    checkpointed: the first xdist worker to ask builds it under a lock while the others wait,
    instead of every worker spending the same seconds on the same fit. Read-only for tests."""
    root = factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # the run's temporary folder, shared by its workers
    folder = root / "built-once"
    folder.mkdir(exist_ok=True)
    path, done = folder / key / name, folder / f"{key}.done"
    with FileLock(folder / f"{key}.lock"):
        if not done.exists():
            if path.parent.exists():  # a build another worker left half done
                shutil.rmtree(path.parent)
            path.parent.mkdir()
            build(path)
            checkpoint(path)
            done.touch()
    return path


def private_copy(source: Path, folder: Path, name: str | None = None) -> Path:
    """A copy of a checkpointed database in ``folder`` for one test to change."""
    target = folder / (name or source.name)
    shutil.copy(source, target)
    return target


def as_stored_before_blobs(db: object, run_id: int | None = None) -> None:
    """Rewrite runs (all, or one) the way builds before the ranking blob stored them: a
    ``scores`` row per customer and no blob — to test that such files still read the same."""
    from clvtui.store.runs import SCORE_COLUMNS, scores_frame

    conn = db.conn  # type: ignore[attr-defined]
    where, args = ("", ()) if run_id is None else (" AND run_id = ?", (run_id,))
    ids = [r for (r,) in conn.execute(f"SELECT run_id FROM run_frames WHERE 1{where}", args)]
    frames = {r: scores_frame(db, r) for r in ids}  # type: ignore[arg-type]
    with conn:
        for rid, frame in frames.items():
            conn.executemany(
                f"INSERT INTO scores (run_id, {', '.join(SCORE_COLUMNS)}) "
                f"VALUES ({rid}, {', '.join('?' * len(SCORE_COLUMNS))})",
                frame.select(SCORE_COLUMNS).rows(),
            )
            conn.execute("DELETE FROM run_frames WHERE run_id = ?", (rid,))
