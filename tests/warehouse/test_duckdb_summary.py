"""docs/warehouse.md's DuckDB summary query, run as written, gives clvtui's own summary.

The query is read from the markdown (the ``sql duckdb-summary`` / ``sql duckdb-holdout``
blocks), so the document cannot drift from what is tested.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from clvtui.ingest.summary_file import read_summary
from clvtui.model.summary import summarise

ROOT = Path(__file__).resolve().parents[2]
ORDERS = ROOT / "fixtures" / "summary" / "orders.csv"
AS_OF = "2026-06-30"  # the as-of date written in the documented queries


def doc_query(tag: str) -> str:
    text = (ROOT / "docs" / "warehouse.md").read_text(encoding="utf8")
    found = re.findall(rf"```sql {tag}\n(.*?)```", text, flags=re.S)
    assert len(found) == 1, f"docs/warehouse.md should hold one `sql {tag}` block"
    return found[0]


def run_doc_query(tag: str, out: Path) -> Path:
    """Run the documented statements over the orders fixture, write the result as Parquet."""
    con = duckdb.connect()
    con.execute(
        "CREATE VIEW orders AS SELECT customer_id, ordered_at, "
        f"CAST(amount AS DECIMAL(18, 2)) AS amount FROM read_csv('{ORDERS}')"
    )
    *settings, query = [s for s in doc_query(tag).split(";") if s.strip()]
    for statement in settings:
        con.execute(statement)
    con.execute(f"COPY ({query}) TO '{out}' (FORMAT parquet)")
    con.close()
    return out


def clvtui_orders() -> pl.DataFrame:
    return pl.read_csv(ORDERS, schema_overrides={"customer_id": pl.Utf8}).with_columns(
        pl.col("ordered_at").str.to_datetime("%Y-%m-%dT%H:%M:%SZ", time_zone="UTC")
    )


def test_documented_duckdb_query_equals_clvtuis_summary(tmp_path: Path) -> None:
    path = run_doc_query("duckdb-summary", tmp_path / "summary.parquet")
    theirs = read_summary(path, unit="days").frame
    ours = summarise(clvtui_orders(), AS_OF).sort("customer_id")
    assert theirs.height == ours.height == 400
    assert_frame_equal(
        theirs.select("customer_id", "x", "t_x", "T", "orders"),
        ours.select("customer_id", "x", "t_x", "T", "orders"),
        check_exact=True,
    )
    # m: the warehouse sums exact decimals, clvtui floats (spend − first day): last-digit noise
    assert theirs["m"].to_list() == pytest.approx(ours["m"].to_list(), rel=1e-13, abs=0)
    assert theirs["revenue"].to_list() == pytest.approx(ours["spend"].to_list(), rel=1e-12)
    # same-day orders really are in the fixture, and were merged into one purchase
    assert int(ours["orders"].sum()) < clvtui_orders().height


def test_documented_holdout_query_equals_clvtuis_split(tmp_path: Path) -> None:
    path = run_doc_query("duckdb-holdout", tmp_path / "holdout.parquet")
    theirs = read_summary(path, unit="days").frame
    ours = summarise(clvtui_orders(), AS_OF, holdout_weeks=13).sort("customer_id")
    assert theirs.height == ours.height
    assert_frame_equal(
        theirs.select("customer_id", "x", "t_x", "T", "x_holdout"),
        ours.select("customer_id", "x", "t_x", "T", x_holdout="holdout_x"),
        check_exact=True,
    )
    assert theirs["m"].to_list() == pytest.approx(ours["m"].to_list(), rel=1e-13, abs=0)
    assert int(ours["holdout_x"].sum()) > 0
