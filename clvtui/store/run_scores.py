"""Scores read by column, joined with customers; runs over time.

A run's scores are one Parquet blob (``store.ranking_blob``), of which only the asked-for
columns are decompressed; customer attributes are joined in polars. Runs stored before the blob
have a row per customer, read in SQL through ``store.frames.read_frame`` as they always were.
Column names are checked against the schema before they reach SQL.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from concurrent.futures import Future
from typing import Any

import polars as pl
import sqlite_utils

from clvtui.core.group_sums import sums_by
from clvtui.errors import NoDataError
from clvtui.store.frames import read_frame, read_table
from clvtui.store.run_storage import ensure_scores
from clvtui.store.runs import SCORE_SCHEMA, blob_identity_current, run_frame

SCORE_COLUMNS: dict[str, Any] = SCORE_SCHEMA  # one definition, beside the writer
CUSTOMER_COLUMNS: dict[str, Any] = {
    "email": pl.Utf8,
    "name": pl.Utf8,
    "country": pl.Utf8,
    "channel": pl.Utf8,
    "first_product": pl.Utf8,
    "discount_code": pl.Utf8,
    "first_order_at": pl.Utf8,
    "sources": pl.Utf8,
}


def latest_run_id(db: sqlite_utils.Database) -> int:
    """The newest run; a clear message when nothing has been fitted yet."""
    row = db.conn.execute("SELECT max(id) FROM runs").fetchone()
    if row is None or row[0] is None:
        raise NoDataError("no fitted run yet: import orders, then run `clvtui fit`")
    return int(row[0])


def run_row(db: sqlite_utils.Database, run_id: int) -> dict[str, Any]:
    """One run's header (with its settings snapshot parsed)."""
    rows = db.query(
        "SELECT id, created_at, as_of, calibration_end, model, currency, value_kind, "
        "n_customers, customer_equity, equity_low, equity_high, settings, "
        "json_extract(report, '$.risk_rule') AS risk_rule, "
        "COALESCE(json_extract(report, '$.scored_as_of'), calibration_end) AS scored_as_of "
        "FROM runs WHERE id = ?",
        [run_id],
    )
    out = next(rows, None)
    if out is None:
        raise NoDataError(f"there is no run {run_id}; list the fits with: clvtui runs")
    out["settings"] = json.loads(out["settings"] or "{}")
    out["risk_rule"] = json.loads(out["risk_rule"]) if out["risk_rule"] else None
    return out


def previous_run_id(db: sqlite_utils.Database, run_id: int) -> int | None:
    row = db.conn.execute("SELECT max(id) FROM runs WHERE id < ?", (run_id,)).fetchone()
    return None if row[0] is None else int(row[0])


#: The date a run's values refer to (old runs lack ``scored_as_of``: they scored at the
#: calibration end), as YYYY-MM-DD.
SCORED_DATE = (
    "substr(COALESCE(json_extract({t}.report, '$.scored_as_of'), {t}.calibration_end), 1, 10)"
)


def previous_run_by_date(db: sqlite_utils.Database, run_id: int) -> int | None:
    """The fit before ``run_id`` in time: the latest one scored as of an earlier date; when
    there is none, the latest refit as of the same date fitted before it (settings changed).
    By date, not id: a backtest fitted after a plain fit is earlier in time, and comparing the
    plain fit with it must not look back; and a refit of the same date is the same moment, so
    an earlier date, when there is one, is what customers moved since."""
    row = db.conn.execute(
        f"SELECT r.id FROM runs r JOIN runs me ON me.id = ? "
        f"WHERE r.id != me.id AND ({SCORED_DATE.format(t='r')} < {SCORED_DATE.format(t='me')} "
        f"OR ({SCORED_DATE.format(t='r')} = {SCORED_DATE.format(t='me')} AND r.id < me.id)) "
        f"ORDER BY {SCORED_DATE.format(t='r')} = {SCORED_DATE.format(t='me')}, "
        f"{SCORED_DATE.format(t='r')} DESC, r.id DESC LIMIT 1",
        (run_id,),
    ).fetchone()
    return None if row is None else int(row[0])


