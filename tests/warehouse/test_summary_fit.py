"""``clvtui fit --summary``: the same run as ``clvtui fit`` on the same orders, stored like any
other, and a broken file refused with one line and nothing stored."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from clvtui.ingest import import_file
from clvtui.insights.segments import OneTimeRule, assign_segments
from clvtui.pipeline import fit_run
from clvtui.settings import Settings
from clvtui.store import open_db
from clvtui.store.runs import latest_run, scores_frame
from tests.warehouse.conftest import SUMMARIES, cli

AS_OF = "2026-06-30"
ORDERS = SUMMARIES / "orders.csv"


@pytest.fixture(scope="module")
def from_orders(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """``clvtui import`` + ``fit`` of the orders the DuckDB summary was computed from."""
    db = open_db(tmp_path_factory.mktemp("orders") / "orders.db")
    import_file(db, ORDERS)
    report = fit_run(db, as_of=AS_OF, model="bgnbd").report
    assert report["outlier_orders"]["orders"] == 0  # nothing capped that a summary cannot cap
    report["clv"] = sorted(scores_frame(db, report["run_id"])["clv"].to_list())
    return report


def test_summary_fit_gives_the_same_parameters_and_equity(
    tmp_path: Path, summary_parquet: Path, from_orders: dict
) -> None:
    db = tmp_path / "warehouse.db"
    args = ["--as-of", AS_OF, "--model", "bgnbd", "--currency", "USD", "--json"]
    code, out, err = cli(db, "fit", "--summary", str(summary_parquet), "--unit", "days", *args)
    assert code == 0, err
    ours = json.loads(out)
    for block in ("purchase_model", "spend_model"):
        for name, value in from_orders[block]["params"].items():
            assert ours[block]["params"][name] == pytest.approx(value, rel=1e-6), (block, name)
    for key in ("value", "low", "high"):
        expected = from_orders["customer_equity"][key]
        assert ours["customer_equity"][key] == pytest.approx(expected, rel=1e-6), key
    assert ours["customer_equity"]["currency"] == "USD"
    assert ours["n_customers"] == 400 and ours["as_of"] == AS_OF
    stored = open_db(db)
    clv = sorted(scores_frame(stored, ours["run_id"])["clv"].to_list())
    assert clv == pytest.approx(from_orders["clv"], rel=1e-6, abs=1e-9)
    assert ours["summary_file"]["file"] == "summary.parquet"
    assert "not available" not in json.dumps(from_orders)  # the orders run lacks the block


def test_summary_run_is_stored_like_any_other(tmp_path: Path, summary_parquet: Path) -> None:
    db = tmp_path / "warehouse.db"
    assert cli(db, "fit", "--summary", str(summary_parquet), "--unit", "days")[0] == 0
    stored = open_db(db)
    run = latest_run(stored)
    assert run is not None and run["as_of"] == AS_OF  # from first_order + T: no --as-of needed
    assert run["currency"] == "XXX"  # no currency column, no --currency: said, not guessed
    assert any("XXX" in w for w in run["report"]["warnings"])
    people = stored.execute(
        "SELECT count(*), min(source), max(first_order_at) FROM customers"
    ).fetchone()
    last_first = pl.read_parquet(summary_parquet)["first_order"].max()
    assert people == (400, "summary", last_first.isoformat())
    assert stored.execute("SELECT count(*) FROM retention WHERE run_id = ?",
                          [run["id"]]).fetchone()[0] > 0  # fmt: skip
    for args in (["segments", "--json"], ["budget", "--total", "500", "--json"],
                 ["rank", "--top", "5"], ["profile"], ["whatif", "--margin", "40%"],
                 ["trends"], ["runs"]):  # fmt: skip
        code, _, err = cli(db, *args)
        assert code == 0, (args, err)
    # the one-time rule's count, taken in one pass, is what assigning the bands twice gives
    scores = scores_frame(stored, run["id"]).drop("tier", "risk")
    plain = assign_segments(scores, Settings())
    ruled = assign_segments(scores, Settings(), OneTimeRule.from_gaps(np.zeros(0)))
    moved = int((plain["risk"] != ruled["risk"]).sum())
    assert run["report"]["risk_rule"]["one_time_moved"] == moved > 0
    code, out, _ = cli(db, "rank", "--top", "1", "--format", "json")
    top = json.loads(out)["customers"][0]
    assert top["customer_id"].startswith("C0")  # the warehouse's own id, no "source:" prefix


def test_holdout_counts_check_the_fit(
    tmp_path: Path, holdout_parquet: Path, summary_parquet: Path
) -> None:
    """x_holdout from the warehouse: the same check as ``fit --holdout-weeks 13`` on orders."""
    orders_db = open_db(tmp_path / "orders.db")
    import_file(orders_db, ORDERS)
    theirs = fit_run(orders_db, as_of=AS_OF, holdout_weeks=13, model="bgnbd").report["holdout"]
    db = tmp_path / "warehouse.db"
    args = ["--holdout-weeks", "13", "--model", "bgnbd", "--as-of", AS_OF, "--json"]
    code, out, err = cli(db, "fit", "--summary", str(holdout_parquet), "--unit", "days", *args)
    assert code == 0, err
    ours = json.loads(out)
    hold = ours["holdout"]
    assert hold["actual_repeat_orders"] == theirs["actual_repeat_orders"] == 103
    assert hold["predicted_repeat_orders"] == pytest.approx(
        theirs["predicted_repeat_orders"], rel=1e-6
    )
    assert hold["customer_mae"] == pytest.approx(theirs["customer_mae"], rel=1e-6)
    assert hold["verdict"] == theirs["verdict"]
    for name, value in theirs["calibration_fit"]["params"].items():
        assert ours["purchase_model"]["params"][name] == pytest.approx(value, rel=1e-6)
    assert ours["scored_as_of"] == "2026-03-31" and ours["as_of"] == AS_OF
    assert "not available for a summary run" in hold["weekly_note"]
    code, _, err = cli(db, "fit", "--summary", str(summary_parquet), "--unit", "days",
                       "--holdout-weeks", "13")  # fmt: skip
    assert code == 1 and err.strip().endswith("see docs/warehouse.md")
    assert "--holdout-weeks needs an x_holdout column" in err


def _digest(path: Path) -> str:
    """Every row of every table (the file's bytes move with WAL checkpoints)."""
    conn = sqlite3.connect(path)
    try:
        return hashlib.sha256("\n".join(conn.iterdump()).encode()).hexdigest()
    finally:
        conn.close()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["bad_t_x_after_T.csv"], "error: bad_t_x_after_T.csv row 4, column t_x: must be at "
         "most T (weeks), got '31'"),
        (["bad_two_currencies.csv"], "error: bad_two_currencies.csv row 4, column currency: USD "
         "where row 2 has EUR; a run is in one currency — summarise each currency into its "
         "own file"),
        (["good_days.csv", "--unit", "days"], "error: good_days.csv: say which day T runs to "
         "with --as-of YYYY-MM-DD (or add a first_order column)"),
        (["good_weeks.csv", "--as-of", "2025-08-20"], "error: good_weeks.csv: first_order + T "
         "is 2025-08-27 for every customer, but --as-of 2025-08-20; T must run to the "
         "summary's end"),
        (["good_weeks.csv", "--currency", "USD"], "error: good_weeks.csv: its currency column "
         "says EUR, not USD"),
        (["good_weeks.csv", "--unit", "fortnights"], "error: --unit must be weeks or days (got "
         "'fortnights')"),
    ],
)  # fmt: skip
def test_refused_with_one_line_exit_1_and_nothing_stored(
    tmp_path: Path, summary_parquet: Path, args: list[str], message: str
) -> None:
    db = tmp_path / "warehouse.db"
    assert cli(db, "fit", "--summary", str(summary_parquet), "--unit", "days")[0] == 0
    before = _digest(db)
    code, out, err = cli(db, "fit", "--summary", str(SUMMARIES / args[0]), *args[1:])
    assert (code, out, err.strip()) == (1, "", message)
    assert _digest(db) == before
    assert open_db(db).execute("SELECT count(*) FROM runs").fetchone()[0] == 1


