"""What the screens share: the database path and the latest run's customers, loaded once.

Every read happens on a worker thread with its own connection (sqlite connections belong to
the thread that opened them). The big per-customer frame (scores joined to names, tiers by
today's rule: ``services.tiers``) is read once per run and tier rule and kept here, so
Customers, Segments, Tier, Budget and the command palette share it; the Overview never waits
for it (it paints from the run's stored aggregates while the rule is unchanged).
"""

from __future__ import annotations

import gc
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

import polars as pl
import sqlite_utils

from clvtui.errors import ClvError
from clvtui.settings import Settings

T = TypeVar("T")

#: What a screen's worker turns into a toast: the user's problems, the database's, the disk's.
DB_ERRORS = (ClvError, sqlite3.Error, OSError)


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

    def connect(self, *, write: bool = False) -> sqlite_utils.Database:
        """A fresh connection for the calling thread (cheap: the schema is already migrated).

        Read-only unless ``write``: looking at a shop never changes its file.
        """
        from clvtui.store import StoreError, open_db

        if not write:
            return open_db(self.db_path, readonly=True)
        if self.read_only:
            raise StoreError(
                f"{self.db_path} is read-only (the file or its folder is not writable for you): "
                "clvtui can show it but not import, fit or save settings into it"
            )
        return open_db(self.db_path, create=False, on_wait=self.on_wait)

    def read_ahead(self, read: Callable[[AppData], T]) -> Future[T]:
        """``read(self)`` on a thread of its own, started now; its result or error in the
        future (for a read the first frame needs before a screen's workers may start)."""
        future: Future[T] = Future()

        def run() -> None:
            try:
                future.set_result(read(self))
            except BaseException as err:  # handed to whoever takes the result
                future.set_exception(err)

        threading.Thread(target=run, name="clvtui read-ahead", daemon=True).start()
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