def scores_columns(
    db: sqlite_utils.Database,
    run_id: int,
    columns: Sequence[str],
    *,
    customer_columns: Sequence[str] = (),
    tier: str | None = None,
    risks: Sequence[str] | None = None,
) -> pl.DataFrame:
    """Some columns of a run's scores (optionally joined with customer attributes, filtered)."""
    _check_columns(columns, customer_columns)
    ensure_scores(db, run_id)  # a pruned run has none: say so rather than show nobody
    # customer columns the fit stored in the blob, while the table is as the fit read it
    current = blob_identity_current(db, run_id) if customer_columns else []
    in_blob = [c for c in customer_columns if c in current]
    filters = [name for name, on in (("tier", tier), ("risk", risks)) if on is not None]
    # the ids (a million texts: ~0.3 s to decode) only when asked for or joined on
    by_id = ["customer_id"] if customer_columns else []
    wanted = list(dict.fromkeys([*columns, *by_id, *filters, *in_blob]))
    stored = run_frame(db, run_id, wanted)
    if stored is None:  # a run stored a row per customer
        return _scores_rows(db, run_id, columns, customer_columns, tier, risks)
    if tier is not None:
        stored = stored.filter(pl.col("tier") == tier)
    if risks is not None:
        stored = stored.filter(pl.col("risk").is_in(list(risks)))
    joined = [c for c in customer_columns if c not in in_blob]
    return _with_customers(db, stored, joined).select(*columns, *customer_columns)


def scores_beside(
    db: sqlite_utils.Database,
    run_id: int,
    columns: Sequence[str],
    *,
    customer_columns: Sequence[str] = (),
) -> Future[pl.DataFrame]:
    """:func:`scores_columns` read on a second connection in a thread. Why: the blob's
    Parquet decoding runs outside the GIL, so on a second core it costs no wall time beside
    the caller's read of the purchases (``cohorts``, ``plan``: ~0.3 s at 1 M customers)."""
    from clvtui.store.background import read_in_background

    return read_in_background(
        db, lambda other: scores_columns(other, run_id, columns, customer_columns=customer_columns)
    )


def _scores_rows(
    db: sqlite_utils.Database,
    run_id: int,
    columns: Sequence[str],
    customer_columns: Sequence[str],
    tier: str | None,
    risks: Sequence[str] | None,
) -> pl.DataFrame:
    select = [f's."{c}"' for c in columns] + [f"c.{c}" for c in customer_columns]
    sql = f"SELECT {', '.join(select)} FROM scores s"
    if customer_columns:
        sql += " LEFT JOIN customers c ON c.customer_id = s.customer_id"
    sql += " WHERE s.run_id = ?"
    params: list[Any] = [run_id]
    if tier is not None:
        sql += " AND s.tier = ?"
        params.append(tier)
    if risks is not None:
        sql += f" AND s.risk IN ({', '.join('?' for _ in risks)})"
        params.extend(risks)
    return read_frame(db, sql, params, schema=_schema(columns, customer_columns))


def _check_columns(columns: Sequence[str], customer_columns: Sequence[str]) -> None:
    bad = [c for c in columns if c not in SCORE_COLUMNS]
    bad += [c for c in customer_columns if c not in CUSTOMER_COLUMNS]
    if bad:
        raise ValueError(f"unknown column(s): {bad}")


def _schema(columns: Sequence[str], customer_columns: Sequence[str]) -> dict[str, Any]:
    return {c: SCORE_COLUMNS[c] for c in columns} | {
        c: CUSTOMER_COLUMNS[c] for c in customer_columns
    }


def _with_customers(
    db: sqlite_utils.Database, scores: pl.DataFrame, customer_columns: Sequence[str]
) -> pl.DataFrame:
    """``scores`` left-joined with some customer attributes (the stored blob's side of the
    SQL join that runs stored a row per customer are read with)."""
    if not customer_columns:
        return scores
    wanted = {"customer_id": ("customer_id", pl.Utf8)} | {
        c: (c, CUSTOMER_COLUMNS[c]) for c in customer_columns
    }
    if scores.height > 5_000:
        people = read_table(db, "customers", wanted)
    else:  # a few customers (a top-50 list): by id, not the whole table
        people = customers_by_id(db, scores["customer_id"].to_list(), wanted)
    return scores.join(people, on="customer_id", how="left", maintain_order="left")