def test_a_broken_summary_creates_no_database(tmp_path: Path) -> None:
    db = tmp_path / "new.db"
    code, _, err = cli(db, "fit", "--summary", str(SUMMARIES / "bad_duplicate.csv"))
    assert code == 1 and err.count("\n") == 1 and "'c001' appears twice" in err
    for args in (["--as-of", "2025-01-01"], ["--holdout-weeks", "4"], ["--currency", "GBP"],
                 ["--model", "pareto"]):  # fmt: skip
        code, _, err = cli(db, "fit", "--summary", str(SUMMARIES / "good_weeks.csv"), *args)
        assert code == 1 and err.count("\n") == 1, (args, err)
    assert not db.exists()


def test_first_and_last_order_must_agree_with_t_x(tmp_path: Path) -> None:
    frame = pl.read_csv(SUMMARIES / "good_weeks.csv")
    frame = frame.with_columns(
        last_order=pl.when(pl.col("customer_id") == "c004").then(pl.lit("2025-07-15"))
        .otherwise(pl.col("last_order"))
    )  # fmt: skip
    path = tmp_path / "s.csv"
    frame.write_csv(path)
    code, _, err = cli(tmp_path / "x.db", "fit", "--summary", str(path))
    assert code == 1
    assert err.strip() == (
        # row = the line in the file (header = 1), as every other summary error says
        "error: s.csv row 5, column last_order: 2025-07-15 but first_order + t_x is 2025-07-16"
    )
