"""The demo simulator's awkward shapes look like what they claim (used by the corpus tests)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from clvtui.cli import app
from clvtui.demo import SHAPES, WHOLESALE_ID, DemoParams, simulate_orders, simulate_shape
from clvtui.services.tiers import one_time_rule
from clvtui.store import open_db
from clvtui.store.runs import latest_run

P = DemoParams(n_customers=2000)


def _per_customer(orders: pl.DataFrame) -> pl.DataFrame:
    return orders.group_by("customer_id").agg(
        n=pl.len(), first=pl.col("ordered_at").min(), last=pl.col("ordered_at").max()
    )


def test_standard_is_the_plain_simulation() -> None:
    assert simulate_shape("standard", P, 3).equals(simulate_orders(P, 3))


def test_steady_shop_keeps_acquiring_customers() -> None:
    """First orders uniform over the whole window (78 weeks), not one 26-week cohort: about
    13/78 of customers start in the last 13 weeks (binomial sd ~0.8 %)."""
    per = _per_customer(simulate_shape("steady", P, 5))
    weeks = P.weeks
    last = pl.lit(P.end - dt.timedelta(weeks=13)).cast(pl.Datetime("us", "UTC"))
    share = per.select((pl.col("first") > last).mean()).item()
    assert share == pytest.approx(13 / weeks, abs=0.03)
    std = _per_customer(simulate_shape("standard", P, 5))
    assert std.select((pl.col("first") > last).sum()).item() == 0


def test_steady_shop_has_second_order_nudges(tmp_path: Path) -> None:
    """Through the CLI: recent one-time buyers exist, and their nudge is dated between the
    as-of date and the shop's typical second order after their first."""
    db = str(tmp_path / "steady.db")
    args = ["demo", "--no-tui", "--db", db, "--customers", "1500", "--shape", "steady"]
    assert CliRunner().invoke(app, args).exit_code == 0
    out = CliRunner().invoke(app, ["actions", "--db", db, "--json"])
    doc = json.loads(out.output)
    nudge = next(a for a in doc["actions"] if a["action"] == "second-order")
    assert nudge["customers"] > 50
    as_of = dt.date.fromisoformat(doc["as_of"])
    assert dt.date.fromisoformat(nudge["contact_first"]) == as_of  # their time has come
    csv = tmp_path / "nudge.csv"
    args = ["export", "--db", db, "--action", "second-order", "-o", str(csv)]
    assert CliRunner().invoke(app, args).exit_code == 0
    rule = one_time_rule(latest_run(open_db(db)) or {})
    assert rule is not None and rule.typical_weeks is not None
    typical = rule.typical_weeks
    when = pl.read_csv(csv, try_parse_dates=True)["contact_on"]
    assert when.len() == nudge["customers"]
    assert when.min() == as_of < when.max() <= as_of + dt.timedelta(weeks=typical)


def test_no_dropout_nobody_leaves() -> None:
    """Gamma-Poisson: a customer's orders keep coming until the end, so the share of repeat
    buyers silent for the last half of the window is what Poisson gaps alone explain."""
    per = _per_customer(simulate_shape("no-dropout", P, 1))
    std = _per_customer(simulate_shape("standard", P, 1))
    assert per.height == std.height == P.n_customers
    assert per["n"].sum() > 1.5 * std["n"].sum()  # same buyers, nobody stops
    # E[orders] = 1 + r/α · exposure exactly (no coin flips): exposure is end − birth
    end = pl.lit(P.end).cast(pl.Datetime("us", "UTC"))
    exposure = per.select(((end - pl.col("first")).dt.total_seconds() / (7 * 86400)).sum()).item()
    expected = P.n_customers + P.r / P.alpha * exposure
    assert per["n"].sum() == pytest.approx(expected, rel=0.05)


def test_regular_buyers_keep_their_period() -> None:
    orders = simulate_shape("regular", P, 2).sort("customer_id", "ordered_at")
    gaps = orders.with_columns(gap=pl.col("ordered_at").diff().over("customer_id")).drop_nulls(
        "gap"
    )["gap"].dt.total_hours().to_numpy() / (24 * 7)
    # every gap is 2, 4 or 8 weeks ± a few days, never Poisson-like
    nearest = np.array([2.0, 4.0, 8.0])[np.argmin(np.abs(gaps[:, None] - [2, 4, 8]), axis=1)]
    assert np.abs(gaps - nearest).max() < 0.5
    assert orders["customer_id"].n_unique() == P.n_customers


def test_wholesale_adds_one_huge_trade_customer() -> None:
    orders = simulate_shape("wholesale", P, 3)
    trade = orders.filter(pl.col("customer_id") == WHOLESALE_ID)
    others = orders.filter(pl.col("customer_id") != WHOLESALE_ID)
    assert trade.height > 50 and trade["amount"].median() > 100 * others["amount"].median()
    assert orders["order_id"].n_unique() == orders.height


def test_one_time_and_one_day() -> None:
    once = simulate_shape("one-time", P, 4)
    assert once.height == once["customer_id"].n_unique() == P.n_customers
    day = simulate_shape("one-day", P, 4)
    assert day["ordered_at"].dt.date().n_unique() == 1
    assert day.height == P.n_customers


def test_every_shape_builds_through_the_cli(tmp_path: Path) -> None:
    for shape in SHAPES:
        db = tmp_path / f"{shape}.db"
        result = CliRunner().invoke(
            app,
            ["demo", "--no-tui", "--db", str(db), "--customers", "300", "--shape", shape],
        )
        assert result.exit_code == 0, (shape, result.output)
        assert "built in" in result.output
    bad = CliRunner().invoke(app, ["demo", "--no-tui", "--db", str(tmp_path / "x.db"),
                                   "--shape", "triangle"])  # fmt: skip
    assert bad.exit_code == 1 and "--shape must be one of" in bad.output
