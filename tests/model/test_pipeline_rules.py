"""The pipeline's rules on real fits: one-time buyers' risk band (demo and CDNOW), P(order in
30/90 days) in scores and every customer list, outlier orders capped for the spend model."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from clvtui.cli import app
from clvtui.demo import DemoParams, simulate_orders
from clvtui.model.summary import cdnow_orders
from clvtui.pipeline import fit_run
from clvtui.store.runs import scores_frame
from tests.model.helpers import CDNOW_SAMPLE, load_orders

runner = CliRunner()


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    orders = simulate_orders(DemoParams(n_customers=3000), seed=4)
    # one ordinary customer's single huge order (a wholesale-size slip among ~40.00 orders)
    spike = orders.filter(pl.col("customer_id") == "C0000007").sort("ordered_at")
    extra = spike.tail(1).with_columns(
        pl.col("ordered_at") + pl.duration(days=3), amount=pl.lit(50_000.0)
    )
    load_orders(path, pl.concat([orders, extra]).sort("ordered_at"))
    return path


def test_no_long_silent_one_time_buyer_is_active_on_the_demo(demo_db: Path) -> None:
    from clvtui.store import open_db

    db = open_db(demo_db)
    result = fit_run(db, model="bgnbd")
    rule = result.report["risk_rule"]["one_time"]
    scores = scores_frame(db, result.run_id)
    once = scores.filter(pl.col("x") == 0)
    # BG/NBD says P(alive) = 1 for every one-time buyer ...
    assert (once["p_alive"] == 1.0).all()
    # ... but none silent for more than a year is "active", and the rule moved real customers
    assert once.filter((pl.col("T") > 52) & (pl.col("risk") == "active")).height == 0
    assert once.filter(pl.col("T") > 52).height > 500
    assert result.report["risk_rule"]["one_time_moved"] > 500
    assert once.filter(
        (pl.col("T") > rule["at_risk_weeks"]) & (pl.col("risk") == "active")
    ).is_empty()
    assert "weeks" in rule["text"]


def test_one_time_rule_on_cdnow_uses_the_shops_second_order_gaps(tmp_path: Path) -> None:
    orders = cdnow_orders(str(CDNOW_SAMPLE))
    db = load_orders(tmp_path / "cdnow.db", orders)
    result = fit_run(db, as_of="1997-09-30", model="bgnbd")
    # the 90th percentile of first-to-second purchase-day gaps, computed independently
    days = (
        orders.filter(pl.col("ordered_at").dt.date() <= pl.date(1997, 9, 30))
        .select("customer_id", day=pl.col("ordered_at").dt.date())
        .unique()
        .sort("customer_id", "day")
        .group_by("customer_id", maintain_order=True)
        .agg(pl.col("day").head(2))
        .filter(pl.col("day").list.len() == 2)
        .select(gap=(pl.col("day").list.last() - pl.col("day").list.first()).dt.total_days())
    )
    p90 = float(np.quantile(days["gap"].to_numpy() / 7.0, 0.9))
    rule = result.report["risk_rule"]["one_time"]
    assert rule["at_risk_weeks"] == pytest.approx(p90, rel=1e-9)
    assert rule["at_risk_weeks"] == pytest.approx(22.71, abs=0.01)
    assert rule["gaps_seen"] == days.height == 946
    scores = scores_frame(db, result.run_id)
    quiet = scores.filter((pl.col("x") == 0) & (pl.col("T") > rule["at_risk_weeks"]))
    assert quiet.height > 0 and (quiet["risk"] != "active").all()
    # CDNOW has no outlier orders: its published numbers stay as they were
    assert result.report["outlier_orders"]["orders"] == 0


def test_p_order_in_scores_rank_and_export(demo_db: Path, tmp_path: Path) -> None:
    # a month earlier first, so that `moved` has customers who changed band since
    earlier = ["fit", "--db", str(demo_db), "--as-of", "2026-05-31", "--model", "bgnbd"]
    assert runner.invoke(app, earlier).exit_code == 0
    doc = json.loads(
        runner.invoke(app, ["fit", "--db", str(demo_db), "--json", "--model", "bgnbd"]).stdout
    )
    from clvtui.store import open_db

    scores = scores_frame(open_db(demo_db), doc["run_id"])
    for col in ("p_order_30", "p_order_90"):
        values = scores[col].to_numpy()
        assert np.all((values >= 0) & (values <= 1))
    assert (scores["p_order_90"] >= scores["p_order_30"]).all()
    assert doc["next_order"]["p_order_90_mean"] == pytest.approx(scores["p_order_90"].mean())
    rank = json.loads(
        runner.invoke(app, ["rank", "--db", str(demo_db), "--format", "json", "--top", "3"]).stdout
    )
    assert {"p_order_30", "p_order_90"} <= set(rank["customers"][0])
    seg = json.loads(runner.invoke(app, ["segments", "--db", str(demo_db), "--json"]).stdout)
    assert seg["slipping_away"] and "p_order_90" in seg["slipping_away"][0]
    # who moved since the previous fit (the rule test's run), with their chance of ordering soon
    moved = json.loads(runner.invoke(app, ["moved", "--db", str(demo_db), "--json"]).stdout)
    assert moved["previous_run_id"] is not None and moved["customers"]
    for row in moved["customers"]:
        assert 0.0 <= row["p_order_30"] <= row["p_order_90"] <= 1.0
    out = tmp_path / "all.csv"
    res = runner.invoke(app, ["export", "--all", "--db", str(demo_db), "-o", str(out)])
    assert res.exit_code == 0, res.output
    exported = pl.read_csv(out)
    assert exported["p_order_90"].is_between(0, 1).all()
    assert exported.height == scores.height


def test_an_outlier_order_is_capped_for_the_spend_model(demo_db: Path) -> None:
    from clvtui.store import open_db

    db = open_db(demo_db)
    result = fit_run(db, model="bgnbd")
    out = result.report["outlier_orders"]
    assert out["orders"] == 1 and out["customers"] == 1
    scores = scores_frame(db, result.run_id).filter(pl.col("customer_id") == "generic:C0000007")
    row = scores.row(0, named=True)
    assert row["spend"] > 50_000  # the stored spend stays true
    # the expected order value follows the capped order, not the 50,000 one
    assert row["expected_spend"] < 0.2 * row["monetary"]


def test_stored_p_order_90_matches_the_next_90_days(demo_db: Path) -> None:
    """End to end: fit as of 90 days before the last order day, then compare the stored mean
    P(order within 90 days) with the share of those customers who did order in those days.
    3,000 customers: the share's standard error is ~0.006; tolerance 0.03 also covers the
    fitted (not true) parameters."""
    from datetime import date, timedelta

    from clvtui.store import open_db
    from clvtui.store.reads import purchases_frame

    db = open_db(demo_db)
    as_of = date(2026, 6, 30) - timedelta(days=90)
    result = fit_run(db, as_of=as_of.isoformat(), model="bgnbd")
    scores = scores_frame(db, result.run_id)
    orders = purchases_frame(db)
    day = pl.col("ordered_at").dt.date()
    later = orders.filter((day > as_of) & (day <= as_of + timedelta(days=90)))
    bought = scores["customer_id"].is_in(later["customer_id"].unique().implode())
    observed = float(bought.mean())
    for col, days in (("p_order_30", 30), ("p_order_90", 90)):
        window = orders.filter((day > as_of) & (day <= as_of + timedelta(days=days)))
        share = float(scores["customer_id"].is_in(window["customer_id"].unique().implode()).mean())
        assert scores[col].mean() == pytest.approx(share, abs=0.03), col
    assert 0.05 < observed < 0.5


def test_the_scores_the_fit_vouches_for_are_one_value_per_pattern(demo_2000: Path) -> None:
    """What ``fit_models`` hands the run's blob as computed once per collapsed row (so not
    checked there) is one value per pattern, bit for bit, on a real fit."""
    from clvtui.model import clv
    from clvtui.pipeline import PER_ROW_CALENDAR, fit_models
    from clvtui.settings import Settings
    from clvtui.shop import read_shop
    from clvtui.store.opening import open_db

    shop = read_shop(open_db(demo_2000), None, None, None, [], lambda _s, _f: None)
    econ = clv.Economics.from_settings(Settings())
    fitted = fit_models(shop, "bgnbd", None, econ, [], lambda _s, _f: None)
    known = fitted.patterns
    assert known is not None and known.exact == PER_ROW_CALENDAR
    assert 100 < known.count < shop.summary.height  # customers do share patterns
    first = np.empty(known.count, dtype=np.int64)
    first[known.number] = np.arange(len(known.number))
    pred, p_order = fitted.pred, fitted.p_order
    columns = {
        "p_alive": pred.p_alive, "expected_orders": pred.expected_orders,
        "next_order_low": pred.next_order_low, "next_order_high": pred.next_order_high,
        "p_order_30": p_order[30], "p_order_90": p_order[90],
    }  # fmt: skip
    assert set(columns) == known.exact
    for name, values in columns.items():
        bits = np.asarray(values, dtype=np.float64).view(np.uint64)
        assert np.array_equal(bits, bits[first][known.number]), name
