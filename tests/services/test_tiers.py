"""The one tier rule (``services.tiers``): today's tier settings over the run's values."""

from __future__ import annotations

import polars as pl
import pytest

from clvtui.insights.segments import HIGH, NOT_PROFITABLE, PROFITABLE
from clvtui.services.tiers import (
    apply_tiers,
    effective_settings,
    one_time_rule,
    rule_key,
    rule_unchanged,
)
from clvtui.settings import Settings

FITTED = Settings(margin=0.4, cost_per_order=3.0, top_value_share=0.5, profit_floor=0.0)
RUN = {
    "id": 1,
    "settings": FITTED.to_mapping(),
    "risk_rule": {"one_time": {"at_risk_weeks": 20.0, "lost_weeks": 40.0, "gaps_seen": 30}},
}
SCORES = pl.DataFrame(
    {
        "customer_id": ["a", "b", "c", "d"],
        "clv": [100.0, 50.0, 30.0, -5.0],
        "p_alive": [0.9, 0.5, 0.95, 0.95],
        "x": [3, 1, 0, 2],
        "T": [10.0, 10.0, 30.0, 10.0],
        "tier": ["stale"] * 4,  # what the fit stored: replaced, in place
        "risk": ["stale"] * 4,
    }
)


def test_tiers_follow_todays_rule_over_the_runs_values() -> None:
    today = Settings(margin=0.9, top_value_share=0.8, profit_floor=10.0, active_min_p_alive=0.6)
    out = apply_tiers(SCORES, RUN, today)
    assert out.columns == SCORES.columns  # a ranking keeps its column order
    # positive value 180; 80 % = 144 is reached at b (100 + 50): a and b are the top tier
    assert out["tier"].to_list() == [HIGH, HIGH, PROFITABLE, NOT_PROFITABLE]
    # c bought once and has been silent 30 weeks > the run's 20: at most "at risk"
    assert out["risk"].to_list() == ["active", "at risk", "at risk", "active"]
    # under the rule the run was fitted with, only a holds half the value
    assert apply_tiers(SCORES, RUN, FITTED)["tier"].to_list() == [
        HIGH, PROFITABLE, PROFITABLE, NOT_PROFITABLE,
    ]  # fmt: skip


def test_economics_stay_the_runs_and_rules_are_todays() -> None:
    today = Settings(margin=0.9, cost_per_order=1.0, top_value_share=0.8, ltv_cac_ratio=4.0)
    used = effective_settings(RUN, today)
    assert (used.margin, used.cost_per_order) == (0.4, 3.0)
    assert (used.top_value_share, used.ltv_cac_ratio) == (0.8, 4.0)


def test_stored_tiers_are_only_trusted_while_the_rule_is_unchanged() -> None:
    assert rule_unchanged(RUN, FITTED.with_changes(margin=0.9, ltv_cac_ratio=5.0))
    assert not rule_unchanged(RUN, FITTED.with_changes(profit_floor=1.0))
    assert not rule_unchanged(RUN, FITTED.with_changes(lost_max_p_alive=0.2))
    assert rule_key(FITTED) != rule_key(FITTED.with_changes(top_value_share=0.6))


def test_one_time_rule_from_the_header_or_the_report() -> None:
    rule = one_time_rule(RUN)
    assert rule is not None and (rule.at_risk_weeks, rule.lost_weeks) == (20.0, 40.0)
    nested = {"settings": RUN["settings"], "report": {"risk_rule": RUN["risk_rule"]}}
    assert one_time_rule(nested) == rule
    assert one_time_rule({"settings": {}, "risk_rule": None}) is None


@pytest.mark.parametrize("floor", [0.0, 60.0])
def test_every_customer_gets_exactly_one_tier(floor: float) -> None:
    out = apply_tiers(SCORES, RUN, FITTED.with_changes(profit_floor=floor))
    assert out.height == SCORES.height and out["tier"].null_count() == 0


def test_the_tier_floor_is_one_contacts_cost_unless_set() -> None:
    """ "Not profitable" = worth no more than one marketing contact costs (issue 15): the
    default follows ``winback_cost_per_contact``; an explicit ``profit_floor`` (0 included)
    wins, and ``none`` goes back to the contact's cost."""
    from clvtui.settings import parse_value

    assert Settings().profit_floor is None and Settings().tier_floor == 2.0
    assert Settings(winback_cost_per_contact=5.0).tier_floor == 5.0
    assert Settings(profit_floor=0.0, winback_cost_per_contact=5.0).tier_floor == 0.0
    assert parse_value("profit_floor", "none") is None and parse_value("profit_floor", "3") == 3.0
    scores = pl.DataFrame({"customer_id": list("abc"), "clv": [50.0, 2.0, 2.01],
                           "p_alive": [0.9, 0.9, 0.9]})  # fmt: skip
    assert apply_tiers(scores, RUN, Settings())["tier"].to_list() == [
        HIGH, NOT_PROFITABLE, PROFITABLE,
    ]  # fmt: skip
    # a run fitted with the old floor of 0 is re-tiered by today's rule, not read as stored
    assert not rule_unchanged(RUN, FITTED.with_changes(profit_floor=None))
    assert rule_unchanged(RUN, FITTED.with_changes(profit_floor=None, winback_cost_per_contact=0.0))
