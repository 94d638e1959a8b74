"""The churn-risk rule for one-time buyers (named cases; the pipeline tests use real fits)."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from clvtui.insights.segments import (
    ACTIVE,
    AT_RISK,
    LOST,
    ONE_TIME_DEFAULT_WEEKS,
    ONE_TIME_FLOOR_WEEKS,
    OneTimeRule,
    assign_segments,
)
from clvtui.settings import Settings


def test_limit_is_the_90th_percentile_of_second_order_gaps() -> None:
    gaps = np.arange(1.0, 101.0)  # 1 … 100 weeks
    rule = OneTimeRule.from_gaps(gaps)
    assert rule.at_risk_weeks == pytest.approx(np.quantile(gaps, 0.9)) == pytest.approx(90.1)
    assert rule.lost_weeks == pytest.approx(180.2)
    assert rule.gaps_seen == 100 and "9 in 10" in rule.describe()


def test_floor_and_default() -> None:
    assert OneTimeRule.from_gaps(np.full(50, 1.0)).at_risk_weeks == ONE_TIME_FLOOR_WEEKS
    few = OneTimeRule.from_gaps(np.array([3.0, 200.0]))
    assert few.at_risk_weeks == ONE_TIME_DEFAULT_WEEKS and "too few" in few.describe()
    assert OneTimeRule.from_gaps(np.array([])).at_risk_weeks == ONE_TIME_DEFAULT_WEEKS


def test_round_trip_through_the_report() -> None:
    rule = OneTimeRule.from_gaps(np.arange(1.0, 41.0))
    assert OneTimeRule.from_json(rule.to_json()) == rule
    assert OneTimeRule.from_json(None) is None and OneTimeRule.from_json({"x": 1}) is None


def test_typical_second_order_gap_is_the_median_when_measurable() -> None:
    """The nudge to a one-time buyer is timed by the median gap (1 … 99 weeks: 50)."""
    assert OneTimeRule.from_gaps(np.arange(1.0, 100.0)).typical_weeks == 50.0
    assert OneTimeRule.from_gaps(np.array([3.0, 200.0])).typical_weeks is None  # too few
    old = {"at_risk_weeks": 20.0, "lost_weeks": 40.0, "gaps_seen": 30}  # a run before it existed
    rule = OneTimeRule.from_json(old)
    assert rule is not None and rule.typical_weeks is None


def test_only_one_time_buyers_move_and_only_down() -> None:
    scores = pl.DataFrame(
        {
            "customer_id": ["new", "quiet", "gone", "repeat", "already_lost"],
            "x": [0, 0, 0, 3, 0],
            "T": [5.0, 30.0, 70.0, 70.0, 70.0],
            "p_alive": [1.0, 1.0, 1.0, 0.95, 0.1],
            "clv": [10.0, 10.0, 10.0, 50.0, 1.0],
        }
    )
    rule = OneTimeRule(at_risk_weeks=20.0, lost_weeks=40.0, gaps_seen=100)
    out = assign_segments(scores, Settings(), rule)
    assert out["risk"].to_list() == [ACTIVE, AT_RISK, LOST, ACTIVE, LOST]
    plain = assign_segments(scores, Settings())
    assert plain["risk"].to_list() == [ACTIVE, ACTIVE, ACTIVE, ACTIVE, LOST]
    assert out["tier"].to_list() == plain["tier"].to_list()
