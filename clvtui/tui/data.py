"""What the screens share: the database path and the latest run's customers, loaded once.

Every read happens on a worker thread with its own connection (sqlite connections belong to
the thread that opened them). The big per-customer frame (scores joined to names, tiers by
today's rule: ``services.tiers``) is read once per run and tier rule and kept here, so
Customers, Segments, Tier, Budget and the command palette share it; the Overview never waits
for it (it paints from the run's stored aggregates while the rule is unchanged).
"""

from __future__ import annotations

import atexit
import gc
import sqlite3
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import polars as pl
import sqlite_utils

from clvtui.errors import ClvError
from clvtui.settings import Settings

T = TypeVar("T")

#: What a screen's worker turns into a toast: the user's problems, the database's, the disk's.
DB_ERRORS = (ClvError, sqlite3.Error, OSError)
#: seconds the app waits at its exit for a worker still reading (interrupted) to let go
CLOSE_WAIT = 0.5
CLOSE_POLL = 0.02
#: what a worker starting while the app closes is told
CLOSING = "clvtui is closing: nothing more is read"


class AppData:
    """Shared, thread-safe access to one database for the whole app."""

    def __init__(self, db_path: Path, *, read_only: bool = False) -> None:
        self.db_path = Path(db_path)
        self.read_only = read_only  # the file or its folder is not writable: show, never write
        self.on_wait: Callable[[Path], None] | None = None  # a writer waits for another one
        self._lock = threading.Lock()
        self._customers: tuple[int, pl.DataFrame] | None = None
        self._rule: tuple[float, ...] | None = None  # the tier rule the cached frame used
        # sort indexes over the cached frame, by (column, descending); None = as stored
        self._orders: dict[tuple[str, bool], pl.Series | None] = {}
        self.version = 0  # bumped by every import or fit: screens reload when it moves
        # the connections handed out and not yet released, by the thread that uses them, and
        # whether each may write; ``closing``: the app is leaving (``close``)
        self._open: dict[int, list[tuple[sqlite3.Connection, bool]]] = {}
        self._open_changed = threading.Condition()
        self._closing = False
        # one fold at a time: a worker's release and ``close`` can both see the last
        # connection go, and two folds at once lock each other out ("database is locked")
        self._folding = threading.Lock()

    def connect(self, *, write: bool = False) -> sqlite_utils.Database:
        """A fresh connection for the calling thread (cheap: the schema is already migrated),
        kept open until the thread's work ends (``release_thread``).

        Read-only unless ``write``: looking at a shop never changes its file.
        """
        from clvtui.store import StoreError, open_db

        if write and self.read_only:
            raise StoreError(
                f"{self.db_path} is read-only (the file or its folder is not writable for you): "
                "clvtui can show it but not import, fit or save settings into it"
            )
        if self._closing:  # not even opened
            raise StoreError(CLOSING)
        if write:
            db = open_db(self.db_path, create=False, on_wait=self.on_wait)
        else:
            db = open_db(self.db_path, readonly=True)
        with self._open_changed:
            if not self._closing:
                self._open.setdefault(threading.get_ident(), []).append((db.conn, write))
                return db
            last_out = not self._open
        db.conn.close()  # the app began to close meanwhile
        if last_out:
            self._fold_wal()
        raise StoreError(CLOSING)

    def release_thread(self) -> None:
        """Close the connections the calling thread opened: its work is done (called as each
        worker's work returns, on its own thread, which alone may close them). Once the app
        is closing, the last one out folds the write-ahead log in (``close``)."""
        with self._open_changed:
            released = self._open.pop(threading.get_ident(), [])
            for conn, _write in released:
                conn.close()
            if released:
                self._open_changed.notify_all()
            last_out = released and self._closing and not self._open
        if last_out:
            self._fold_wal()  # the app is gone: a failure has nobody to be told

    def close(self, wait: float = CLOSE_WAIT) -> str | None:
        """The app is leaving: close every connection it opened and remove the -wal and -shm.

        A worker still reading is interrupted (its query stops at once) and given ``wait``
        seconds to finish; one that writes (a fit, an import, saved settings) is not: it
        finishes its transaction as before, and folds the log in when it releases. A log
        still there is folded in once more at the process's exit, after Python has waited for
        its threads (a read's own background reads included). Idempotent. Returns why the
        log could not be folded in (one line), or None.
        """
        with self._open_changed:
            self._closing = True
            for conn, _write in self._open.pop(threading.get_ident(), []):
                conn.close()  # this thread's own (none, as the UI thread reads nothing)
            end = time.monotonic() + wait
            while self._open and (left := end - time.monotonic()) > 0:
                self._interrupt_reads()  # again each round: one between queries runs its next
                self._open_changed.wait(min(left, CLOSE_POLL))
            all_out = not self._open
        problem = self._fold_wal() if all_out else None
        if not self.read_only and self.db_path.with_name(self.db_path.name + "-wal").exists():
            # a read still under way (its thread, or one of its own background reads, holds
            # the file open): once Python has waited for those threads, at its exit
            atexit.register(self._fold_wal)
        return problem

    def _interrupt_reads(self) -> None:
        """Stop the query each reading connection runs (any thread may; a writer is left be)."""
        for opened in self._open.values():
            for conn, write in opened:
                if not write:
                    conn.interrupt()

    def _fold_wal(self) -> str | None:
        """Fold the log in (``store.opening.fold_wal``); the error's line if that failed."""
        if self.read_only:
            return None  # SQLite could not have written a -wal beside a file we may not write
        from clvtui.store.opening import fold_wal

        try:
            with self._folding:
                fold_wal(self.db_path)  # the second finds no log and returns at once
        except DB_ERRORS as err:
            return self.explain(err)
        return None

    def read_ahead(self, read: Callable[[AppData], T]) -> Future[T]:
        """``read(self)`` on a thread of its own, started now; its result or error in the
        future (for a read the first frame needs before a screen's workers may start)."""
        future: Future[T] = Future()

        def run() -> None:
            try:
                future.set_result(read(self))
            except BaseException as err:  # handed to whoever takes the result
                future.set_exception(err)
            finally:
                self.release_thread()

        # not a daemon: at the exit Python waits for it, as for the workers (``close``)
        threading.Thread(target=run, name="clvtui read-ahead").start()
        return future

    def explain(self, err: BaseException) -> str:
        """One line for any error a screen shows (``clvtui.store.failures.describe``)."""
        from clvtui.store.failures import describe

        return describe(err, self.db_path)

    def forget(self) -> None:
        """Drop cached frames (after an import or a fit)."""
        with self._lock:
            self._customers = None
            self._orders = {}
            self.version += 1

    def cached_customers(self) -> pl.DataFrame | None:
        """The customer frame if it is already loaded (never blocks on a load)."""
        cached = self._customers
        return cached[1] if cached else None

    def cached_run_customers(self) -> tuple[int, pl.DataFrame] | None:
        """(run id, customer frame) if a frame is already loaded (never blocks on a load)."""
        return self._customers

    def customers(self, db: sqlite_utils.Database, run_id: int) -> pl.DataFrame:
        """Latest scores joined to identities, ranked by CLV, tiers by today's rule (built once
        per run and tier rule: a rule changed elsewhere, e.g. by ``clvtui settings``, shows on
        the next load)."""
        from clvtui.services.tiers import rule_key
        from clvtui.store.saved_settings import load_settings

        current = load_settings(db)
        with self._lock:
            rule = rule_key(current)
            if self._customers and self._customers[0] == run_id and self._rule == rule:
                return self._customers[1]
            frame = build_customer_frame(db, run_id, current)
            self._customers, self._rule = (run_id, frame), rule
            self._orders = {("clv", True): None}  # the frame is ranked by CLV
        # Everything loaded so far (modules, widgets, this frame's Python side) lives as long
        # as the app: out of the collector's sight, a full collection no longer walks it,
        # which had put a ~0.13 s pause on a key press now and then.
        gc.freeze()
        return frame

    def sort_orders(self, frame: pl.DataFrame) -> dict[tuple[str, bool], pl.Series | None]:
        """The sort-index cache that belongs to ``frame`` (a fresh one for any other frame)."""
        cached = self._customers
        if cached is not None and cached[1] is frame:
            return self._orders
        return {("clv", True): None}

    def presort(self, frame: pl.DataFrame, keys: list[tuple[str, bool]]) -> None:
        """Arg-sort ``frame`` by each (column, descending) ahead of time, on a worker thread.

        A string column takes ~0.2 s at a million rows: done while the user reads the Overview,
        a sort on Customers is only a repaint.
        """
        orders = self.sort_orders(frame)
        for key, desc in keys:
            if (key, desc) not in orders:
                orders[(key, desc)] = frame.get_column(key).arg_sort(
                    descending=desc, nulls_last=True
                )