def with_customer_columns(
    db: sqlite_utils.Database, scores: pl.DataFrame, customer_columns: Sequence[str]
) -> pl.DataFrame:
    """``scores`` (with ``customer_id``) left-joined with today's customer attributes: by id
    for a few customers (a top-20 list), else the whole table."""
    _check_columns((), customer_columns)
    return _with_customers(db, scores, customer_columns)


def customers_by_id(
    db: sqlite_utils.Database, ids: Sequence[str], columns: dict[str, tuple[str, Any]]
) -> pl.DataFrame:
    """Some customers' attributes, 500 ids per query (SQLite's bound-parameter limit)."""
    schema = {name: dtype for name, (_, dtype) in columns.items()}
    select = ", ".join(expr for expr, _ in columns.values())
    ids = list(dict.fromkeys(ids))
    out = [
        read_frame(
            db,
            f"SELECT {select} FROM customers WHERE customer_id IN "
            f"({', '.join('?' for _ in ids[lo : lo + 500])})",
            ids[lo : lo + 500],
            schema=schema,
        )
        for lo in range(0, len(ids), 500)
    ]
    return pl.concat(out) if out else pl.DataFrame(schema=schema)


def scores_for_ids(
    db: sqlite_utils.Database,
    run_id: int,
    customer_ids: Sequence[str],
    columns: Sequence[str],
    *,
    customer_columns: Sequence[str] = (),
) -> pl.DataFrame:
    """Some columns for a few customers (e.g. contact details of a top-50 list), by id."""
    _check_columns(columns, customer_columns)
    cols = list(dict.fromkeys(["customer_id", *columns]))
    ensure_scores(db, run_id)
    ids = list(dict.fromkeys(customer_ids))
    stored = run_frame(db, run_id, cols)
    if stored is not None:
        stored = stored.filter(pl.col("customer_id").is_in(ids))
        return _with_customers(db, stored, customer_columns).select(*cols, *customer_columns)
    select = [f's."{c}"' for c in cols] + [f"c.{c}" for c in customer_columns]
    schema = _schema(cols, customer_columns)
    out = []
    for start in range(0, len(ids), 500):  # stay under SQLite's bound-parameter limit
        chunk = ids[start : start + 500]
        sql = (
            f"SELECT {', '.join(select)} FROM scores s "
            "LEFT JOIN customers c ON c.customer_id = s.customer_id "
            f"WHERE s.run_id = ? AND s.customer_id IN ({', '.join('?' for _ in chunk)})"
        )
        out.append(read_frame(db, sql, [run_id, *chunk], schema=schema))
    return pl.concat(out) if out else pl.DataFrame(schema=schema)


def customer_attribute_names(db: sqlite_utils.Database) -> list[str]:
    """The attributes the imports actually carried (columns with at least one value).

    ``EXISTS`` stops at the first customer with a value; counting them read every customer
    (~0.2 s at a million, before profile could start anything else)."""
    names = ("country", "channel", "first_product", "discount_code")
    row = db.conn.execute(
        "SELECT "
        + ", ".join(f"EXISTS (SELECT 1 FROM customers WHERE {n} IS NOT NULL)" for n in names)
    ).fetchone()
    return [n for n, found in zip(names, row, strict=True) if found]


