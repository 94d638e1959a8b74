"""The summary's segment arithmetic against hand-computed values and a plain two-step group-by.

The fast path works on a (customer, day)-sorted frame with prefix sums; these cases are the
ones it must get exactly right: several orders on the first day (one purchase, excluded from
m), same-day repeats, customers whose orders all fall in the holdout, orders after the as-of.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from clvtui.model.summary import SUMMARY_COLUMNS, summarise, summarise_shop
from clvtui.model.summary import _range_sums as range_sums


def _orders(rows: list[tuple[str, str, float]]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "customer_id": [r[0] for r in rows],
            "ordered_at": [datetime.fromisoformat(r[1] + "T12:00:00+00:00") for r in rows],
            "amount": [r[2] for r in rows],
        },
        schema={
            "customer_id": pl.Utf8,
            "ordered_at": pl.Datetime("us", "UTC"),
            "amount": pl.Float64,
        },
    )


ORDERS = _orders(
    [  # deliberately not sorted by customer or date
        ("b", "2024-03-01", 8.0),
        ("a", "2024-03-10", 20.0),
        ("a", "2024-01-01", 10.0),
        ("c", "2024-06-20", 4.0),  # only in the holdout window
        ("a", "2024-05-05", 3.0),
        ("a", "2024-01-01", 5.0),  # second order on a's first day
        ("d", "2024-02-02", 1.5),
        ("a", "2024-05-05", 7.0),  # same day again
        ("d", "2024-06-15", 2.0),  # holdout, twice on one day
        ("d", "2024-06-15", 2.5),
        ("d", "2024-06-25", 6.0),  # holdout
        ("a", "2024-07-30", 99.0),  # after the as-of: ignored
    ]
)
AS_OF = "2024-06-30"  # holdout of 4 weeks: calibration ends 2024-06-02


def test_hand_computed_summary() -> None:
    s = summarise(ORDERS, AS_OF)
    assert s.columns == SUMMARY_COLUMNS and s["customer_id"].to_list() == ["a", "b", "c", "d"]
    a = s.row(0, named=True)
    # purchase days 01-01 (15), 03-10 (20), 05-05 (10): x = 2, m = (20 + 10) / 2
    assert (a["orders"], a["x"], a["spend"], a["m"]) == (3, 2, 45.0, 15.0)
    assert a["t_x"] == pytest.approx(125 / 7) and a["T"] == pytest.approx(181 / 7)
    b, c, d = s.row(1, named=True), s.row(2, named=True), s.row(3, named=True)
    assert (b["x"], b["m"], b["t_x"], b["spend"]) == (0, 0.0, 0.0, 8.0)
    assert (c["x"], c["T"]) == (0, pytest.approx(10 / 7))
    assert (d["orders"], d["x"], d["spend"], d["m"]) == (3, 2, 12.0, (4.5 + 6.0) / 2)


def test_holdout_split() -> None:
    s = summarise(ORDERS, AS_OF, holdout_weeks=4)
    assert s["customer_id"].to_list() == ["a", "b", "d"]  # c first bought in the holdout
    assert s["holdout_x"].to_list() == [0, 0, 2] and s["holdout_spend"].to_list() == [0, 0, 10.5]
    d = s.row(2, named=True)
    assert (d["orders"], d["x"], d["spend"], d["m"], d["last_day"]) == (1, 0, 1.5, 0.0, 19755)
    assert d["T"] == pytest.approx((19876 - 19755) / 7)  # 2024-02-02 → 2024-06-02


def _reference(orders: pl.DataFrame, as_of: str, holdout_weeks: int | None) -> pl.DataFrame:
    """The same quantities the slow, obvious way: purchase days, then per-customer aggregates."""
    end = (datetime.fromisoformat(as_of).date() - datetime(1970, 1, 1).date()).days
    cal_end = end - 7 * (holdout_weeks or 0)
    days = (
        orders.select(
            "customer_id", day=pl.col("ordered_at").dt.epoch("d").cast(pl.Int32), amount="amount"
        )
        .filter(pl.col("day") <= end)
        .group_by("customer_id", "day")
        .agg(pl.col("amount").sum())
    )
    cal = pl.col("day") <= cal_end
    out = (
        days.group_by("customer_id")
        .agg(
            orders=cal.sum().cast(pl.Int64),
            spend=pl.col("amount").filter(cal).sum(),
            first_day=pl.col("day").min(),
            last_day=pl.col("day").filter(cal).max(),
            first_spend=pl.col("amount").sort_by("day").first(),
            holdout_x=(~cal).sum().cast(pl.Int64),
            holdout_spend=pl.col("amount").filter(~cal).sum(),
        )
        .filter(pl.col("orders") > 0)
        .with_columns(x=pl.col("orders") - 1)
        .with_columns(
            t_x=(pl.col("last_day") - pl.col("first_day")) / 7.0,
            T=(cal_end - pl.col("first_day")) / 7.0,
            m=pl.when(pl.col("x") > 0)
            .then((pl.col("spend") - pl.col("first_spend")) / pl.col("x"))
            .otherwise(0.0),
        )
        .sort("customer_id")
    )
    cols = SUMMARY_COLUMNS + (["holdout_x", "holdout_spend"] if holdout_weeks else [])
    return out.select(cols)


@pytest.mark.parametrize("holdout_weeks", [None, 3, 10])
def test_matches_plain_group_by_on_random_orders(holdout_weeks: int | None) -> None:
    rng = np.random.default_rng(11)
    n = 3000
    start = datetime(2024, 1, 1).timestamp()
    orders = pl.DataFrame(
        {
            "customer_id": [f"c{int(i):03d}" for i in rng.integers(0, 400, n)],
            "ordered_at": (start + rng.integers(0, 200 * 86400, n)) * 1_000_000,
            "amount": np.round(rng.gamma(2.0, 20.0, n), 2),
        }
    ).with_columns(pl.col("ordered_at").cast(pl.Datetime("us", "UTC")))
    ours = summarise(orders, "2024-07-10", holdout_weeks)
    ref = _reference(orders, "2024-07-10", holdout_weeks)
    assert_frame_equal(ours, ref, check_dtypes=False, check_exact=False, rel_tol=1e-12)
    assert ours["x"].dtype == pl.Int64 and ours["first_day"].dtype == pl.Int32


def test_shop_summary_and_its_calibration_summary_from_one_sort() -> None:
    """The fit summarises as-of and, with a holdout, the calibration window from one sorted
    frame: both must be what ``summarise`` gives for each, to the bit (the stored runs must
    not change), and the shop days the same with or without the holdout."""
    plain, days = summarise_shop(ORDERS, AS_OF)
    assert days.calibration is None
    again, with_holdout = summarise_shop(ORDERS, AS_OF, holdout_weeks=4)
    assert_frame_equal(plain, summarise(ORDERS, AS_OF), check_exact=True)
    assert_frame_equal(again, plain, check_exact=True)
    assert with_holdout.calibration is not None
    assert_frame_equal(
        with_holdout.calibration, summarise(ORDERS, AS_OF, holdout_weeks=4), check_exact=True
    )
    assert with_holdout.calibration["holdout_x"].to_list() == [0, 0, 2]  # a, b, d as above
    assert np.array_equal(with_holdout.second_gaps, days.second_gaps)
    assert_frame_equal(with_holdout.outliers, days.outliers)


def test_range_sums_handles_empty_and_final_ranges() -> None:
    values = np.array([1.0, 2.0, 3.0, 4.0])
    lo, hi = np.array([0, 1, 1, 3, 4]), np.array([2, 1, 4, 4, 4])
    assert range_sums(values, lo, hi).tolist() == [3.0, 0.0, 9.0, 4.0, 0.0]
