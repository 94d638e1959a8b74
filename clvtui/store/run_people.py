"""Each run's customers as codes of the orders part's sorted ids, kept beside the run.

Why: ``cohorts``, ``plan`` and ``products`` need each scored customer's place among the
customers of the orders (``store.customer_ranks``' codes). Found from the run's id texts,
that cost every command ~0.75 s of CPU at a million customers: decoding the blob's million
ids (0.3 s) and matching them to the sorted ids by hash (0.45 s). The fit knows the codes —
its summary is made per code — so it keeps them once (4 bytes a customer, in the blob's
ranking order), and a command gathers the ids from the sorted ones instead.

Stale-safe without stamps: beside the codes the fit keeps a digest of the ids they stand for
(the run's own, in ranking order). A reader gathers the ids its codes name from the sorted
ids of now and uses the codes only when their digest is the kept one; an import that moved
the codes, linked customers (persons are numbered otherwise), a reused run id: the digest
differs and the reader matches the texts as before.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable

import numpy as np
import polars as pl

from clvtui.store.customer_ranks import CODE

_TABLE = (
    "CREATE TABLE IF NOT EXISTS run_people (run_id INTEGER PRIMARY KEY, digest BLOB NOT NULL,"
    " codes BLOB NOT NULL)"
)


def digest(ids: pl.Series) -> bytes:
    """A fingerprint of ``ids`` in their order (their 64-bit hashes, digested): equal ids,
    equal digest; any other list, another one."""
    return _digest(_hashes(ids))


def _hashes(ids: pl.Series) -> np.ndarray:
    return ids.cast(pl.Utf8).hash(seed=0).to_numpy()


def _digest(hashes: np.ndarray) -> bytes:
    out = hashlib.blake2b(digest_size=32)
    out.update(str(hashes.size).encode())
    out.update(np.ascontiguousarray(hashes, dtype="<u8").data)
    return out.digest()


def customers_coded(orders: pl.DataFrame) -> np.ndarray | None:
    """The distinct customer codes of a fit's orders, ascending — its summary's rows, which
    it makes sorted by code (None: the orders were read as texts, e.g. linked customers)."""
    if CODE not in orders.columns:
        return None
    return np.flatnonzero(np.bincount(orders.get_column(CODE).to_numpy(), minlength=1))


def keeper(
    summary_ids: pl.Series, present: np.ndarray
) -> Callable[[sqlite3.Connection, int, np.ndarray], None] | None:
    """What ``store.runs.save_run`` calls in the fit's write transaction (``ranked``) with
    the run's id and the blob's ranking order: the codes of the run's customers in that
    order (``present``: :func:`customers_coded`, a code per summary row, ``summary_ids``)
    and the digest of their ids. None when the counts differ (the digest would refuse
    such codes: none are kept). ~0.03 s at a million customers."""
    if present.size != summary_ids.len():
        return None
    hashes = _hashes(summary_ids)  # in the summary's order: texts gathered hash ~10x slower

    def keep(conn: sqlite3.Connection, run_id: int, order: np.ndarray) -> None:
        codes = np.ascontiguousarray(present[order], dtype="<i4")
        conn.execute(_TABLE)
        conn.execute(
            "INSERT OR REPLACE INTO run_people (run_id, digest, codes) VALUES (?, ?, ?)",
            (run_id, _digest(hashes[order]), codes.tobytes()),
        )

    return keep


def kept_codes(conn: sqlite3.Connection, run_id: int) -> tuple[np.ndarray, bytes] | None:
    """The codes and digest kept for ``run_id`` (None: none kept, or a file without them)."""
    try:
        row = conn.execute(
            "SELECT codes, digest FROM run_people WHERE run_id = ?", (run_id,)
        ).fetchone()
    except sqlite3.OperationalError as err:  # no such table: a file no fit has kept them in
        if "no such table" not in str(err):
            raise
        return None
    if row is None:
        return None
    return np.frombuffer(row[0], dtype="<i4").astype(np.int64), bytes(row[1])


def run_ids(kept: tuple[np.ndarray, bytes] | None, people: pl.Series) -> pl.Series | None:
    """The run's customer ids (ranking order) gathered from ``people`` (the sorted ids the
    codes number), when the kept codes still name them; else None."""
    if kept is None:
        return None
    codes, expected = kept
    if codes.size and (codes.max() >= people.len() or codes.min() < 0):
        return None
    if _digest(_hashes(people)[codes]) != expected:  # the ids' hashes, gathered (~0.03 s)
        return None
    return people.gather(codes).alias("customer_id")


def forget(conn: sqlite3.Connection, run_id: int) -> None:
    """Drop a pruned run's codes (inside the caller's write transaction)."""
    if conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'run_people'"
    ).fetchone():
        conn.execute("DELETE FROM run_people WHERE run_id = ?", (run_id,))
