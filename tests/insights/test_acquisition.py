"""Allowable CPA on CDNOW (independent arithmetic) and actual CAC per cohort and channel."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest

from clvtui.errors import ClvError
from clvtui.insights.acquisition import actual_cac, allowable_cpa, overall_cac, payback_month
from clvtui.insights.segments import assign_segments
from tests.insights.conftest import CDNOW_SETTINGS, WEEKS_PER_MONTH


def test_cdnow_allowable_cpa_matches_independent_arithmetic(cdnow_scores: pl.DataFrame) -> None:
    s = CDNOW_SETTINGS  # 30 % margin, 1.00 per order, 10 % a year, ratio 3
    scored = assign_segments(cdnow_scores, s)
    table = {r["name"]: r for r in allowable_cpa(scored, s).to_dicts()}
    v = 1 / 1.10 ** (1 / 12)
    for name in ("Highly profitable", "Profitable"):
        rows = scored.filter(pl.col("tier") == name).to_dicts()
        values, firsts, tenures = [], [], []
        for r in rows:
            tenure = r["T"] / WEEKS_PER_MONTH
            past = 0.30 * r["spend"] - 1.0 * r["orders"]
            values.append(past * v ** (tenure / 2) + r["clv"] * v**tenure)
            firsts.append(0.30 * r["spend"] / r["orders"] - 1.0)
            tenures.append(tenure)
        value = float(np.mean(values))
        cpa = value / 3.0
        first, life = float(np.mean(firsts)), float(np.mean(tenures)) + 12
        pay = 0 if cpa <= first else math.ceil((cpa - first) / ((value - first) / life))
        got = table[name]
        assert got["customers"] == len(rows)
        assert got["value_at_acquisition"] == pytest.approx(value, rel=1e-9)
        assert got["allowable_cpa"] == pytest.approx(cpa, rel=1e-9)
        assert got["payback_month"] == pay
        assert got["headroom"] is None  # acquisition cost unknown
    # the figures a CDNOW marketer would read: ~48 for a top-tier look-alike, ~6 otherwise (5.75
    # since the floor is one contact's cost: customers worth under 2.00 are no longer "Profitable")
    assert table["Highly profitable"]["allowable_cpa"] == pytest.approx(48.19, abs=0.01)
    assert table["Highly profitable"]["payback_month"] == 5
    assert table["Profitable"]["allowable_cpa"] == pytest.approx(5.75, abs=0.01)
    # 96 customers are worth no more than one 2.00 contact
    assert table["Not profitable"]["customers"] == 96


def test_headroom_compares_the_known_acquisition_cost(cdnow_scores: pl.DataFrame) -> None:
    s = CDNOW_SETTINGS.with_changes(acquisition_cost=20.0, ltv_cac_ratio=2.0)
    table = {r["name"]: r for r in allowable_cpa(assign_segments(cdnow_scores, s), s).to_dicts()}
    high = table["Highly profitable"]
    assert high["allowable_cpa"] == pytest.approx(high["value_at_acquisition"] / 2.0)
    assert high["headroom"] == pytest.approx(high["allowable_cpa"] - 20.0)


def test_payback_month_edges() -> None:
    assert payback_month(10.0, 12.0, 100.0, 24.0) == 0  # the first order pays it back
    assert payback_month(50.0, 10.0, 90.0, 20.0) == 10  # 40 more at 4 a month
    assert payback_month(50.0, 10.0, 10.0, 20.0) is None  # no later value: never
    assert payback_month(500.0, 10.0, 90.0, 20.0) is None  # not within the lifetime


def test_actual_cac_per_cohort_and_channel() -> None:
    spend = pl.DataFrame(
        {
            "month": ["2024-01", "2024-01", "2024-02"],
            "channel": ["Web", "Instagram", "web"],
            "amount_minor": [100_000, 50_000, 30_000],
            "currency": ["USD"] * 3,
        }
    )
    cohorts = pl.DataFrame(
        {
            "month": ["2024-01", "2024-01", "2024-01", "2024-02"],
            "channel": ["web", " instagram", None, "web"],
            "new_customers": [10, 5, 5, 0],
            "clv_total": [400.0, 300.0, 50.0, 0.0],
        }
    )
    table = {(r["month"], r["channel"]): r for r in actual_cac(spend, cohorts, 2).to_dicts()}
    web = table[("2024-01", "web")]
    assert (web["spend"], web["new_customers"], web["cac"]) == (1000.0, 10, 100.0)
    assert web["clv_mean"] == 40.0 and web["ltv_cac"] == pytest.approx(0.4)
    assert table[("2024-01", "instagram")]["cac"] == 100.0
    jan = table[("2024-01", "(all)")]
    assert (jan["spend"], jan["new_customers"], jan["cac"]) == (1500.0, 20, 75.0)
    assert jan["clv_mean"] == pytest.approx(37.5)
    assert table[("2024-02", "web")]["cac"] is None  # spend but no new customers: no CAC
    assert overall_cac(actual_cac(spend, cohorts, 2)) == pytest.approx(1800.0 / 20)
    mixed = spend.with_columns(pl.Series("currency", ["USD", "EUR", "USD"]))
    with pytest.raises(ClvError, match="mixes currencies"):
        actual_cac(mixed, cohorts, 2)
