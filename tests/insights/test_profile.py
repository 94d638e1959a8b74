"""Ideal-customer profile: CDNOW numbers by hand, hazard ratios recovered from simulated data."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

from clvtui.insights.profile import (
    ALL,
    build_profile,
    collapse_levels,
    repurchase_hazard,
    time_to_repurchase,
)
from clvtui.insights.segments import HIGH, PROFITABLE, assign_segments
from tests.insights.conftest import CAL_END, CDNOW_SETTINGS, cdnow_summary


def test_cdnow_profile_numbers_and_acquisition_month(cdnow_scores: pl.DataFrame) -> None:
    scored = assign_segments(cdnow_scores, CDNOW_SETTINGS)
    prof = build_profile(scored, CAL_END, [])
    numbers = {r["group"]: r for r in prof.numbers.to_dicts()}
    # independent: from the raw file's first purchase dates, plain Python
    raw = cdnow_summary().join(scored.select("customer_id", "tier"), on="customer_id")
    everyone = raw.to_dicts()
    for group in (HIGH, PROFITABLE, ALL):
        rows = [r for r in everyone if group == ALL or r["tier"] == group]
        n = len(rows)
        assert numbers[group]["customers"] == n
        assert numbers[group]["orders_mean"] == pytest.approx(sum(r["orders"] for r in rows) / n)
        aov = sum(r["spend"] for r in rows) / sum(r["orders"] for r in rows)
        assert numbers[group]["aov"] == pytest.approx(aov)
        assert numbers[group]["tenure_weeks_mean"] == pytest.approx(sum(r["T"] for r in rows) / n)
    # the best customers buy more often and spend more per order than the average customer
    assert numbers[HIGH]["orders_mean"] == pytest.approx(6.910, abs=1e-3)
    assert numbers[HIGH]["aov"] == pytest.approx(47.50, abs=0.01)
    assert numbers[ALL]["aov"] == pytest.approx(35.96, abs=0.01)
    months = prof.attributes.filter(pl.col("attribute") == "acquisition_month")
    share_all = {
        m: sum(r["first"].strftime("%Y-%m") == m for r in everyone) / 2357
        for m in ("1997-01", "1997-02", "1997-03")
    }
    high = [r for r in everyone if r["tier"] == HIGH]
    for r in months.filter(pl.col("tier") == HIGH).to_dicts():
        share = sum(h["first"].strftime("%Y-%m") == r["level"] for h in high) / len(high)
        assert r["share"] == pytest.approx(share)
        assert r["share_all"] == pytest.approx(share_all[r["level"]])
        assert r["lift"] == pytest.approx(share / share_all[r["level"]])
    feb = months.filter((pl.col("tier") == HIGH) & (pl.col("level") == "1997-02"))
    assert feb["customers"][0] == 68 and feb["lift"][0] == pytest.approx(1.12, abs=0.005)
    assert any("no customer attributes" in n for n in prof.notes)


def test_rare_levels_collapse_to_other() -> None:
    frame = pl.DataFrame({"country": ["US"] * 600 + ["DE"] * 395 + ["XX"] * 3 + [None] * 2})
    out = collapse_levels(frame, "country")["country"].value_counts().sort("country")
    assert dict(out.iter_rows()) == {"DE": 395, "US": 600, "other": 5}


def test_time_to_repurchase_merges_same_day_orders_and_censors() -> None:
    purchases = pl.DataFrame(
        {
            "customer_id": ["a", "a", "a", "b", "c", "c"],
            "ordered_at": [
                "2024-01-01T09:00:00Z",
                "2024-01-01T18:00:00Z",  # same day: not a repurchase
                "2024-01-15T10:00:00Z",
                "2024-02-01T00:00:00Z",
                "2024-03-01T00:00:00Z",
                "2024-05-01T00:00:00Z",  # after the end: not seen
            ],
        }
    )
    out = {
        r["customer_id"]: r for r in time_to_repurchase(purchases, dt.date(2024, 3, 31)).to_dicts()
    }
    assert out["a"]["duration"] == pytest.approx(2.0) and out["a"]["event"] == 1
    assert out["b"]["duration"] == pytest.approx(59 / 7) and out["b"]["event"] == 0
    assert out["c"]["duration"] == pytest.approx(30 / 7) and out["c"]["event"] == 0


def test_hazard_ratios_are_recovered_from_simulated_repurchase_times() -> None:
    rng = np.random.default_rng(7)
    n = 6000
    channel = rng.choice(["web", "instagram", "mail", "fax"], n, p=[0.597, 0.3, 0.1, 0.003])
    rate = 0.05 * np.select([channel == "instagram", channel == "mail"], [2.0, 0.5], 1.0)
    t = rng.exponential(1 / rate)
    frame = pl.DataFrame(
        {
            "customer_id": [str(i) for i in range(n)],
            "duration": np.minimum(t, 40.0),
            "event": (t < 40.0).astype(np.int8),
            "channel": channel,
            "country": rng.choice(["US", "DE"], n),  # no effect
        }
    )
    ratios, notes = repurchase_hazard(frame, ["channel", "country"])
    by = {(h.attribute, h.level): h for h in ratios}
    ig, mail = by[("channel", "instagram")], by[("channel", "mail")]
    assert (
        ig.reference == "web" and ig.low < 2.0 < ig.high and ig.ratio == pytest.approx(2, rel=0.1)
    )
    assert mail.low < 0.5 < mail.high and mail.ratio == pytest.approx(0.5, rel=0.15)
    assert "sooner" in ig.reading() and "later" in mail.reading()
    de = next(h for h in ratios if h.attribute == "country")
    assert de.low < 1.0 < de.high and "no clear difference" in de.reading()
    assert ("channel", "fax") not in by  # 0.3 %: folded into "other"
    # the strongest, clearest effects are read first
    assert {ratios[0].level, ratios[1].level} == {"instagram", "mail"}
    assert notes == []
