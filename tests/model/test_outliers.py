"""Outlier orders: far above both the customer's own usual size and the shop's 99.9th percentile
are flagged, counted, and capped for the spend model only (named cases)."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl
import pytest

from clvtui.model.summary import capped_spend, outlier_orders, summarise

DAY0 = date(2024, 1, 1)


def _orders(rows: list[tuple[str, int, float]]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "customer_id": [r[0] for r in rows],
            "ordered_at": [DAY0 + timedelta(days=r[1]) for r in rows],
            "amount": [r[2] for r in rows],
        }
    ).with_columns(pl.col("ordered_at").cast(pl.Datetime("us", "UTC")))


def _shop() -> pl.DataFrame:
    rng = np.random.default_rng(1)
    days, amounts = rng.integers(0, 300, 3000), rng.uniform(10, 60, 3000)
    rows = [
        (f"n{i:04d}", int(d), float(a)) for i, d, a in zip(range(3000), days, amounts, strict=True)
    ]
    rows += [("spike", 10, 20.0), ("spike", 40, 22.0), ("spike", 90, 25.0), ("spike", 120, 20000.0)]
    rows += [("wholesale", d, 5000.0 + d) for d in (5, 50, 100, 150)]
    rows += [("once", 30, 9000.0)]
    return _orders(rows)


END = (DAY0 + timedelta(days=300) - date(1970, 1, 1)).days


def test_a_spike_is_flagged_a_wholesale_buyer_and_a_one_time_buyer_are_not() -> None:
    out = outlier_orders(_shop(), END)
    assert out["customer_id"].to_list() == ["spike"]
    row = out.row(0, named=True)
    assert row["amount"] == 20000.0
    # threshold = max(10 × median of 20, 22, 25 = 220, shop 99.9th percentile) — the shop's
    # percentile sits among the wholesale orders here
    per_day = (
        _shop().group_by("customer_id", pl.col("ordered_at").dt.date()).agg(pl.col("amount").sum())
    )
    shop_q = float(per_day["amount"].quantile(0.999, "linear"))
    assert row["threshold"] == pytest.approx(max(220.0, shop_q))


def test_capped_for_the_spend_model_only() -> None:
    orders = _shop()
    s = summarise(orders, DAY0 + timedelta(days=300))
    m, doc = capped_spend(s, outlier_orders(orders, END), END)
    i = s["customer_id"].to_list().index("spike")
    thr = float(outlier_orders(orders, END)["threshold"][0])
    # repeat purchases 22, 25, 5000 → 22, 25, threshold
    assert s["m"][i] == pytest.approx((22 + 25 + 20000) / 3)
    assert m[i] == pytest.approx((22 + 25 + thr) / 3)
    assert s["spend"][i] == pytest.approx(20067.0)  # the stored spend stays true
    others = np.arange(len(m)) != i
    assert np.array_equal(m[others], s["m"].to_numpy()[others])
    assert doc["orders"] == 1 and doc["customers"] == 1
    assert doc["revenue_share"] == pytest.approx(20000.0 / float(s["spend"].sum()))


def test_quiet_shop_has_no_outliers() -> None:
    orders = _orders([("a", 1, 10.0), ("a", 5, 11.0), ("b", 2, 12.0)])
    assert outlier_orders(orders, END).height == 0
    assert outlier_orders(orders.clear(), END).height == 0
