"""The fit's summary by customer code is the summary by text id, to the bit.

The fit sorts the orders by the 4-byte code the store ranks each customer id with
(``store.customer_ranks``) instead of by the id itself; the stored runs must not change, so the
summary, the calibration summary, the second-purchase gaps and the outlier days must equal the
text path's exactly — on ids whose byte order is not their "natural" one ("B" < "a" < "aa").
The holdout's weekly counts, taken from the same sorted frame, must equal the old count over
the window's orders.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from clvtui.model import validate
from clvtui.model.summary import summarise, summarise_shop
from clvtui.model.summary_codes import sorted_codes
from clvtui.store.customer_ranks import ranked
from tests.model.test_summary import AS_OF, ORDERS


def _random_orders() -> pl.DataFrame:
    rng = np.random.default_rng(5)
    n = 4000
    names = ["B", "a", "aa", "a1", "Ä", "z", "_", "10", "9", *(f"c{i}" for i in range(300))]
    start = datetime(2024, 1, 1).timestamp()
    amount = np.round(rng.gamma(2.0, 20.0, n), 2)
    amount[rng.integers(0, n, 6)] *= 200  # a few outlier days
    return pl.DataFrame(
        {
            "customer_id": [names[i] for i in rng.integers(0, len(names), n)],
            "ordered_at": (start + rng.integers(0, 200 * 86400, n)) * 1_000_000,
            "amount": amount,
        }
    ).with_columns(pl.col("ordered_at").cast(pl.Datetime("us", "UTC")))


@pytest.mark.parametrize("holdout_weeks", [None, 6])
def test_summary_by_code_equals_summary_by_id(holdout_weeks: int | None) -> None:
    orders = _random_orders()
    codes, ids = ranked(orders["customer_id"])
    by_id, days = summarise_shop(orders, "2024-07-10", holdout_weeks)
    by_code, coded = summarise_shop(orders.with_columns(codes), "2024-07-10", holdout_weeks, ids)
    assert by_code["customer_id"].to_list()[:3] == ["10", "9", "B"]  # byte order, as by id
    assert_frame_equal(by_code, by_id, check_exact=True)
    assert np.array_equal(coded.second_gaps, days.second_gaps)
    assert days.outliers.height > 0
    assert_frame_equal(coded.outliers, days.outliers, check_exact=True)
    if holdout_weeks:
        assert coded.calibration is not None and days.calibration is not None
        assert_frame_equal(coded.calibration, days.calibration, check_exact=True)
        assert coded.holdout_weekly is not None and days.holdout_weekly is not None
        assert coded.holdout_weekly.tolist() == days.holdout_weekly.tolist()


def test_holdout_weekly_counts_equal_the_count_over_the_orders() -> None:
    """Calibration ends 2024-06-02: d's holdout days 06-15 (week 2, two orders: one purchase
    day) and 06-25 (week 4); c bought only in the holdout and is not a calibration customer."""
    _, days = summarise_shop(ORDERS, AS_OF, holdout_weeks=4)
    assert days.holdout_weekly is not None
    assert days.holdout_weekly.tolist() == [0, 1, 0, 1]
    cal = summarise(ORDERS, AS_OF, holdout_weeks=4)
    assert validate._actual_weekly(cal, ORDERS, 4).tolist() == [0.0, 1.0, 0.0, 1.0]
    rand = _random_orders()
    _, many = summarise_shop(rand, "2024-07-10", holdout_weeks=6)
    want = validate._actual_weekly(summarise(rand, "2024-07-10", 6), rand, 6)
    assert many.holdout_weekly is not None and many.holdout_weekly.sum() > 50
    assert many.holdout_weekly.tolist() == want.tolist()


def test_the_packed_sort_orders_rows_as_the_sort_by_code_day_and_amount() -> None:
    """Many same-day orders (a day's amounts arrive in random order: they must come out in
    amount order, as the sort by (code, day, amount) gives them), codes above 2¹⁶, days
    before the epoch, and a row past ``end`` left out."""
    rng = np.random.default_rng(11)
    n = 30_000
    codes = rng.integers(0, 70_000, n).astype(np.uint32)
    codes[:6] = [69_999, 69_999, 69_999, 69_999, 0, 0]
    days = rng.integers(-40, 60, n)
    days[:6] = [5, 5, 5, 5, 61, -40]
    amount = np.round(rng.gamma(2.0, 20.0, n), 2)
    amount[:4] = [30.0, 0.1, 12.5, 0.2]
    orders = pl.DataFrame(
        {
            "customer_code": codes,
            "ordered_at": (days * 86_400 + rng.integers(0, 86_400, n)) * 1_000_000,
            "amount": amount,
        }
    ).with_columns(pl.col("ordered_at").cast(pl.Datetime("us", "UTC")))
    got = sorted_codes(orders, 60)
    want = orders.select(
        "customer_code", day=pl.col("ordered_at").dt.epoch("d").cast(pl.Int32), amount="amount"
    ).filter(pl.col("day") <= 60)
    want = want.sort("customer_code", "day", "amount")
    assert got.height == n - 1 and want["day"].min() == -40
    assert_frame_equal(got, want, check_exact=True)
    tied = got.filter((pl.col("customer_code") == 69_999) & (pl.col("day") == 5))
    assert tied["amount"].to_list()[:4] == [0.1, 0.2, 12.5, 30.0]
    assert sorted_codes(orders.head(0), 60).height == 0


def test_customers_without_a_purchase_by_as_of_are_left_out_by_code_as_by_id() -> None:
    """The summary takes the ids as they are when every id bought by as-of; a customer whose
    orders all come later leaves a gap in the codes, and the ids are gathered instead."""
    orders = _random_orders()
    after = [datetime(2024, 9, 1)] * 2
    late = pl.DataFrame(
        {"customer_id": ["0-late", "zz-late"], "ordered_at": after, "amount": [10.0, 20.0]}
    ).with_columns(pl.col("ordered_at").dt.replace_time_zone("UTC"))
    for shop in (orders, pl.concat([orders, late])):
        codes, ids = ranked(shop["customer_id"])
        by_id, _ = summarise_shop(shop, "2024-07-10")
        by_code, _ = summarise_shop(shop.with_columns(codes), "2024-07-10", None, ids)
        assert by_code.height == by_id.height == orders["customer_id"].n_unique()
        assert "0-late" not in by_code["customer_id"].to_list()
        assert_frame_equal(by_code, by_id, check_exact=True)
