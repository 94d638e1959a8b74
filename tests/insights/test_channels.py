"""Value at acquisition and allowable CPA per channel: hand-computed groups, intervals, the
minimum group size, the verdict against actual CAC and the budget split."""

from __future__ import annotations

import math

import polars as pl
import pytest

from clvtui.insights.channels import (
    Z90,
    channel_cac,
    channel_values,
    split_budget,
    with_cac,
)
from clvtui.settings import Settings

# no discounting, so value at acquisition = margin·spend − cost·orders + CLV exactly
S = Settings(margin=0.5, cost_per_order=1.0, annual_discount_rate=0.0, ltv_cac_ratio=2.0)


def _scored() -> pl.DataFrame:
    rows = []
    for i in range(40):  # email: past 0.5·20 − 1·2 = 8, CLV 10 or 14 → value 18 or 22
        rows.append(("email", 20.0, 2, 10.0 + 4 * (i % 2), 8.0 + 4 * (i % 2), 12.0 + 4 * (i % 2)))
    for _ in range(5):  # ads: too few customers for a CPA
        rows.append(("Ads ", 10.0, 1, 2.0, 1.0, 3.0))
    return pl.DataFrame(
        rows, schema=["channel", "spend", "orders", "clv", "clv_low", "clv_high"], orient="row"
    ).with_columns(T=pl.lit(10.0))


def test_values_intervals_and_minimum_group() -> None:
    table = channel_values(_scored(), "channel", S, min_group=30)
    email, ads = table.row(0, named=True), table.row(1, named=True)
    assert (email["group"], email["customers"]) == ("email", 40)
    assert email["value"] == pytest.approx(20.0)
    sd = pl.Series([18.0, 22.0] * 20).std()
    sampling = Z90 * sd / math.sqrt(40)
    # the model band: every CLV 2 lower (higher) together
    assert email["value_low"] == pytest.approx(20 - math.hypot(sampling, 2.0))
    assert email["value_high"] == pytest.approx(20 + math.hypot(sampling, 2.0))
    assert email["allowable_cpa"] == pytest.approx(10.0)
    assert email["cpa_low"] == pytest.approx(email["value_low"] / 2)
    assert ads["group"] == "Ads" and ads["customers"] == 5 and not ads["enough"]
    assert ads["allowable_cpa"] is None
    assert ads["value"] == pytest.approx(0.5 * 10 - 1 + 2.0)


def test_verdict_against_actual_cac() -> None:
    table = channel_values(_scored(), "channel", S, min_group=30)
    cac = pl.DataFrame(
        {
            "month": ["2024-01", "2024-02", "2024-01"],
            "channel": ["email", "email", "(all)"],
            "spend": [300.0, 300.0, 600.0],
            "new_customers": [20, 20, 40],
        }
    )
    per = channel_cac(cac)
    assert per.row(0, named=True)["cac"] == pytest.approx(15.0)
    out = with_cac(table, per).row(0, named=True)
    assert out["cac"] == pytest.approx(15.0)  # 600 spent for 40 customers, CPA ≤ 11.7
    assert out["verdict"].startswith("over")
    cheap = with_cac(table, per.with_columns(cac=pl.lit(5.0))).row(0, named=True)
    assert cheap["verdict"].startswith("under")


def test_budget_split_equalises_marginal_returns() -> None:
    table = pl.DataFrame(
        {
            "group": ["a", "b", "c"],
            "customers": [100, 100, 100],
            "value": [40.0, 20.0, 30.0],
            "enough": [True, True, True],
            "cac": [4.0, 4.0, None],
        }
    )
    s = Settings(margin=0.4, ltv_cac_ratio=3.0, acquisition_saturation=0.5)
    doc = split_budget(table, 1000.0, s, default_cost=10.0)
    spend = {a["group"]: a["spend"] for a in doc["allocations"]}
    k = 0.5 * 1000 / math.log(2)
    # returns per unit: a 10, b 5, c 3 (at its 10.00 acquisition price): c is at the floor
    assert set(spend) == {"a", "b"}
    assert sum(spend.values()) == pytest.approx(1000.0, abs=0.02)
    assert 10 * math.exp(-spend["a"] / k) == pytest.approx(5 * math.exp(-spend["b"] / k), rel=1e-3)
    small = split_budget(table, 1000.0, s.with_changes(ltv_cac_ratio=9.0), default_cost=10.0)
    assert [a["group"] for a in small["allocations"]] == ["a"]
    assert small["unallocated"] > 0 and "9×" in small["reason"]
