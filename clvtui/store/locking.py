"""Write transactions: take SQLite's write lock up front, wait for another writer, or say why not.

Every write (schema, import, fit, settings, spend) runs in ``with write_transaction(db, name)``:
``BEGIN IMMEDIATE`` takes the write lock before any work, so two writers queue instead of one
failing half-way at its first write (a deferred transaction that reads first cannot upgrade
its lock while another writer holds it). Readers never wait: the file is in WAL mode.

SQLite's busy handler cannot call Python, so waiting is a loop: a first short wait in
silence, then one "waiting for another clvtui…" notice (through ``db.on_wait``, which the CLI
sets when stderr is a terminal), then the rest of the wait. ``CLVTUI_LOCK_TIMEOUT`` (seconds)
overrides the default of 60 s.

Test hooks (the fault-injection tests stop a real child process at an exact moment):
``CLVTUI_TEST_KILL_AT=NAME:STAGE`` makes the process SIGKILL itself there (stages: ``written``,
the whole transaction written, just before COMMIT; ``committed``, just after), and
``CLVTUI_TEST_PAUSE_AT=NAME:STAGE`` makes it create ``$CLVTUI_TEST_RELEASE.reached`` and wait
there, holding the lock, until ``$CLVTUI_TEST_RELEASE`` exists.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from clvtui.store.failures import DatabaseBusyError

DEFAULT_LOCK_TIMEOUT = 60.0  # s: an import of a million customers holds the lock ~35 s
QUIET_WAIT = 1.0  # s: shorter waits are not worth a line on the terminal
KILL_ENV = "CLVTUI_TEST_KILL_AT"
PAUSE_ENV = "CLVTUI_TEST_PAUSE_AT"
RELEASE_ENV = "CLVTUI_TEST_RELEASE"


def lock_timeout() -> float:
    """How long a writer waits for another one, in seconds (``CLVTUI_LOCK_TIMEOUT``)."""
    text = os.environ.get("CLVTUI_LOCK_TIMEOUT", "")
    try:
        value = float(text) if text else DEFAULT_LOCK_TIMEOUT
    except ValueError:
        return DEFAULT_LOCK_TIMEOUT
    return value if value == value and 0 <= value < 86_400 else DEFAULT_LOCK_TIMEOUT


def set_busy_timeout(conn: sqlite3.Connection, seconds: float) -> None:
    conn.execute(f"PRAGMA busy_timeout = {max(0, int(seconds * 1000))}")


def is_busy(err: sqlite3.Error) -> bool:
    name = getattr(err, "sqlite_errorname", "") or ""
    return name.startswith("SQLITE_BUSY") or "database is locked" in str(err)


def fault_point(name: str) -> None:
    """Die (or wait) here when the fault-injection tests ask for this point; else nothing."""
    if os.environ.get(KILL_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)
    if os.environ.get(PAUSE_ENV) == name and os.environ.get(RELEASE_ENV):
        release = os.environ[RELEASE_ENV]
        with open(f"{release}.reached", "w"):
            pass
        while not os.path.exists(release):
            time.sleep(0.02)


def begin_immediate(conn: sqlite3.Connection, path: Any, on_wait: Any = None) -> None:
    """``BEGIN IMMEDIATE``, waiting up to :func:`lock_timeout` for another writer."""
    total = lock_timeout()
    start = time.monotonic()
    set_busy_timeout(conn, min(QUIET_WAIT, total))
    try:
        while True:
            try:
                conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as err:
                if not is_busy(err):
                    raise
                waited = time.monotonic() - start
                if waited >= total:
                    raise DatabaseBusyError(
                        f"{path} is locked: another program has been writing to it for "
                        f"{waited:.0f} s; try again when it has finished (nothing was changed)"
                    ) from None
                if on_wait is not None:
                    on_wait(path)
                    on_wait = None  # one notice per wait
                set_busy_timeout(conn, total - waited)
    finally:
        set_busy_timeout(conn, total)


@contextmanager
def write_transaction(db: Any, name: str) -> Iterator[sqlite3.Connection]:
    """One atomic write under the write lock; rolled back on any error (or kill)."""
    conn: sqlite3.Connection = db.conn
    if conn.in_transaction:  # a deferred read left open (Python's implicit BEGIN): end it
        conn.commit()
    begin_immediate(conn, getattr(db, "path", "the database"), getattr(db, "on_wait", None))
    try:
        yield conn
        fault_point(f"{name}:written")
        conn.commit()
    except BaseException:
        if conn.in_transaction:
            conn.rollback()
        raise
    fault_point(f"{name}:committed")


def begin_now(conn: Any) -> bool:
    """``BEGIN IMMEDIATE`` without waiting: whether this connection now holds the write lock.

    For the column snapshot's shortcuts (a copy kept beside the tables): a reader that finds
    one stale keeps it only if nobody else is writing — it never waits for a writer, and a
    locked or read-only file just means the tables are read as they are."""
    (waits,) = conn.execute("PRAGMA busy_timeout").fetchone()
    conn.execute("PRAGMA busy_timeout = 0")
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError:  # locked by a writer, or a read-only file
        return False
    finally:
        conn.execute(f"PRAGMA busy_timeout = {int(waits)}")
    return True
