"""A read of the database in a thread, on a second connection, while the caller works on.

Why: SQLite gives up the GIL while it scans, so a scan that the fit needs only later (the
cost columns' probe, the customers' identities) costs no wall time when it overlaps the
summary and the model fits instead of preceding them. Safe beside the caller's connection:
both use the same SQLite library, whose file locks are shared within the process.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

import sqlite_utils

from clvtui.core.memory import share_arenas

T = TypeVar("T")


def database_path(db: sqlite_utils.Database) -> str | None:
    """The file behind ``db`` (None for an in-memory database: no second connection)."""
    files = [f for _, name, f in db.conn.execute("PRAGMA database_list") if name == "main"]
    return files[0] if files and files[0] else None


def read_in_background(
    db: sqlite_utils.Database,
    read: Callable[[sqlite_utils.Database], T],
    out: Future[T] | None = None,
) -> Future[T]:
    """``read(a second connection to db's file)`` started in a thread; its result (or error)
    in the future. Without a file to open it runs here, now."""
    out = Future() if out is None else out  # a subclass may carry more than the result
    share_arenas()
    path = database_path(db)
    if path is None:
        out.set_result(read(db))
        return out

    def run() -> None:
        try:
            other = _second_connection(db, path)
            try:
                out.set_result(read(other))
            finally:
                other.close()
        except BaseException as err:  # handed to whoever waits on the result
            out.set_exception(err)

    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="clvtui-read")
    try:
        pool.submit(run)
        return out
    finally:
        pool.shutdown(wait=False)


def _second_connection(db: sqlite_utils.Database, path: str) -> sqlite_utils.Database:
    """A connection to ``path`` as ``db`` was opened: read-only for a read-only command (a
    reader must not be able to write, nor need a writable folder)."""
    if getattr(db, "readonly", False):
        from clvtui.store.opening import open_db

        return open_db(path, readonly=True)
    return sqlite_utils.Database(path)