def run_segments_frame(db: sqlite_utils.Database) -> pl.DataFrame:
    """Every run's (tier, risk) cells with the run's date and total equity, oldest run first.

    ``as_of`` is the date the values refer to: a backtest run is refitted on all its data, so
    its values are as of its as-of date too (runs stored before that scored a backtest at its
    calibration end, and say so by lacking ``scored_as_of``).
    """
    return read_frame(
        db,
        "SELECT r.id, r.created_at, "
        "COALESCE(json_extract(r.report, '$.scored_as_of'), r.calibration_end), "
        "r.value_kind, r.customer_equity, "
        "g.tier, g.risk, g.customers, g.clv_total "
        "FROM run_segments g JOIN runs r ON r.id = g.run_id ORDER BY r.id, g.tier, g.risk",
        (),
        schema={
            "run_id": pl.Int64,
            "created_at": pl.Utf8,
            "as_of": pl.Utf8,
            "value_kind": pl.Utf8,
            "customer_equity": pl.Float64,
            "tier": pl.Utf8,
            "risk": pl.Utf8,
            "customers": pl.Int64,
            "clv_total": pl.Float64,
        },
    )


def cohort_channel_values(db: sqlite_utils.Database, run_id: int) -> pl.DataFrame:
    """New customers and their predicted CLV per acquisition month and channel (for actual CAC)."""
    ensure_scores(db, run_id)
    schema = {
        "month": pl.Utf8, "channel": pl.Utf8, "new_customers": pl.Int64, "clv_total": pl.Float64,
    }  # fmt: skip
    stored = run_frame(db, run_id, ["customer_id", "clv"])
    if stored is None:  # a run stored a row per customer
        return read_frame(
            db,
            "SELECT substr(c.first_order_at, 1, 7) AS month, c.channel, count(*), sum(s.clv) "
            "FROM scores s JOIN customers c ON c.customer_id = s.customer_id "
            "WHERE s.run_id = ? AND c.first_order_at IS NOT NULL GROUP BY 1, 2",
            (run_id,),
            schema=schema,
        )
    people = read_table(
        db,
        "customers",
        {
            "customer_id": ("customer_id", pl.Utf8),
            "month": ("substr(first_order_at, 1, 7)", pl.Utf8),
            "channel": ("channel", pl.Utf8),
        },
        where="first_order_at IS NOT NULL",
    )
    # sums_by: the same sums and the same row order (first appearance) every run, which
    # actual_cac's per-month sums over these rows need; a group-by's rows come in any order
    cells = stored.join(people, on="customer_id", how="inner").select(
        "month", "channel", clv_total="clv"
    )
    totals = sums_by(cells, ["month", "channel"], ["clv_total"], count="new_customers")
    return totals.select("month", "channel", pl.col("new_customers").cast(pl.Int64), "clv_total")


def purchase_times(
    db: sqlite_utils.Database, customer_ids: Sequence[str], until: str
) -> pl.DataFrame:
    """Purchase timestamps (UTC text) of some customers up to ``until`` (for time-to-repurchase).

    The ids go through a temporary table; a person's keys are the id itself and any key
    linked to it. ``CROSS JOIN`` fixes the join order (SQLite's planner otherwise scanned all
    orders, having no statistics for the temporary table): one index search per id, 0.5 s
    instead of 7 s for 10,000 customers at a million.
    """
    if len(until) == 10:  # a date: the whole day counts
        until = until + "T23:59:59Z"
    conn = db.conn
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS _ids (customer_id TEXT PRIMARY KEY)")
    try:
        conn.execute("DELETE FROM _ids")
        conn.executemany("INSERT OR IGNORE INTO _ids VALUES (?)", ((c,) for c in customer_ids))
        purchase = "o.is_purchase = 1 AND o.ordered_at <= ?"
        return read_frame(
            db,
            "SELECT i.customer_id, o.ordered_at FROM _ids i "
            f"CROSS JOIN orders o ON o.customer_key = i.customer_id WHERE {purchase} "
            "UNION ALL SELECT l.customer_id, o.ordered_at FROM _ids i "
            "CROSS JOIN customer_links l ON l.customer_id = i.customer_id "
            f"CROSS JOIN orders o ON o.customer_key = l.customer_key WHERE {purchase}",
            (until, until),
            schema={"customer_id": pl.Utf8, "ordered_at": pl.Utf8},
        )
    finally:
        conn.execute("DROP TABLE IF EXISTS _ids")
        conn.commit()
