"""A read of the database in a thread, on a second connection, while the caller works on.

Why: SQLite gives up the GIL while it scans, so a scan that the fit needs only later (the
cost columns' probe, the customers' identities) costs no wall time when it overlaps the
summary and the model fits instead of preceding them. Safe beside the caller's connection:
both use the same SQLite library, whose file locks are shared within the process.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

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
    then: FollowUp[Any] | None = None,
) -> Future[T]:
    """``read(a second connection to db's file)`` started in a thread; its result (or error)
    in the future. Without a file to open it runs here, now. ``then``: a second read made
    by the same thread once the first one's result is handed over (:class:`FollowUp`)."""
    out = Future() if out is None else out  # a subclass may carry more than the result
    share_arenas()
    path = database_path(db)
    if path is None:
        out.set_result(read(db))
        if then is not None:
            then.run(db)
        return out

    def run() -> None:
        try:
            other = _second_connection(db, path)
            try:
                out.set_result(read(other))
                if then is not None:
                    then.run(other)
            finally:
                other.close()
        except BaseException as err:  # handed to whoever waits on the result
            if not out.done():
                out.set_exception(err)
            if then is not None and not then.done():
                then.set_exception(err)

    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="clvtui-read")
    try:
        pool.submit(run)
        return out
    finally:
        pool.shutdown(wait=False)


class FollowUp(Future[T]):
    """A read that waits for another one to finish, then runs on its thread and connection.

    Why: a side read started beside a critical one takes a core from it (the fit's cost probe
    beside the read and summary of the orders); started after it, on the thread that made
    it, it uses what the critical read leaves idle (the second core, while the model code is
    still being imported) and never competes with it.
    """

    def __init__(self, read: Callable[[sqlite_utils.Database], T]) -> None:
        super().__init__()
        self._read = read

    def run(self, db: sqlite_utils.Database) -> None:
        """Make the read on ``db``; its result or error goes into this future."""
        try:
            self.set_result(self._read(db))
        except BaseException as err:  # handed to whoever waits on the result
            self.set_exception(err)


def _second_connection(db: sqlite_utils.Database, path: str) -> sqlite_utils.Database:
    """A connection to ``path`` as ``db`` was opened: read-only for a read-only command (a
    reader must not be able to write, nor need a writable folder)."""
    if getattr(db, "readonly", False):
        from clvtui.store.opening import open_db

        return open_db(path, readonly=True)
    return sqlite_utils.Database(path)
