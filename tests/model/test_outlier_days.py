"""The outlier rule's pre-filter (``model.outlier_days``) rules out only days the rule would
not flag: the outlier days equal a plain check of every day against the rule."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import polars as pl

from clvtui.model.summary import OUTLIER_FACTOR, OUTLIER_SHOP_QUANTILE, outlier_orders


def _orders() -> pl.DataFrame:
    """600 customers over 120 days; some customers' days are all large (not outliers), some
    have one huge day, some negative (refunded) days."""
    rng = np.random.default_rng(3)
    n = 20_000
    customer = rng.integers(0, 600, n)
    amount = np.round(rng.gamma(2.0, 15.0, n) * np.where(customer < 30, 40.0, 1.0), 2)
    amount[rng.integers(0, n, 40)] *= rng.uniform(5, 300, 40)  # candidates of every size
    amount[rng.integers(0, n, 20)] *= -1
    start = int(datetime(2024, 1, 1).timestamp())
    return pl.DataFrame(
        {
            "customer_id": [f"c{c:03d}" for c in customer],
            "ordered_at": (start + rng.integers(0, 120 * 86_400, n)) * 1_000_000,
            "amount": amount,
        }
    ).with_columns(pl.col("ordered_at").cast(pl.Datetime("us", "UTC")))


def _plain_rule(orders: pl.DataFrame) -> list[tuple[str, int, float, float]]:
    days = (
        orders.group_by("customer_id", day=pl.col("ordered_at").dt.epoch("d").cast(pl.Int32))
        .agg(pl.col("amount").sort().sum())
        .sort("customer_id", "day")
    )
    shop_q = float(np.quantile(days["amount"].to_numpy(), OUTLIER_SHOP_QUANTILE))
    found = []
    for (cid,), part in days.group_by("customer_id", maintain_order=True):
        sums = part["amount"].to_numpy()
        for i, (day, value) in enumerate(zip(part["day"], sums, strict=True)):
            if len(sums) < 2:
                continue
            cap = max(OUTLIER_FACTOR * float(np.median(np.delete(sums, i))), shop_q)
            if value > cap:
                found.append((str(cid), int(day), float(value), cap))
    return found


def test_outlier_days_equal_the_rule_applied_to_every_day() -> None:
    orders = _orders()
    got = outlier_orders(orders, 20_000).rows()
    want = _plain_rule(orders)
    assert len(want) >= 5
    assert [r[:2] for r in got] == [r[:2] for r in want]
    np.testing.assert_allclose([r[2:] for r in got], [r[2:] for r in want], rtol=1e-12)
