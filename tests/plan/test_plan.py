"""The planner against what a simulated shop then did: fitted 6 months before the end, the
expected revenue of the existing customers over the next 6 months must contain the revenue
the simulation produced in those months."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from clvtui.demo.simulate import DemoParams, simulate_orders

AS_OF = dt.date(2025, 12, 31)


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, float]:
    """A simulated shop fitted as of 31 December 2025, and its revenue of January–June 2026."""
    from clvtui.demo.load import load_orders
    from clvtui.pipeline import fit_run

    orders = simulate_orders(DemoParams(n_customers=4_000), seed=11)
    path = tmp_path_factory.mktemp("plan") / "shop.db"
    db = load_orders(path, orders.select("customer_id", "ordered_at", "amount"))
    fit_run(db, as_of=AS_OF)
    db.conn.close()
    after = orders.filter(pl.col("ordered_at").dt.date() > AS_OF)
    return path, float(after["amount"].round(2).sum())


def test_the_base_forecast_contains_what_the_simulation_produced(shop) -> None:
    from clvtui.services.plan import load_basis, plan
    from clvtui.store import open_db

    path, actual = shop
    result = plan(load_basis(open_db(path, readonly=True)), goal=1_000_000.0, months=6)
    base = result.plan.base
    assert base.revenue_low <= actual <= base.revenue_high
    assert base.revenue == pytest.approx(actual, rel=0.08)
    assert base.revenue_low < base.revenue < base.revenue_high
    monthly = base.monthly
    assert monthly["month"].to_list() == [f"2026-0{m}" for m in range(1, 7)]
    assert monthly["revenue"].sum() == pytest.approx(base.revenue, rel=1e-9)
    assert base.by_tier["revenue"].sum() == pytest.approx(base.revenue, rel=1e-9)


def test_gap_customers_budget_and_the_plain_verdict(shop) -> None:
    from clvtui.services.plan import load_basis, plan
    from clvtui.store import open_db

    basis = load_basis(open_db(shop[0], readonly=True))
    far = plan(basis, goal=1_000_000.0, months=6).plan
    assert far.gap == pytest.approx(1_000_000.0 - far.base.revenue)
    doc = far.to_json()
    assert doc["new_customers_needed"] == pytest.approx(far.gap / far.new_customer.value)
    assert doc["implied_budget"] == pytest.approx(doc["new_customers_needed"] * far.allowable_cpa)
    assert far.new_customer.low <= far.new_customer.value <= far.new_customer.high
    assert far.uplift["revenue"] > far.base.revenue  # keeping churners brings more
    near = plan(basis, goal=far.base.revenue_low * 0.5, months=6).plan
    assert near.reachable and near.verdict.startswith("Your existing customers")
    costly = plan(basis, goal=1_000_000.0, months=6).plan
    costly.acquisition_cost = costly.allowable_cpa * 2
    from clvtui.insights.plan import verdict

    assert not costly.reachable
    assert verdict(costly).startswith("The goal is out of reach at the allowed CPA")


def test_a_one_off_plan_holds_less_and_says_the_same(shop) -> None:
    """``clvtui plan``'s basis (keep_orders=False) drops the orders and the ids, not a digit."""
    from clvtui.services.plan import FORECAST_INPUTS, load_basis, plan
    from clvtui.store import open_db

    db = open_db(shop[0], readonly=True)
    kept = plan(load_basis(db), goal=250_000.0, months=6).to_json()
    lean = load_basis(db, keep_orders=False)
    assert lean.inputs.scored.columns == FORECAST_INPUTS
    assert lean.inputs.purchases.height == 0
    assert plan(lean, goal=250_000.0, months=6).to_json() == kept


def test_the_cohorts_screens_order_gives_the_same_map_and_plan(shop) -> None:
    """The Cohorts screen values its heat-map from ``read_plan_inputs`` before the plan's
    basis is built on the same read (``load_basis(inputs=…)``): the same table and plan, to
    the digit, as ``clvtui cohorts`` and ``clvtui plan`` (and as the old order, map last)."""
    from clvtui.services.cohorts import cohort_value
    from clvtui.services.plan import load_basis, plan, read_plan_inputs
    from clvtui.store import open_db

    db = open_db(shop[0], readonly=True)
    inputs = read_plan_inputs(db)
    heat = cohort_value(db, inputs=inputs).to_json()
    screen_plan = plan(load_basis(db, inputs=inputs), goal=250_000.0, months=6).to_json()
    assert heat == cohort_value(db).to_json()
    old = load_basis(db)
    assert cohort_value(db, inputs=old.inputs).to_json() == heat
    assert plan(old, goal=250_000.0, months=6).to_json() == screen_plan
    assert plan(load_basis(db, keep_orders=False), goal=250_000.0, months=6).to_json() == (
        screen_plan
    )
    assert screen_plan["base"]["revenue"] > 0


def test_tier_groups_sum_as_sums_by_does_to_the_bit() -> None:
    import numpy as np

    from clvtui.core.group_sums import sums_by
    from clvtui.insights.plan import _by_tier, tier_groups

    rng = np.random.default_rng(5)
    tiers = pl.Series("tier", rng.choice(["Profitable", "Not profitable", "Top"], 10_001))
    revenue, net = rng.gamma(0.7, 40.0, 10_001), rng.normal(3.0, 50.0, 10_001)
    frame = tiers.to_frame().with_columns(pl.Series("revenue", revenue), pl.Series("net", net))
    expected = sums_by(frame, ["tier"], ["revenue", "net"])
    got = _by_tier(frame, tier_groups(tiers), revenue, net)
    assert got.equals(expected)  # same groups, order, counts and bits
    assert got["customers"].sum() == 10_001
    assert tier_groups(pl.Series("tier", ["Top", None])) is None  # sums_by groups the nulls
    with_null = pl.DataFrame({"tier": ["Top", None, "Top"]})
    by = _by_tier(with_null, None, np.array([1.0, 2.0, 4.0]), np.zeros(3))
    assert by["revenue"].to_list() == [5.0, 2.0]
