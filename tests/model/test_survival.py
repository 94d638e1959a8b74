"""Cohort retention by hand: Kaplan–Meier on buying lives (first → last purchase)."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from clvtui.model.survival import retention, shop_retention


def test_kaplan_meier_by_hand() -> None:
    # as-of day 400; lapsed = last purchase more than 90 days before it
    first = np.array([0, 0, 0, 0, 40])
    last = np.array([0, 100, 350, 200, 40])  # C (350) is still buying: censored
    curves = retention(first, last, 400)
    jan = curves.filter(pl.col("cohort") == "1970-01").sort("month")
    surv = dict(zip(jan["month"].to_list(), jan["survival"].to_list(), strict=True))
    assert surv[0] == 1.0
    assert surv[1] == pytest.approx(0.75)  # A (one-time buyer) gone by month 1
    assert surv[4] == pytest.approx(0.5)  # B lapsed at day 100
    assert surv[7] == pytest.approx(0.25)  # D lapsed at day 200
    assert surv[11] == pytest.approx(0.25)  # C censored at 350: no event
    assert 12 not in surv  # nobody of the cohort is at risk beyond day 350
    assert jan.filter(pl.col("month") == 1)["at_risk"].item() == 3
    feb = curves.filter(pl.col("cohort") == "1970-02")
    assert feb["survival"].to_list()[:2] == [1.0, 0.0]  # its one customer bought once
    everyone = curves.filter(pl.col("cohort") == "all")
    assert everyone.filter(pl.col("month") == 1)["survival"].item() == pytest.approx(3 / 5)
    assert (curves["low"] <= curves["survival"]).all() and (
        curves["survival"] <= curves["high"]
    ).all()


def test_shop_retention_is_retention_of_every_customer() -> None:
    """The fit computes the curves from the distinct (first, last day) pairs with counts: the
    same frame, to the bit, as from every customer (days before 1970 too)."""
    rng = np.random.default_rng(3)
    first = rng.integers(-400, 700, 20_000).astype(np.int32)
    last = (first + rng.integers(0, 300, 20_000) * (rng.random(20_000) < 0.6)).astype(np.int32)
    expected = retention(first, last, 1_000)
    assert expected["cohort"].n_unique() > 30
    assert shop_retention(first, last, 1_000).equals(expected)
