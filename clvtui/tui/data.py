"""What the screens share: the database path and the latest run's customers, loaded once.

Every read happens on a worker thread with its own connection (sqlite connections belong to
the thread that opened them). The big per-customer frame (scores joined to names) is built
once per run and kept here, so Overview, Customers, Segments and the command palette share it.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import polars as pl
import sqlite_utils

FIRST_COLUMNS = ["customer_id", "name", "email", "tier", "risk", "clv"]


class AppData:
    """Shared, thread-safe access to one database for the whole app."""

    def __init__(self, db_path: Path) -> None:
        self.db_path = Path(db_path)
        self._lock = threading.Lock()
        self._customers: tuple[int, pl.DataFrame] | None = None
        self.version = 0  # bumped by every import or fit: screens reload when it moves

    def connect(self) -> sqlite_utils.Database:
        """A fresh connection for the calling thread (cheap: the schema is already migrated)."""
        from clvtui.store import open_db

        return open_db(self.db_path)

    def forget(self) -> None:
        """Drop cached frames (after an import or a fit)."""
        with self._lock:
            self._customers = None
            self.version += 1

    def cached_customers(self) -> pl.DataFrame | None:
        """The customer frame if it is already loaded (never blocks on a load)."""
        cached = self._customers
        return cached[1] if cached else None

    def customers(self, db: sqlite_utils.Database, run_id: int) -> pl.DataFrame:
        """Latest scores joined to identities, ranked by CLV (built once per run)."""
        with self._lock:
            if self._customers and self._customers[0] == run_id:
                return self._customers[1]
            frame = build_customer_frame(db, run_id)
            self._customers = (run_id, frame)
            return frame


def build_customer_frame(db: sqlite_utils.Database, run_id: int) -> pl.DataFrame:
    """Scores of ``run_id`` with name, e-mail, country and channel; sorted by CLV, descending."""
    from clvtui.store.runs import scores_frame
    from clvtui.store.views import customer_identity_frame

    scores = scores_frame(db, run_id)
    identity = customer_identity_frame(db)
    frame = scores.join(identity, on="customer_id", how="left")
    for column, dtype in (("tier", pl.Utf8), ("risk", pl.Utf8)):
        if column not in frame.columns:
            frame = frame.with_columns(pl.lit(None, dtype=dtype).alias(column))
    frame = frame.with_columns(
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
    rest = [c for c in frame.columns if c not in FIRST_COLUMNS and c != "run_id"]
    return frame.select(*FIRST_COLUMNS, *rest).sort("clv", descending=True)


def latest_run(db: sqlite_utils.Database) -> dict[str, Any] | None:
    from clvtui.store.runs import latest_run as _latest

    return _latest(db)
