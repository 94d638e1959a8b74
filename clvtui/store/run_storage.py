"""How much room fitted runs take, and dropping old runs' per-customer rows.

A run is a summary (its ``runs`` row: model, equity, settings, report), its segment totals
(``run_segments``) and retention curves — a few kilobytes — plus its per-customer scores: one
compressed blob in ``run_frames`` (~30 MB at a million customers), or, for runs stored before
that, one ``scores`` row per customer and a ranking cache (~190 MB at a million). Pruning
deletes those for all but the newest runs and stamps ``runs.pruned_at``, so ``trends`` still
shows every fit while a pruned run's customers are refused with a sentence, never shown as
empty.

Deleted pages go on SQLite's free list and are reused by the next fits, so the file stops
growing; ``vacuum`` gives the space back to the disk, at the cost of rewriting the whole file.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import sqlite_utils

from clvtui.core.timefmt import now_text
from clvtui.errors import ClvError, NoDataError
from clvtui.store.locking import write_transaction
from clvtui.store.schema import RANKING_FORMAT

# bytes per scores row when SQLite lacks the dbstat table (measured: 155 at 100k customers)
ESTIMATED_SCORE_ROW_BYTES = 155


class PrunedRunError(NoDataError):
    """The run's per-customer scores were dropped by ``clvtui runs prune``."""


def pruned_at(db: sqlite_utils.Database, run_id: int) -> str | None:
    """When the run's per-customer rows were pruned (UTC ISO), or None if it still has them."""
    runs = db.table("runs")
    if "pruned_at" not in runs.columns_dict:  # a file opened without migrating: nothing pruned
        return None
    row = next(runs.rows_where("id = ?", [run_id], select="pruned_at"), None)
    return None if row is None else row["pruned_at"]


def ensure_scores(db: sqlite_utils.Database, run_id: int) -> None:
    """Raise :class:`PrunedRunError` (one readable line) if the run's customers were pruned."""
    when = pruned_at(db, run_id)
    if when is not None:
        raise PrunedRunError(pruned_message(run_id, when))


def pruned_message(run_id: int, when: str) -> str:
    return (
        f"run {run_id} was pruned on {when[:10]} (clvtui runs prune): its per-customer scores "
        "are gone; its summary, tiers and segment totals remain (clvtui trends). "
        "List the runs that keep their customers with: clvtui runs"
    )


def runs_overview(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """Every run, newest first: id, dates, model, customers, equity, pruned, size on disk."""
    runs = list(
        db.table("runs").rows_where(
            select="id, created_at, as_of, calibration_end, model, currency, value_kind, "
            "n_customers, customer_equity, pruned_at",
            order_by="id DESC",
        )
    )
    sizes = run_sizes(db, runs)
    for run in runs:
        run["size_bytes"] = sizes.get(run["id"], 0)
    return runs


def run_sizes(db: sqlite_utils.Database, runs: list[dict[str, Any]]) -> dict[int, int]:
    """Approximate bytes of each run's per-customer data (scores blob, or rows + cache).

    A blob is measured exactly by ``length()`` (which reads no blob content). Runs stored
    before the blob have ``scores`` rows, keyed by (run, customer), so one run's rows share
    pages with no other table: those pages (``dbstat``) are split between such runs by their
    row counts.
    """
    blobs = dict(
        db.conn.execute(
            "SELECT run_id, length(scores) FROM run_frames WHERE format = ?", (RANKING_FORMAT,)
        ).fetchall()
    )
    rows = {
        r["id"]: (0 if r["pruned_at"] or r["id"] in blobs else int(r["n_customers"] or 0))
        for r in runs
    }
    total_rows = sum(rows.values())
    scores_bytes = _table_bytes(db, "scores") if total_rows else 0
    if scores_bytes is None:
        scores_bytes = total_rows * ESTIMATED_SCORE_ROW_BYTES
    sizes = {
        rid: (round(scores_bytes * n / total_rows) if total_rows else 0) for rid, n in rows.items()
    }
    for rid, length in db.conn.execute("SELECT run_id, length(scores) FROM run_frames"):
        if rid in sizes:
            sizes[rid] += int(length or 0)
    return sizes


def _table_bytes(db: sqlite_utils.Database, table: str) -> int | None:
    """Bytes of the pages holding ``table``, or None when SQLite was built without dbstat."""
    try:
        row = db.conn.execute(
            "SELECT sum(pgsize) FROM dbstat WHERE name = ? AND aggregate = 1", (table,)
        ).fetchone()
    except sqlite3.OperationalError as err:
        if "dbstat" in str(err):
            return None
        raise
    return int(row[0] or 0)


def file_space(db: sqlite_utils.Database) -> dict[str, int]:
    """The database file's size and the free pages inside it (reused before the file grows)."""
    page = db.conn.execute("PRAGMA page_size").fetchone()[0]
    pages = db.conn.execute("PRAGMA page_count").fetchone()[0]
    free = db.conn.execute("PRAGMA freelist_count").fetchone()[0]
    return {"file_bytes": page * pages, "free_bytes": page * free}


def prune_runs(db: sqlite_utils.Database, keep: int, *, dry_run: bool = False) -> dict[str, Any]:
    """Drop the per-customer rows of every run but the newest ``keep``; one transaction.

    Returns what went (or, with ``dry_run``, would go): the runs, their customers and bytes,
    and the file's free space afterwards. Runs pruned earlier are listed apart, untouched.
    """
    if keep < 1:
        raise ClvError(
            f"--keep must be at least 1 (the latest fit is what every screen shows; got {keep})"
        )
    runs = runs_overview(db)
    go = [r for r in runs[keep:] if not r["pruned_at"]]
    result: dict[str, Any] = {
        "keep": keep,
        "dry_run": dry_run,
        "kept_run_ids": [r["id"] for r in runs[:keep] if not r["pruned_at"]],
        "pruned": [_brief(r) for r in go],
        "already_pruned_run_ids": [r["id"] for r in runs if r["pruned_at"]],
        "bytes_freed": sum(r["size_bytes"] for r in go),
    }
    if go and not dry_run:
        from clvtui.store.run_people import forget as forget_codes

        stamp = now_text()
        with write_transaction(db, "prune") as conn:  # all runs or none, even after a kill
            for r in go:
                conn.execute("DELETE FROM scores WHERE run_id = ?", (r["id"],))
                conn.execute("DELETE FROM run_frames WHERE run_id = ?", (r["id"],))
                forget_codes(conn, r["id"])  # store.run_people: its customers' codes
                conn.execute("UPDATE runs SET pruned_at = ? WHERE id = ?", (stamp, r["id"]))
    result |= file_space(db)
    return result


def _brief(run: dict[str, Any]) -> dict[str, Any]:
    keys = ("id", "created_at", "as_of", "model", "n_customers", "size_bytes")
    return {k: run[k] for k in keys}


def vacuum(db: sqlite_utils.Database) -> dict[str, int]:
    """Rewrite the file without its free pages; returns the sizes before and after.

    VACUUM copies the whole database, so it needs about as much free disk as the file's size,
    and holds the write lock meanwhile.
    """
    before = file_space(db)["file_bytes"]
    db.conn.execute("VACUUM")
    db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return {"file_bytes_before": before, "file_bytes_after": file_space(db)["file_bytes"]}
