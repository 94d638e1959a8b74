"""Fitted runs, their per-customer scores, segment totals and retention curves.

A run and everything belonging to it are written in one transaction: the database never holds
half a run. Every run is kept, so values can be followed over time. A run's per-customer scores
are one compressed blob in ``run_frames`` (``store.ranking_blob``); runs stored before that
have a row per customer in ``scores`` (and maybe an Arrow cache of their ranking), read as such.
"""

from __future__ import annotations

import io
import json
import sqlite3
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import Any

import numpy as np
import polars as pl
import sqlite_utils

from clvtui.core.group_sums import sums_by
from clvtui.core.memory import return_freed_memory
from clvtui.errors import NoDataError
from clvtui.store.frames import read_frame
from clvtui.store.identity import person_keys_sql
from clvtui.store.locking import write_transaction
from clvtui.store.ranking_blob import (
    KnownPatterns,
    blob_header,
    ranking_bytes,
    ranking_order,
    read_ranking,
)
from clvtui.store.run_identity import (
    ATTRIBUTE_COLUMNS,
    IDENTITY_COLUMNS,
    StampedIdentity,
    stamped_identity,
    with_identity,
)
from clvtui.store.run_storage import ensure_scores
from clvtui.store.schema import RANKING_FORMAT

SCORE_SCHEMA = {
    "customer_id": pl.Utf8, "orders": pl.Int64, "spend": pl.Float64, "x": pl.Int64,
    "t_x": pl.Float64, "T": pl.Float64, "monetary": pl.Float64, "p_alive": pl.Float64,
    "expected_orders": pl.Float64, "expected_spend": pl.Float64, "clv": pl.Float64,
    "clv_low": pl.Float64, "clv_high": pl.Float64, "next_order_low": pl.Float64,
    "next_order_high": pl.Float64, "p_order_30": pl.Float64, "p_order_90": pl.Float64,
    "tier": pl.Utf8, "risk": pl.Utf8,
}  # fmt: skip
SCORE_COLUMNS = list(SCORE_SCHEMA)
_SCORE_CHUNK = 100_000
# The ranking every customer view shows: scores joined with who the customer is, by CLV.
RANKED_COLUMNS = [
    "customer_id", "name", "email", "tier", "risk", "clv",
    *(c for c in SCORE_COLUMNS if c not in ("customer_id", "tier", "risk", "clv")),
    "country", "channel", "sources",
]  # fmt: skip
FRAME_FORMAT = "arrow-ipc"  # the ranking cache of runs stored a row per customer
RUN_COLUMNS = [
    "created_at", "as_of", "calibration_end", "holdout_weeks", "model", "currency", "value_kind",
    "n_customers", "customer_equity", "equity_low", "equity_high", "settings", "report",
]  # fmt: skip


def save_run(
    db: sqlite_utils.Database,
    run: dict[str, Any],
    scores: pl.DataFrame,
    retention: pl.DataFrame | Future[pl.DataFrame] | None = None,
    identity: Future[pl.DataFrame] | None = None,
    also: Callable[[sqlite3.Connection], None] | None = None,  # warehouse: summary customers
    order: pl.Series | Future[pl.Series] | None = None,
    known: KnownPatterns | None = None,
    ranked: Callable[[sqlite3.Connection, int, np.ndarray], None] | None = None,
) -> int:
    """Insert the run, its scores, segment totals and retention; return the run id.

    The scores go in as one compressed ranking blob (``store.ranking_blob``: ~30 MB at a
    million customers; a row per customer took ~155 MB), built before the write transaction
    so that it stays short. ``identity``: :func:`prefetch_identity`'s read, started early.
    ``also`` writes more rows in the same transaction (a summary run's customers); ``ranked``
    too, given the run id and the blob's ranking order (``store.run_people``). ``order``
    (:func:`ranking_order`, maybe being computed) and ``known`` (the fit's patterns) spare
    the blob finding them."""
    scores = _score_columns(scores)
    segments = (  # added in row order: the same bits on every run (core.group_sums)
        sums_by(scores.select("tier", "risk", clv_total="clv"), ["tier", "risk"], ["clv_total"])
        .with_columns(pl.col("tier", "risk").cast(pl.Utf8))
        .filter(pl.col("tier").is_not_null() & pl.col("risk").is_not_null())
        .sort("tier", "risk")
    )
    # else a file opened without migrating: rows, as its build wrote
    blob, ranking = (
        run_blob(db, scores, identity, order, known) if has_frame_cache(db) else (None, None)
    )
    return_freed_memory()  # what the blob's encoding freed, not held under the write
    if isinstance(retention, Future):  # computed in a thread beside the scores and blob
        retention = retention.result()
    conn = db.conn
    with write_transaction(db, "fit"):
        run_id = _insert_run(conn, run)
        if also is not None:  # rows a summary run stores beside its scores (summary_fit)
            also(conn)
        if ranked is not None and ranking is not None:
            ranked(conn, run_id, ranking)
        if blob is None:
            _insert_score_rows(conn, run_id, scores)
        else:
            conn.execute(
                "INSERT INTO run_frames (run_id, format, scores) VALUES (?, ?, ?)",
                (run_id, RANKING_FORMAT, blob),
            )
        conn.executemany(
            "INSERT INTO run_segments (run_id, tier, risk, customers, clv_total) "
            f"VALUES ({run_id}, ?, ?, ?, ?)",
            segments.rows(),
        )
        if retention is not None and retention.height:
            conn.executemany(
                "INSERT INTO retention (run_id, cohort, month, survival, low, high, at_risk) "
                f"VALUES ({run_id}, ?, ?, ?, ?, ?, ?)",
                retention.select("cohort", "month", "survival", "low", "high", "at_risk").rows(),
            )
    return run_id


