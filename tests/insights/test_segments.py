"""Tiers partition the customers, their values add up to the equity, and CDNOW checks out."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clvtui.errors import ModelError
from clvtui.insights.segments import (
    HIGH,
    NOT_PROFITABLE,
    PROFITABLE,
    TIERS,
    assign_segments,
    risk_matrix,
    slipping_away,
    tier_rule,
    tier_table,
)
from clvtui.settings import Settings
from tests.insights.conftest import CDNOW_SETTINGS


def random_scores(n: int, seed: int, *, ties: bool = False) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    clv = rng.normal(5.0, 30.0, n)
    if ties:
        clv = np.round(clv / 10.0) * 10.0
    return pl.DataFrame(
        {
            "customer_id": [f"c{i}" for i in range(n)],
            "clv": clv,
            "p_alive": rng.uniform(0.0, 1.0, n),
            "next_order_low": rng.uniform(0, 5, n),
            "next_order_high": rng.uniform(5, 30, n),
        }
    )


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(0, 300),
    seed=st.integers(0, 10_000),
    share=st.floats(0.05, 0.95),
    floor=st.floats(-10.0, 20.0),
    ties=st.booleans(),
)
def test_tiers_partition_and_sum_to_equity(
    n: int, seed: int, share: float, floor: float, ties: bool
) -> None:
    s = Settings(top_value_share=share, profit_floor=floor)
    scored = assign_segments(random_scores(n, seed, ties=ties), s)
    assert scored.height == n
    assert set(scored["tier"].unique()) <= set(TIERS)
    table = tier_table(scored)
    assert table["customers"].sum() == n
    assert table["clv_total"].sum() == pytest.approx(scored["clv"].sum(), abs=1e-6)
    # Not profitable = at or below the floor, exactly
    assert ((scored["tier"] == NOT_PROFITABLE) == (scored["clv"] <= floor)).all()
    high = scored.filter(pl.col("tier") == HIGH)["clv"]
    rest = scored.filter(pl.col("tier") != HIGH)["clv"]
    if high.len() and rest.len():
        assert high.min() > rest.max()  # the top group is a prefix by value
    positive = float(scored["clv"].clip(lower_bound=0).sum())
    if high.len():
        # holds the share; without its smallest distinct value it would not (smallest group)
        assert (
            high.sum() >= share * positive * (1 - 1e-9)
            or high.min() <= floor + 1e-12
            or (rest.filter(rest > floor).len() == 0)
        )
        smallest = high.min()
        without = high.filter(high > smallest).sum()
        assert without < share * positive or smallest <= floor
    m = risk_matrix(scored)
    assert m.height == 9 and m["customers"].sum() == n


def test_risk_bands_follow_the_p_alive_cut_offs() -> None:
    s = Settings(active_min_p_alive=0.7, lost_max_p_alive=0.3)
    df = pl.DataFrame(
        {"customer_id": list("abcde"), "clv": [1.0] * 5, "p_alive": [0.0, 0.3, 0.31, 0.7, 1.0]}
    )
    out = assign_segments(df, s)
    assert out["risk"].to_list() == ["likely lost", "likely lost", "at risk", "active", "active"]


def test_nan_clv_is_an_error_not_a_tier() -> None:
    df = pl.DataFrame({"customer_id": ["a"], "clv": [float("nan")], "p_alive": [0.5]})
    with pytest.raises(ModelError, match="CLV"):
        assign_segments(df, Settings())


def test_cdnow_tier_table_matches_an_independent_count(cdnow_scores: pl.DataFrame) -> None:
    scored = assign_segments(cdnow_scores, CDNOW_SETTINGS)
    clv = cdnow_scores["clv"].to_numpy()
    # independent: plain numpy walk down the sorted values
    pos = np.sort(clv[clv > 0])[::-1]
    target = 0.5 * pos.sum()
    run, i = 0.0, 0
    while run < target:
        run += pos[i]
        i += 1
    cutoff = pos[i - 1]
    n_high = int((clv >= cutoff).sum())
    # the floor is one marketing contact's cost (profit_floor unset): 2.00 by default
    assert CDNOW_SETTINGS.profit_floor is None and CDNOW_SETTINGS.tier_floor == 2.0
    n_not = int((clv <= 2.0).sum())
    table = {r["name"]: r for r in tier_table(scored).to_dicts()}
    assert table[HIGH]["customers"] == n_high
    assert table[NOT_PROFITABLE]["customers"] == n_not
    assert table[PROFITABLE]["customers"] == 2357 - n_high - n_not
    assert table[HIGH]["clv_total"] == pytest.approx(clv[clv >= cutoff].sum(), rel=1e-9)
    assert sum(r["share_of_value"] for r in table.values()) == pytest.approx(1.0)
    assert tier_rule(scored, CDNOW_SETTINGS).high_cutoff == pytest.approx(cutoff)
    # the stated economics: 30 % margin, 1.00 per order; equity of the sample over 12 months
    assert clv.sum() == pytest.approx(19731.8, abs=0.5)
    # the CDNOW sample is concentrated: 167 of 2,357 customers (7 %) hold half the future value
    assert n_high == 167
    # 96 customers are worth no more than the 2.00 it costs to contact them (none below 0)
    assert n_not == 96 and int((clv <= 0).sum()) == 0


def test_slipping_away_ranks_valuable_inactive_customers_by_value_at_stake(
    cdnow_scores: pl.DataFrame,
) -> None:
    scored = assign_segments(cdnow_scores, CDNOW_SETTINGS)
    top = slipping_away(scored, limit=20)
    assert top.height == 20
    assert set(top["tier"]) <= {HIGH, PROFITABLE}
    assert "active" not in set(top["risk"])
    stake = (top["clv"] * (1 - top["p_alive"])).to_list()
    assert stake == sorted(stake, reverse=True)
    everyone = scored.filter(
        pl.col("tier").is_in([HIGH, PROFITABLE]) & (pl.col("risk") != "active")
    )
    best = (everyone["clv"] * (1 - everyone["p_alive"])).max()
    assert top["value_at_stake"][0] == pytest.approx(best)
