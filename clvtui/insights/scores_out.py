"""Every customer's scores of a run as one file, for loading back into a warehouse or a CRM.

The contract (docs/warehouse.md): one row per customer, the run's id, the day it is scored as
of, its currency and value kind repeated on every row (so many runs can share one warehouse
table), and the customer's CLV with its 90 % interval, P(alive), P(an order within 30 / 90
days), expected orders and spend per order over the horizon, tier, risk band and next-order
window as dates. Full precision (a loader, not a reader, consumes it). Parquet keeps the types;
CSV text cells that a spreadsheet would run as formulas get a leading ``'`` (as ``export``).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import polars as pl

from clvtui.errors import ClvError
from clvtui.insights.customer_lists import neutralise_frame
from clvtui.safewrite import atomic_write, check_target

SCORES_FILE_COLUMNS = (
    "run_id", "scored_as_of", "currency", "value_kind", "horizon_months",
    "customer_id", "email", "name", "tier", "risk",
    "clv", "clv_low", "clv_high", "p_alive", "p_order_30", "p_order_90",
    "expected_orders", "expected_spend", "next_order_from", "next_order_to",
)  # fmt: skip
SUFFIXES = (".parquet", ".csv")


def check_scores_target(path: str | Path, *, force: bool = False) -> Path:
    """Refuse a wrong suffix, a link, a missing folder or an existing file (without ``force``)
    before a million customers are read."""
    path = Path(path)
    if path.suffix.lower() not in SUFFIXES:
        raise ClvError(
            f"{path}: write scores to a .parquet or .csv file (got {path.suffix or 'no suffix'!r})"
        )
    return check_target(path, force=force)


def scores_file_frame(ranked: pl.DataFrame, run: dict[str, Any]) -> pl.DataFrame:
    """The file's columns from a run's ranking (``store.runs.ranked_customers``) and its row."""
    report = run.get("report") or {}
    scored = str(report.get("scored_as_of") or run.get("calibration_end") or run["as_of"])[:10]
    start = pl.lit(dt.date.fromisoformat(scored), dtype=pl.Date)
    horizon = (report.get("customer_equity") or {}).get("horizon_months")

    def date_after(col: str) -> pl.Expr:
        return start + pl.duration(days=(pl.col(col) * 7.0).round(0).cast(pl.Int64))

    return (
        ranked.with_columns(
            run_id=pl.lit(int(run["id"]), dtype=pl.Int64),
            scored_as_of=start,
            currency=pl.lit(run.get("currency"), dtype=pl.Utf8),
            value_kind=pl.lit(run.get("value_kind"), dtype=pl.Utf8),
            horizon_months=pl.lit(horizon, dtype=pl.Int64),
            next_order_from=date_after("next_order_low"),
            next_order_to=date_after("next_order_high"),
        )
        .select(SCORES_FILE_COLUMNS)
        .sort(["clv", "customer_id"], descending=[True, False])
    )


def write_scores(frame: pl.DataFrame, path: str | Path, *, force: bool = False) -> Path:
    """Write the scores file (0600, whole or not at all: ``clvtui.safewrite``)."""
    path = check_scores_target(path, force=force)
    with atomic_write(path, force=force) as partial:
        if path.suffix.lower() == ".parquet":
            frame.write_parquet(partial.path, compression="zstd")
        else:
            neutralise_frame(frame).write_csv(partial.path)
    return path