def run_blob(
    db: sqlite_utils.Database,
    scores: pl.DataFrame,
    identity: Future[pl.DataFrame] | None,
    order: pl.Series | Future[pl.Series] | None = None,
    known: KnownPatterns | None = None,
) -> tuple[bytes, np.ndarray]:
    """What a run stores once for every command to read: the ranking (scores with tiers and
    risk bands, names, e-mails, highest CLV first), the customers' attributes ``profile``
    compares, and the stamp of the customers table they were read from (``store.stamp``);
    with the ranking's order (each blob row's row of ``scores``). ``order``: the scores'
    :func:`ranking_order`, if the caller has it (or is making it)."""
    if identity is None:
        identity = StampedIdentity()
        identity.set_result(stamped_identity(db, identity))
    who = identity.result()
    extra = [c for c in ATTRIBUTE_COLUMNS if c in who.columns]
    frame = with_identity(scores, who.select(*IDENTITY_COLUMNS, *extra))
    frame = frame.select(*RANKED_COLUMNS, *extra)
    del who
    # the ranking's order, not a sorted copy: the blob gathers each column once, in Arrow
    if isinstance(order, Future):
        order = order.result()
    if order is None:
        order = ranking_order(frame["clv"])
    stamp = identity.data_stamp if isinstance(identity, StampedIdentity) else None
    return ranking_bytes(frame, {"data_stamp": stamp}, order, known), order.to_numpy()


def _score_columns(scores: pl.DataFrame) -> pl.DataFrame:
    """``SCORE_SCHEMA``'s columns and types; a missing P(order) (older callers) is NULL.
    Tiers and risk bands given as Enums stay so (4 bytes a customer; the blob and the rows
    store their text)."""
    missing = [c for c in ("p_order_30", "p_order_90") if c not in scores.columns]
    scores = scores.with_columns(pl.lit(None, dtype=pl.Float64).alias(c) for c in missing)
    coded = [c for c in ("tier", "risk") if scores.schema[c] in (pl.Enum, pl.Categorical)]
    return scores.select(
        pl.col(c) if c in coded else pl.col(c).cast(t) for c, t in SCORE_SCHEMA.items()
    ).with_columns(pl.col("next_order_low", "next_order_high").fill_nan(None))


def _insert_run(conn: sqlite3.Connection, run: dict[str, Any]) -> int:
    values = dict(run)
    values["settings"] = json.dumps(values["settings"])
    values["report"] = json.dumps(values["report"], allow_nan=False)
    cur = conn.execute(
        f"INSERT INTO runs ({', '.join(RUN_COLUMNS)}) VALUES ({', '.join('?' * len(RUN_COLUMNS))})",
        [values[c] for c in RUN_COLUMNS],
    )
    assert cur.lastrowid is not None  # set by every successful INSERT
    return cur.lastrowid


def _insert_score_rows(conn: sqlite3.Connection, run_id: int, scores: pl.DataFrame) -> None:
    """A row per customer: the layout of files without ``run_frames`` (early builds)."""
    insert = (
        f"INSERT INTO scores (run_id, {', '.join(SCORE_COLUMNS)}) "
        f"VALUES ({run_id}, {', '.join('?' * len(SCORE_COLUMNS))})"
    )
    scores = scores.with_columns(pl.col("tier", "risk").cast(pl.Utf8))
    # 100k rows at a time: 1 M rows × 17 columns as Python objects at once cost ~550 MB
    for lo in range(0, scores.height, _SCORE_CHUNK):
        conn.executemany(insert, scores.slice(lo, _SCORE_CHUNK).rows())  # tuples built in Rust


