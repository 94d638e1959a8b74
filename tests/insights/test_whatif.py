"""What-if without refitting: exact for margin, cost and retention, close for discount rate."""

from __future__ import annotations

import polars as pl
import pytest

from clvtui.errors import SettingsError
from clvtui.insights.segments import assign_segments
from clvtui.insights.whatif import what_if
from tests.insights.conftest import CDNOW_SETTINGS, score_cdnow


@pytest.fixture(scope="module")
def stored(cdnow_scores: pl.DataFrame) -> pl.DataFrame:
    """What a run stores: no discounted_orders column (recovered from CLV)."""
    return assign_segments(cdnow_scores.drop("discounted_orders"), CDNOW_SETTINGS)


def test_margin_and_cost_changes_are_exact(stored: pl.DataFrame) -> None:
    result = what_if(stored, CDNOW_SETTINGS, margin=0.45, cost_per_order=2.5)
    truth = score_cdnow(CDNOW_SETTINGS.with_changes(margin=0.45, cost_per_order=2.5))
    got = result.scored.sort("customer_id")["clv"].to_numpy()
    want = truth.sort("customer_id")["clv"].to_numpy()
    assert got == pytest.approx(want, rel=1e-9, abs=1e-9)
    assert result.equity_after == pytest.approx(float(want.sum()), rel=1e-9)
    assert result.equity_before == pytest.approx(float(stored["clv"].sum()))
    assert sum(r["clv_total"] for r in result.to_json()["tiers_after"]) == pytest.approx(
        result.equity_after
    )
    assert result.changes == {"margin": 0.45, "cost_per_order": 2.5}


def test_from_revenue_to_net(cdnow_scores: pl.DataFrame) -> None:
    revenue = CDNOW_SETTINGS.with_changes(margin=None, cost_per_order=0.0)
    run = assign_segments(score_cdnow(revenue).drop("discounted_orders"), revenue)
    result = what_if(run, revenue, margin=0.30, cost_per_order=1.0)
    assert result.equity_after == pytest.approx(float(cdnow_scores["clv"].sum()), rel=1e-9)
    assert result.value_kind == "net"
    assert any("revenue CLV to net CLV" in n for n in result.notes)


def test_discount_rate_change_is_within_one_percent(stored: pl.DataFrame) -> None:
    for rate in (0.0, 0.05, 0.25):
        result = what_if(stored, CDNOW_SETTINGS, discount_rate=rate)
        truth = score_cdnow(CDNOW_SETTINGS.with_changes(annual_discount_rate=rate))
        assert result.equity_after == pytest.approx(float(truth["clv"].sum()), rel=0.01)
        assert result.notes and "approximate" in result.notes[0]


def test_retention_uplift_keeps_a_share_of_would_be_churners(stored: pl.DataFrame) -> None:
    result = what_if(stored, CDNOW_SETTINGS, retention_uplift=0.2)
    p = stored["p_alive"]
    p_new = p + 0.2 * (1 - p)
    want = (stored["clv"] * p_new / p).sum()
    assert result.equity_after == pytest.approx(float(want), rel=1e-9)
    assert result.scored["p_alive"].to_list() == pytest.approx(p_new.to_list())
    before = stored["risk"].value_counts().filter(pl.col("risk") == "active")["count"][0]
    after = result.scored["risk"].value_counts().filter(pl.col("risk") == "active")["count"][0]
    assert after > before  # more customers now count as active


def test_bad_what_if_values_are_clear_errors(stored: pl.DataFrame) -> None:
    with pytest.raises(SettingsError, match="margin must be between 0 and 100 %"):
        what_if(stored, CDNOW_SETTINGS, margin=1.5)
    with pytest.raises(SettingsError, match="retention uplift"):
        what_if(stored, CDNOW_SETTINGS, retention_uplift=1.5)
    with pytest.raises(SettingsError, match="annual_discount_rate"):
        what_if(stored, CDNOW_SETTINGS, discount_rate=-0.1)
