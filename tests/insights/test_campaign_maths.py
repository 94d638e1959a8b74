"""The maths of a campaign against its control group: the random split, Welch's difference by
hand, and the 90 % interval's coverage over many simulated campaigns with a known effect."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from clvtui.insights.campaigns import (
    CONTACTED,
    CONTROL,
    measure,
    measured_response_rate,
    per_member,
    split_groups,
    welch,
)


def test_split_holds_back_the_share_and_is_reproducible() -> None:
    ids = pl.Series([f"c{i:04d}" for i in range(1000)])
    a = split_groups(ids, 0.10, seed=42)
    b = split_groups(ids.shuffle(seed=1), 0.10, seed=42)  # another order, same split
    assert a.equals(b)
    assert a.filter(pl.col("member_group") == CONTROL).height == 100
    c = split_groups(ids, 0.10, seed=43)
    assert not a.equals(c)


def test_welch_by_hand() -> None:
    # means 2 and 1/3; variances 1 and 1/3; se = sqrt(1/3 + 1/9) = 2/3
    d = welch(np.array([1.0, 2.0, 3.0]), np.array([0.0, 0.0, 1.0]))
    assert d.difference == pytest.approx(5 / 3)
    assert d.low == pytest.approx(5 / 3 - 1.6448536 * 2 / 3, abs=1e-6)
    assert d.high == pytest.approx(5 / 3 + 1.6448536 * 2 / 3, abs=1e-6)


def test_per_member_values_and_totals() -> None:
    members = pl.DataFrame(
        {"customer_id": ["a", "b", "c", "d"],
         "member_group": [CONTACTED, CONTACTED, CONTROL, CONTROL]}
    )  # fmt: skip
    bought = pl.DataFrame({"customer_id": ["a", "a", "c"], "amount": [10.0, 30.0, 20.0]})
    rows = per_member(members, bought, margin=0.5, cost_per_order=2.0)
    # a: 2 orders, 40 revenue, value 0.5 × 40 − 2 × 2 = 16; b, d nothing; c: 1 order, 20 → 8
    assert rows.sort("customer_id")["value"].to_list() == [16.0, 0.0, 8.0, 0.0]
    result = measure(rows, days=30, cost_per_contact=1.5, value_kind="net")
    assert result.response.contacted == 0.5 and result.response.control == 0.5
    assert result.value.difference == pytest.approx(8.0 - 4.0)
    assert result.incremental_value == pytest.approx(2 * 4.0)
    assert result.cost == 3.0 and result.roi == pytest.approx((8.0 - 3.0) / 3.0)
    assert not result.enough  # two customers a group: a rough guide only
    assert measured_response_rate(result) == 0.0


def _campaign(rng: np.random.Generator, n: int, extra: float, mean_amount: float) -> pl.DataFrame:
    """One simulated campaign: heterogeneous baseline buyers (gamma-Poisson), and contacted
    customers buying ``extra`` more orders on average, every order worth ``mean_amount``
    on average (gamma)."""
    ids = np.array([f"c{i}" for i in range(2 * n)])
    groups = np.array([CONTACTED] * n + [CONTROL] * n)
    lam = rng.gamma(0.6, 1.0, 2 * n)
    orders = rng.poisson(lam) + np.where(groups == CONTACTED, rng.poisson(extra, 2 * n), 0)
    who = np.repeat(ids, orders)
    amounts = rng.gamma(4.0, mean_amount / 4.0, who.size)
    rows = per_member(
        pl.DataFrame({"customer_id": ids, "member_group": groups}),
        pl.DataFrame({"customer_id": who, "amount": amounts}),
        margin=None,
        cost_per_order=0.0,
    )
    return rows


def test_the_90_percent_interval_covers_a_known_effect_9_times_in_10() -> None:
    """300 campaigns of 400 + 400 customers, contacted buying 0.3 extra orders of 40.00 on
    average: the revenue interval must cover the true 12.00 about 90 % of the time (a
    binomial 300 × 0.9 has sd 0.017: 0.85–0.95 is ±2.9 sd)."""
    rng = np.random.default_rng(2026)
    covered_revenue = covered_orders = 0
    reps = 300
    for _ in range(reps):
        r = measure(_campaign(rng, 400, 0.3, 40.0), days=90, cost_per_contact=0.0,
                    value_kind="revenue")  # fmt: skip
        covered_revenue += r.revenue.low <= 12.0 <= r.revenue.high
        covered_orders += r.orders.low <= 0.3 <= r.orders.high
    assert 0.85 <= covered_revenue / reps <= 0.95
    assert 0.85 <= covered_orders / reps <= 0.95
