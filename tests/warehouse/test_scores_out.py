"""``clvtui scores --out``: every customer's scores of a run, for the warehouse or a CRM."""

from __future__ import annotations

import json
import stat
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from clvtui.store import open_db
from clvtui.store.runs import ranked_customers
from tests.warehouse.conftest import SUMMARIES, cli


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Run 1: the fixture summary (EUR, names, one of them formula-like); run 2: the same
    customers with margin settings, so the runs differ."""
    folder = tmp_path_factory.mktemp("scores")
    frame = pl.read_csv(SUMMARIES / "good_weeks.csv").with_columns(
        name=pl.when(pl.col("customer_id") == "c002").then(pl.lit("=1+1")).otherwise("name")
    )
    # 300 more customers so that a model (not the empirical floor) is fitted
    rng = np.random.default_rng(5)
    x = rng.poisson(1.5, 300)
    T = rng.integers(10, 40, 300).astype(float)
    t_x = (x > 0) * T * rng.uniform(0.05, 1.0, 300)
    more = pl.DataFrame({
        "customer_id": [f"w{i:03d}" for i in range(300)], "x": x, "t_x": t_x, "T": T,
        "m": rng.gamma(4.0, 10.0, 300) * (x > 0),
    })  # fmt: skip
    path = folder / "summary.csv"
    pl.concat([frame.select("customer_id", "x", "t_x", "T", "m", "name"), more],
              how="diagonal_relaxed").write_csv(path)  # fmt: skip
    db = folder / "shop.db"
    args = ["--as-of", "2025-08-27", "--currency", "EUR", "--model", "bgnbd"]
    assert cli(db, "fit", "--summary", str(path), *args)[0] == 0
    assert cli(db, "settings", "--set", "margin=40%")[0] == 0
    assert cli(db, "fit", "--summary", str(path), *args)[0] == 0
    return db


def test_parquet_holds_every_customer_with_the_stored_scores(
    two_runs: Path, tmp_path: Path
) -> None:
    out = tmp_path / "scores.parquet"
    code, stdout, err = cli(two_runs, "scores", "--out", str(out), "--json")
    assert code == 0, err
    assert json.loads(stdout) == {"path": str(out), "run_id": 2, "customers": 305}
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    got = pl.read_parquet(out)
    ranked = ranked_customers(open_db(two_runs), 2)
    assert got.height == ranked.height == 305
    assert got["run_id"].unique().to_list() == [2]
    assert got["currency"].unique().to_list() == ["EUR"]
    assert got["value_kind"].unique().to_list() == ["net"]
    assert got["scored_as_of"].unique().to_list() == [date(2025, 8, 27)]
    joined = got.join(ranked, on="customer_id", suffix="_db")
    for col in ("clv", "clv_low", "clv_high", "p_alive", "p_order_30", "p_order_90",
                "expected_orders", "expected_spend", "tier", "risk", "name"):  # fmt: skip
        assert joined[col].to_list() == joined[f"{col}_db"].to_list(), col
    assert got["clv"].to_list() == sorted(got["clv"].to_list(), reverse=True)
    likely = joined.filter(pl.col("next_order_low").is_not_null()).row(0, named=True)
    assert likely["next_order_from"] == date(2025, 8, 27) + timedelta(
        days=round(likely["next_order_low"] * 7)
    )
    assert got.filter(pl.col("customer_id") == "c002")["name"][0] == "=1+1"  # typed: as is


def test_csv_for_a_crm_and_an_earlier_run(two_runs: Path, tmp_path: Path) -> None:
    out = tmp_path / "scores.csv"
    assert cli(two_runs, "scores", "-o", str(out), "--run", "1")[0] == 0
    got = pl.read_csv(out, schema_overrides={"customer_id": pl.Utf8})
    assert got.height == 305 and got["run_id"].unique().to_list() == [1]
    assert got["value_kind"].unique().to_list() == ["revenue"]
    assert got.filter(pl.col("customer_id") == "c002")["name"][0] == "'=1+1"  # neutralised


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-o", "{tmp}/s.txt"], "error: {tmp}/s.txt: write scores to a .parquet or .csv file "
         "(got '.txt')"),
        (["-o", "{tmp}/exists.csv"], "error: {tmp}/exists.csv already exists; add --force to "
         "replace it"),
        (["-o", "{tmp}/s.csv", "--run", "9"], "error: there is no run 9; list the fits with: "
         "clvtui runs"),
    ],
)  # fmt: skip
def test_refusals_are_one_line(two_runs: Path, tmp_path: Path, args: list[str], message: str):
    (tmp_path / "exists.csv").write_text("keep me", encoding="utf8")
    code, _, err = cli(two_runs, "scores", *(a.format(tmp=tmp_path) for a in args))
    assert (code, err.strip()) == (1, message.format(tmp=tmp_path))
    assert (tmp_path / "exists.csv").read_text(encoding="utf8") == "keep me"
    assert not (tmp_path / "s.csv").exists()