def _runs(db: sqlite_utils.Database, where: str = "1", args: tuple = ()) -> list[dict[str, Any]]:
    cur = db.conn.execute(f"SELECT id, {', '.join(RUN_COLUMNS)} FROM runs WHERE {where}", args)
    names = [d[0] for d in cur.description]
    out = []
    for row in cur.fetchall():
        rec = dict(zip(names, row, strict=True))
        rec["settings"] = _stored_json(rec, "settings")
        rec["report"] = _stored_json(rec, "report")
        out.append(rec)
    return out


def _stored_json(run: dict[str, Any], column: str) -> Any:
    """A run's JSON column, parsed; damaged text is a damaged database (the one-line wording
    every face gives for SQLite's own "malformed"), not a traceback."""
    try:
        return json.loads(run[column])
    except (TypeError, ValueError):
        raise sqlite3.DatabaseError(f"malformed JSON in run {run['id']}'s {column}") from None


def latest_run(db: sqlite_utils.Database) -> dict[str, Any] | None:
    """The most recent run (report and settings parsed), or None before the first fit."""
    rows = _runs(db, "id = (SELECT MAX(id) FROM runs)")
    return rows[0] if rows else None


def get_run(db: sqlite_utils.Database, run_id: int) -> dict[str, Any]:
    rows = _runs(db, "id = ?", (run_id,))
    if not rows:
        raise NoDataError(f"there is no run {run_id}; list the fits with: clvtui runs")
    return rows[0]


