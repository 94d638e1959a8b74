"""Budget: the books balance, no money below the target return, and the optimum is found."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clvtui.errors import SettingsError
from clvtui.insights.acquisition import allowable_cpa
from clvtui.insights.budget import STEPS, WINBACK, plan_budget
from clvtui.insights.segments import assign_segments
from clvtui.settings import Settings
from tests.insights.conftest import CDNOW_SETTINGS


def random_scored(n: int, seed: int, s: Settings) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pl.DataFrame(
        {
            "customer_id": [f"c{i}" for i in range(n)],
            "clv": rng.gamma(0.8, 40.0, n) - 5.0,
            "p_alive": rng.beta(2.0, 1.5, n),
            "spend": rng.gamma(2.0, 40.0, n),
            "orders": rng.integers(1, 8, n),
            "T": rng.uniform(1.0, 100.0, n),
        }
    )
    return assign_segments(frame, s)


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(1, 200),
    seed=st.integers(0, 1000),
    total=st.floats(0.0, 50_000.0),
    ratio=st.floats(0.5, 6.0),
    cost=st.sampled_from([None, 5.0, 40.0]),
    allow=st.booleans(),
)
def test_allocations_and_unallocated_sum_to_the_budget(
    n: int, seed: int, total: float, ratio: float, cost: float | None, allow: bool
) -> None:
    s = Settings(margin=0.4, ltv_cac_ratio=ratio, allow_below_target=allow)
    scored = random_scored(n, seed, s)
    plan = plan_budget(total, scored, allowable_cpa(scored, s), s, acquisition_cost=cost)
    assert plan.spent + plan.unallocated == pytest.approx(total, abs=1e-6 * max(total, 1))
    assert all(a.spend >= 0 for a in plan.allocations)
    assert plan.unallocated >= 0
    if plan.unallocated > 0:
        assert plan.unallocated_reason
    for a in plan.allocations:
        if a.spend > 0:
            assert a.expected_value > 0
            if not allow:
                # the last step taken still returned at least the target ratio per unit spent
                assert a.marginal_return is not None and a.marginal_return >= ratio - 1e-9
    if allow and plan.unallocated > 0:
        # below-target spending allowed: only money that would return nothing is left over
        reason = plan.unallocated_reason
        assert any(why in reason for why in ("saturated", "contacted", "no target"))


def test_a_budget_too_small_to_scale_allocates_nothing_and_no_nan() -> None:
    """5e-324 (hypothesis found it): the look-alikes' saturation scale rounds to 0, where
    0 / 0 made a NaN with a RuntimeWarning."""
    import warnings

    s = Settings(margin=0.4)
    scored = random_scored(200, 3, s)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        plan = plan_budget(5e-324, scored, allowable_cpa(scored, s), s, acquisition_cost=10.0)
    assert plan.spent + plan.unallocated == pytest.approx(5e-324, abs=1e-12)
    assert all(math.isfinite(a.expected_value) for a in plan.allocations)


def test_negative_budget_is_a_clear_error() -> None:
    s = Settings()
    scored = random_scored(10, 0, s)
    with pytest.raises(SettingsError, match="positive amount"):
        plan_budget(-1.0, scored, allowable_cpa(scored, s), s)


def test_acquisition_only_matches_closed_form_water_filling() -> None:
    """Without win-back candidates, equal marginal returns have a closed form.

    Marginal return of tier t at spend s: (V_t / c) exp(−s / k_t). At the optimum all funded
    tiers share one λ: s_t = k_t ln(V_t / (c λ)); λ solves Σ s_t = total.
    """
    s = Settings(margin=0.4, ltv_cac_ratio=1.0, lookalike_pool=1000.0)
    scored = random_scored(300, 3, s).with_columns(pl.lit(0.99).alias("p_alive"))
    scored = assign_segments(scored.drop("tier", "risk"), s)  # everyone active: no win-back
    table = allowable_cpa(scored, s)
    total, cost = 2000.0, 10.0
    plan = plan_budget(total, scored, table, s, acquisition_cost=cost)
    assert WINBACK not in [a.target for a in plan.allocations]
    k = s.acquisition_saturation * total / math.log(2)
    values = {r["name"]: r["value_at_acquisition"] for r in table.to_dicts() if r["customers"]}
    values = {t: v for t, v in values.items() if v > 0}

    def spend_at(lam: float) -> dict[str, float]:
        return {t: max(0.0, k * math.log(v / (cost * lam))) for t, v in values.items()}

    lo, hi = 1e-9, max(values.values()) / cost
    for _ in range(200):
        mid = (lo + hi) / 2
        if sum(spend_at(mid).values()) > total:
            lo = mid
        else:
            hi = mid
    expected = spend_at(hi)
    got = {a.tier: a.spend for a in plan.allocations}
    for tier, amount in expected.items():
        assert got[tier] == pytest.approx(amount, abs=2 * total / STEPS)


def test_cdnow_budget_with_known_acquisition_cost(cdnow_scores: pl.DataFrame) -> None:
    s = CDNOW_SETTINGS.with_changes(acquisition_cost=10.0)
    scored = assign_segments(cdnow_scores, s)
    table = allowable_cpa(scored, s)
    plan = plan_budget(10_000.0, scored, table, s)
    doc = plan.to_json()
    assert set(doc) >= {"total", "allocations", "assumptions", "unallocated"}
    assert doc["assumptions"]["acquisition_cost"] == 10.0
    by = {a.target: a for a in plan.allocations}
    # look-alikes of "Profitable" are worth 18.34 each: 1.8× a 10.00 cost, below the 3× bar
    assert by["acquisition: look-alikes of Profitable"].spend == 0.0
    high = by["acquisition: look-alikes of Highly profitable"]
    # pool: at most 167 new look-alikes; k = min(0.5·10000/ln2, 167·10) = 1670
    k = 1670.0
    v = table.filter(pl.col("name") == "Highly profitable")["value_at_acquisition"][0]
    # it stops where the marginal return (V/c)·exp(−s/k) falls to 3
    s_star = k * math.log(v / 10.0 / 3.0)
    assert high.spend == pytest.approx(s_star, abs=10_000.0 / STEPS * 2)
    assert high.customers == pytest.approx(k / 10.0 * (1 - math.exp(-high.spend / k)), rel=1e-9)
    assert plan.unallocated > 0 and "3×" in plan.unallocated_reason
    # win-back: each contact costs 2 and returns 0.15 × CLV × (1 − P(alive))
    wb = by[WINBACK]
    cand = scored.filter(pl.col("risk") != "active")
    gains = np.sort((0.15 * cand["clv"] * (1 - cand["p_alive"])).to_numpy())[::-1]
    worth = gains[gains / 2.0 >= 3.0]
    assert wb.contacts == pytest.approx(len(worth), abs=1.0)
    assert wb.expected_value == pytest.approx(worth.sum(), rel=0.02)