class WorkerPool(ThreadPoolExecutor):
    """The threads Textual's thread workers run on, which close each work's connections as it
    returns (``AppData.release_thread``), on the thread that opened them.

    Why here: Textual runs a thread worker on the event loop's default executor, whose threads
    live on and run the next worker; a connection left to the garbage collector stayed open
    (and read-only connections never remove the -wal/-shm), and the app cannot tell when a
    cancelled worker's work has really returned. The app makes this the loop's default.
    """

    def __init__(self, after_each: Callable[[], None]) -> None:
        super().__init__(thread_name_prefix="clvtui-worker")
        self._after_each = after_each

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        def run() -> T:
            try:
                return fn(*args, **kwargs)
            finally:
                self._after_each()

        return super().submit(run)


def build_customer_frame(
    db: sqlite_utils.Database, run_id: int, current: Settings | None = None
) -> pl.DataFrame:
    """The run's ranking (``services.tiers.ranked_customers``: the stored frame cache when
    the run has one, tiers by today's rule) plus a search column.

    ``search`` is id, name, e-mail and tier in lower case, so a filter keystroke is one
    literal ``str.contains`` over a million strings (~15 ms) and nothing else.
    """
    from clvtui.services.tiers import ranked_customers

    frame = ranked_customers(db, run_id, current)
    return frame.with_columns(
        search=pl.concat_str(
            [
                pl.col("customer_id"),
                pl.col("name").fill_null(""),
                pl.col("email").fill_null(""),
                pl.col("tier").fill_null(""),
            ],
            separator="\t",
        ).str.to_lowercase()
    )


def latest_run(db: sqlite_utils.Database) -> dict[str, Any] | None:
    from clvtui.store.runs import latest_run as _latest

    return _latest(db)