def list_runs(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """Every run, newest first, without the bulky report and settings."""
    cur = db.conn.execute(
        "SELECT id, created_at, as_of, calibration_end, holdout_weeks, model, currency, "
        "value_kind, n_customers, customer_equity, equity_low, equity_high "
        "FROM runs ORDER BY id DESC"
    )
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def scores_frame(db: sqlite_utils.Database, run_id: int) -> pl.DataFrame:
    """The per-customer scores of a run, highest CLV first."""
    ensure_scores(db, run_id)
    stored = run_frame(db, run_id, SCORE_COLUMNS)
    if stored is not None:
        return stored
    return read_frame(  # a run stored a row per customer (before the ranking blob)
        db,
        f"SELECT {', '.join(SCORE_COLUMNS)} FROM scores WHERE run_id = ? ORDER BY clv DESC",
        (run_id,),
        schema={c: SCORE_SCHEMA[c] for c in SCORE_COLUMNS},
    )


def ranked_frame(scores: pl.DataFrame, identity: pl.DataFrame) -> pl.DataFrame:
    """Scores joined with name, e-mail, country and channel; highest CLV first.

    Only the ids go through the join (one person per id: ``customers``' key) and the scores'
    columns are shared, not copied, until the one sort: at a million customers a whole-frame
    join was a copy of every column, ~250 MB at the fit's peak.
    """
    frame = with_identity(scores, identity)
    return frame.select(RANKED_COLUMNS).sort("clv", descending=True, maintain_order=True)


def ranked_customers(
    db: sqlite_utils.Database, run_id: int, columns: Sequence[str] | None = None
) -> pl.DataFrame:
    """A run's ranking (``RANKED_COLUMNS``, or only ``columns`` of it; highest CLV first),
    from its stored blob.

    The blob is read in one go (~0.2 s at a million customers; a command that shows a few
    columns reads only those, the others are never decompressed); runs stored before the blob
    layout without a ranking cache are read row by row and joined with today's identities
    (~5 s at a million).
    """
    ensure_scores(db, run_id)  # a pruned run has neither cache nor scores: say so
    cached = run_frame(db, run_id, columns)
    if cached is not None:
        return cached
    frame = ranked_frame(scores_frame(db, run_id), _identity(db))
    return frame if columns is None else frame.select(columns)


def run_frame(
    db: sqlite_utils.Database, run_id: int, columns: Sequence[str] | None = None
) -> pl.DataFrame | None:
    """The run's stored ranking (or some of its columns); None when the run has none.

    Two layouts: the Parquet blob that holds a run's scores (``store.ranking_blob``), and the
    Arrow cache that runs stored before it kept beside their score rows (None if its columns
    are not today's: those runs are read from their rows).
    """
    if not has_frame_cache(db):
        return None
    row = db.conn.execute(
        "SELECT format, scores FROM run_frames WHERE run_id = ?", (run_id,)
    ).fetchone()
    if row is None:
        return None
    if row[0] == RANKING_FORMAT:  # extra columns a blob may hold are not the ranking's
        return read_ranking(row[1], RANKED_COLUMNS if columns is None else columns)
    if row[0] != FRAME_FORMAT:
        return None
    frame = pl.read_ipc(io.BytesIO(row[1]))
    if frame.columns != RANKED_COLUMNS:
        return None
    return frame if columns is None else frame.select(columns)


def has_frame_cache(db: sqlite_utils.Database) -> bool:
    """Whether the file has the ``run_frames`` table (databases made by early builds lack it)."""
    return db.table("run_frames").exists()


def prefetch_identity(db: sqlite_utils.Database) -> Future[pl.DataFrame] | None:
    """Start reading every customer's identity columns on a second connection, in a thread.

    Safe beside ``db.conn``: both connections use the same SQLite library, whose file locks
    are shared within the process. Returns None when there is no file to open (in-memory).
    """
    from clvtui.store.background import database_path, read_in_background

    if database_path(db) is None or not has_frame_cache(db):
        return None
    out = StampedIdentity()
    return read_in_background(db, lambda other: stamped_identity(other, out), out)


def _identity(db: sqlite_utils.Database) -> pl.DataFrame:
    from clvtui.store.identity import customer_identity_frame

    return customer_identity_frame(db)


def blob_identity_current(db: sqlite_utils.Database, run_id: int) -> list[str]:
    """The customer columns run ``run_id``'s blob holds that equal today's customers table
    (none when the table changed since the fit, or the run predates the stamp)."""
    row = db.conn.execute(
        "SELECT 1 FROM run_frames WHERE run_id = ? AND format = ?", (run_id, RANKING_FORMAT)
    ).fetchone()
    if row is None:
        return []
    # the header only: a function such as substr() would load the whole 30 MB value
    with db.conn.blobopen("run_frames", "scores", run_id, readonly=True) as blob:
        header = blob_header(blob.read(8192))
    if header is None or header.get("data_stamp") is None:
        return []
    from clvtui.store.stamp import data_stamp

    if header["data_stamp"] != data_stamp(db.conn):
        return []
    return [c for c in header["columns"] if c not in SCORE_SCHEMA]


def run_segments(db: sqlite_utils.Database, run_id: int) -> pl.DataFrame:
    """Customers and CLV per (tier, risk) cell of one run, as stored with it."""
    rows = db.conn.execute(
        "SELECT tier, risk, customers, clv_total FROM run_segments WHERE run_id = ? "
        "ORDER BY tier, risk",
        (run_id,),
    ).fetchall()
    schema = {"tier": pl.Utf8, "risk": pl.Utf8, "customers": pl.Int64, "clv_total": pl.Float64}
    return pl.DataFrame(rows, schema=schema, orient="row")


def retention_frame(db: sqlite_utils.Database, run_id: int) -> pl.DataFrame:
    rows = db.conn.execute(
        "SELECT cohort, month, survival, low, high, at_risk FROM retention WHERE run_id = ? "
        "ORDER BY cohort, month",
        (run_id,),
    ).fetchall()
    schema = {
        "cohort": pl.Utf8, "month": pl.Int64, "survival": pl.Float64, "low": pl.Float64,
        "high": pl.Float64, "at_risk": pl.Int64,
    }  # fmt: skip
    return pl.DataFrame(rows, schema=schema, orient="row")


def customer_orders(db: sqlite_utils.Database, customer_id: str) -> pl.DataFrame:
    """One person's orders from every source, oldest first (purchases and not), amounts in
    minor units."""
    cols = [
        "source", "order_id", "ordered_at", "amount_minor", "refunded_minor", "currency",
        "status", "is_purchase", "country", "channel", "product", "discount_code",
    ]  # fmt: skip
    rows = db.conn.execute(
        f"SELECT {', '.join(cols)} FROM orders WHERE customer_key IN ({person_keys_sql()})"
        " ORDER BY ordered_at",
        (customer_id, customer_id),
    ).fetchall()
    schema = {c: pl.Utf8 for c in cols} | {
        "amount_minor": pl.Int64, "refunded_minor": pl.Int64, "is_purchase": pl.Int64,
    }  # fmt: skip
    return pl.DataFrame(rows, schema=schema, orient="row")
