"""Orders → one row per customer (x, t_x, T, m) in weeks, at day resolution, in polars.

Conventions (the literature's, checked against the published CDNOW summary):
- several orders on one calendar day (UTC) are one purchase, their amounts summed;
- x = repeat purchases = distinct purchase days after the first;
- t_x = weeks from the first to the last purchase day; T = weeks from the first purchase day to
  the as-of day (the last day observed, inclusive: first 1997-01-01, as-of 1997-09-30 → 272/7);
- m = mean value of the repeat purchases only (0 when x = 0); the first purchase is excluded
  because it is often atypical (Fader, Hardie & Lee 2005, "RFM and CLV").

A calibration/holdout split keeps only customers acquired by the calibration end and counts
their purchase days and spend in the holdout (calibration end, as-of].
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
import polars as pl

from clvtui.model.outlier_days import outlier_candidates
from clvtui.model.summary_codes import CODE, customer_ids, sorted_codes

SUMMARY_COLUMNS = ["customer_id", "orders", "spend", "x", "t_x", "T", "m", "first_day", "last_day"]


def _day(value: date | datetime | str) -> int:
    """Days since 1970-01-01 of a date (UTC)."""
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    if isinstance(value, datetime):
        value = value.date()
    return (value - date(1970, 1, 1)).days


def purchase_days(orders: pl.DataFrame | pl.LazyFrame, until: int | None = None) -> pl.LazyFrame:
    """Merge orders into purchase days: (customer_id, day, amount), day = days since epoch."""
    lf = orders.lazy().select(
        "customer_id",
        day=pl.col("ordered_at").dt.epoch("d").cast(pl.Int32),
        amount=pl.col("amount").cast(pl.Float64),
    )
    if until is not None:
        lf = lf.filter(pl.col("day") <= until)
    return lf.group_by("customer_id", "day").agg(pl.col("amount").sum())


def summarise(
    orders: pl.DataFrame | pl.LazyFrame,
    as_of: date | datetime | str | None = None,
    holdout_weeks: int | None = None,
    *,
    every_order: bool = False,
) -> pl.DataFrame:
    """Per-customer summary at ``as_of`` (default: the last order day).

    With ``holdout_weeks`` the summary is taken at calibration end = as_of − 7·N days, for the
    customers acquired by then, and ``holdout_x`` / ``holdout_spend`` hold their purchase days
    and spend in the holdout window.

    ``every_order=True`` counts every order at its exact time instead of merging purchase days
    (for parameter-recovery tests on the continuous-time simulator, where merging same-day
    orders biases α upward); T then runs to the end of the as-of day.
    """
    lf = orders.lazy()
    if every_order:
        if holdout_weeks:
            raise ValueError("every_order summaries have no holdout split")
        return _summarise_every_order(lf, as_of)
    if as_of is None:
        last = lf.select(pl.col("ordered_at").max().dt.epoch("d")).collect().item()
        if last is None:
            return pl.DataFrame(schema=_schema(holdout_weeks is not None))
        end = int(last)
    else:
        end = _day(as_of)
    cal_end = end - 7 * holdout_weeks if holdout_weeks else end
    frame = _sorted_days(lf, end)
    return _reduce_sorted(frame, cal_end, bool(holdout_weeks), _new_customers(frame))


def _sorted_days(lf: pl.LazyFrame, end: int) -> pl.DataFrame:
    """(customer_id, day, amount) up to day ``end``, sorted by customer and day.

    The amount is a sort key too: a customer's same-day amounts are then added in the same
    order every run. Sorted by customer and day alone (an unstable sort), the last bits of m
    varied from run to run at 1 M customers, and with them the fit's 9th–15th digits; a
    stable sort costs ~1 s CPU more at 2.8 M orders, the third key nothing measurable.
    """
    return (
        lf.select(
            "customer_id",
            day=pl.col("ordered_at").dt.epoch("d").cast(pl.Int32),
            amount=pl.col("amount").cast(pl.Float64),
        )
        .filter(pl.col("day") <= end)
        .sort("customer_id", "day", "amount")
        .collect()
    )


def _new_customers(frame: pl.DataFrame) -> np.ndarray:
    """Where each customer's segment of the sorted frame starts (a comparison of every row's
    customer with the one before: ~0.2 s CPU at 2.8 M text ids, so done once per sort)."""
    cid = frame[frame.columns[0]]  # customer_id, or customer_code
    return (cid != cid.shift(1)).fill_null(True).to_numpy()


def _reduce_sorted(
    frame: pl.DataFrame, cal_end: int, holdout: bool, new_customer: np.ndarray,
    ids: pl.Series | None = None,
) -> pl.DataFrame:  # fmt: skip
    """Per-customer sums over a frame sorted by (customer, day): segment sums and gathers.

    Why not a polars group-by: merging same-day orders needs either a second group-by on
    (customer, day) or a per-group filter for the first day's spend, both 3–5× slower than a
    bare group-by at 1 M customers. After the sort each customer is a contiguous, day-ordered
    segment: first/last days are gathers at its ends, purchase days count day changes, and the
    first day's orders (and, with a holdout, the calibration orders) are a prefix of it.
    """
    n = frame.height
    if n == 0:
        return pl.DataFrame(schema=_schema(holdout))
    day, amount = frame["day"].to_numpy(), frame["amount"].to_numpy()
    new_day = new_customer.copy()
    np.not_equal(day[1:], day[:-1], out=new_day[1:])
    new_day[1:] |= new_customer[1:]
    start = np.flatnonzero(new_customer)
    stop = np.append(start[1:], n)
    runs = np.cumsum(new_day)  # purchase days up to and including each row
    first = day[start]
    # the first purchase day ends where the customer's second purchase day starts
    first_stop = np.append(np.flatnonzero(new_day), n)[runs[start]]
    days_total = runs[stop - 1] - runs[start] + 1
    spend = np.add.reduceat(amount, start)
    if holdout:  # calibration orders are a prefix of each segment (day-ordered)
        in_cal = np.cumsum(day <= cal_end)
        cal_stop = in_cal[stop - 1] - np.append(0, in_cal[start[1:] - 1]) + start
        has = cal_stop > start
        last_row = np.maximum(cal_stop - 1, start)
        orders = np.where(has, runs[last_row] - runs[start] + 1, 0)
        last = np.where(has, day[last_row], np.iinfo(np.int32).min)
        holdout_spend = np.zeros(len(start))
        part = cal_stop < stop  # customers with holdout orders: split their spend
        spend[part] = _range_sums(amount, start[part], cal_stop[part])
        holdout_spend[part] = _range_sums(amount, cal_stop[part], stop[part])
    else:
        orders, last = days_total, day[stop - 1]
    first_spend = amount[start]
    several = first_stop - start > 1  # several orders on the first day: sum them
    first_spend[several] = _range_sums(amount, start[several], first_stop[several])
    x = orders - 1
    cols: dict[str, object] = {
        "customer_id": customer_ids(frame, start, ids),
        "orders": orders.astype(np.int64),
        "spend": spend,
        "x": x.astype(np.int64),
        "t_x": (last - first) / 7.0,
        "T": (cal_end - first) / 7.0,
        "m": np.where(x > 0, (spend - first_spend) / np.maximum(x, 1), 0.0),
        "first_day": first.astype(np.int32),
        "last_day": last.astype(np.int32),
    }
    if not holdout:
        return pl.DataFrame(cols)
    cols["holdout_x"] = (days_total - orders).astype(np.int64)
    cols["holdout_spend"] = holdout_spend
    return pl.DataFrame(cols).filter(pl.col("orders") > 0)


def _range_sums(values: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Σ values[lo_i:hi_i] for each i (0 for empty ranges) with one ``reduceat``."""
    if len(lo) == 0:
        return np.zeros(0)
    idx = np.empty(2 * len(lo), dtype=np.int64)
    idx[0::2], idx[1::2] = lo, hi
    sums = np.add.reduceat(np.append(values, 0.0), idx)[0::2]
    return np.where(hi > lo, sums, 0.0)


def _summarise_every_order(lf: pl.LazyFrame, as_of: date | datetime | str | None) -> pl.DataFrame:
    week_us = 7 * 24 * 3600 * 1_000_000
    if as_of is None:
        as_of = lf.select(pl.col("ordered_at").max()).collect().item()
    end = (_day(as_of) + 1) * 86_400_000_000 / week_us  # end of the as-of day, in weeks
    t = pl.col("ordered_at").dt.epoch("us").cast(pl.Float64) / week_us
    out = (
        lf.with_columns(t=t)
        .filter(pl.col("t") < end)
        .group_by("customer_id")
        .agg(
            orders=pl.len().cast(pl.Int64),
            spend=pl.col("amount").sum(),
            first=pl.col("t").min(),
            last=pl.col("t").max(),
            first_spend=pl.col("amount").sort_by("t").first(),
        )
        .with_columns(x=pl.col("orders") - 1)
        .with_columns(
            t_x=pl.col("last") - pl.col("first"),
            T=end - pl.col("first"),
            m=pl.when(pl.col("x") > 0)
            .then((pl.col("spend") - pl.col("first_spend")) / pl.col("x"))
            .otherwise(0.0),
            first_day=(pl.col("first") * 7).floor().cast(pl.Int32),
            last_day=(pl.col("last") * 7).floor().cast(pl.Int32),
        )
    )
    return out.select(SUMMARY_COLUMNS).sort("customer_id").collect()


def _schema(holdout: bool) -> dict[str, pl.DataType]:
    types = (pl.Utf8(), pl.Int64(), pl.Float64(), pl.Int64(), *[pl.Float64()] * 3, pl.Int32())
    schema: dict[str, pl.DataType] = dict(zip(SUMMARY_COLUMNS, (*types, pl.Int32()), strict=True))
    if holdout:
        schema |= {"holdout_x": pl.Int64(), "holdout_spend": pl.Float64()}
    return schema


def day_to_date(day: int) -> date:
    """Inverse of the day numbers used here."""
    return date.fromordinal(date(1970, 1, 1).toordinal() + int(day))


def epoch_day(d: date) -> int:
    """Days since 1970-01-01, as the summaries count them."""
    return (d - day_to_date(0)).days


def cdnow_orders(path: str) -> pl.DataFrame:
    """Read a CDNOW text file (sample: 5 columns, no header; master: 4 with a header) as orders."""
    with open(path, encoding="ascii") as fh:
        tokens = fh.read().split()
    if tokens[0].isdigit():  # sample: master id, sample id, date, cds, value
        cust, day, amount = tokens[1::5], tokens[2::5], tokens[4::5]
    else:  # master: header customer_id date number_of_cds dollar_value
        body = tokens[4:]
        cust, day, amount = body[0::4], body[1::4], body[3::4]
    return pl.DataFrame({"customer_id": cust, "d": day, "amount": amount}).select(
        "customer_id",
        ordered_at=pl.col("d").str.strptime(pl.Date, "%Y%m%d").cast(pl.Datetime("us", "UTC")),
        amount=pl.col("amount").cast(pl.Float64),
    )


@dataclass
class ShopDays:
    """What the pipeline needs beyond the summary, from the same sorted pass over the orders:
    every customer's first-to-second purchase gap (weeks) and the outlier purchase days."""

    second_gaps: np.ndarray
    outliers: pl.DataFrame
    # with a holdout: ``summarise(orders, as_of, holdout_weeks)``, from the same sorted orders
    calibration: pl.DataFrame | None = None
    # and the calibration customers' purchase days in each holdout week (``validate._weekly``)
    holdout_weekly: np.ndarray | None = None


def summarise_shop(
    orders: pl.DataFrame | pl.LazyFrame,
    as_of: date | datetime | str,
    holdout_weeks: int | None = None,
    ids: pl.Series | None = None,
) -> tuple[pl.DataFrame, ShopDays]:
    """``summarise(orders, as_of)`` and its ``ShopDays`` (with ``holdout_weeks``, the
    calibration summary too), sorting the orders once: at a million customers a second sort
    or group-by costs as much as the summary itself (~2.4 s CPU). ``ids``: the sorted ids the
    orders' ``customer_code`` numbers (``store.reads.coded_purchases``): sorted by code."""
    end = _day(as_of)
    if ids is not None and isinstance(orders, pl.DataFrame) and CODE in orders.columns:
        frame = sorted_codes(orders, end)
    else:
        frame, ids = _sorted_days(orders.lazy(), end), None
    starts = _new_customers(frame)
    days = _shop_days(frame, starts, ids)
    if holdout_weeks:
        days.calibration = _reduce_sorted(frame, end - 7 * holdout_weeks, True, starts, ids)
        days.holdout_weekly = _holdout_weekly(frame, starts, end - 7 * holdout_weeks, end)
    return _reduce_sorted(frame, end, False, starts, ids), days


def _holdout_weekly(frame: pl.DataFrame, starts: np.ndarray, cal_end: int, end: int) -> np.ndarray:
    """Purchase days in each week of (cal_end, end] of the customers who bought by cal_end,
    from the sorted frame: what ``validate._weekly`` counted with a group-by and a join of
    text ids over the window's orders (~1 s CPU at a million customers)."""
    day = frame["day"].to_numpy()
    new_day = starts.copy()
    new_day[1:] |= day[1:] != day[:-1]
    first = day[np.flatnonzero(starts)][np.cumsum(starts) - 1]  # each row's customer's first day
    counted = day[new_day & (first <= cal_end) & (day > cal_end)]
    return np.bincount((counted - cal_end - 1) // 7, minlength=(end - cal_end) // 7)


def second_purchase_gaps(orders: pl.DataFrame | pl.LazyFrame, until: int) -> np.ndarray:
    """Weeks from the first to the second purchase day of every customer who made one by day
    ``until`` (days since epoch): the shop's own "time to come back", for the risk rule."""
    return _shop_days(_sorted_days(orders.lazy(), until)).second_gaps


# --- outlier orders ------------------------------------------------------------------------
OUTLIER_FACTOR = 10.0  # × the customer's median of their other purchase days
OUTLIER_SHOP_QUANTILE = 0.999  # and above the shop's 99.9th percentile of purchase days
OUTLIER_RULE = (
    "an order (all of one customer's orders on one day) is an outlier when it is more than "
    f"{OUTLIER_FACTOR:g} × the median of that customer's other order days and above the shop's "
    f"{OUTLIER_SHOP_QUANTILE:.1%} percentile; for the spend model it counts at that threshold "
    "(the stored spend and orders stay as they were)"
)


def outlier_orders(orders: pl.DataFrame | pl.LazyFrame, until: int) -> pl.DataFrame:
    """Purchase days far outside both the customer's own and the shop's usual size.

    Why both: a wholesale buyer whose orders are all large is not an outlier (their own median
    is large, and Gamma-Gamma handles their mean), and a small shop's biggest order is not one
    just because it is the biggest. Customers with a single purchase day have no "other orders"
    to compare with and are never flagged (their one order does not enter the spend model,
    which uses repeat purchases only).

    Columns: customer_id, day, amount, threshold (the cap used for the spend model).
    """
    return _shop_days(_sorted_days(orders.lazy(), until)).outliers


def _shop_days(
    frame: pl.DataFrame, new_customer: np.ndarray | None = None, ids: pl.Series | None = None
) -> ShopDays:
    """Second-purchase gaps and outlier days of a frame sorted by (customer, day).

    Purchase-day sums are segment sums of the sorted orders; only days above the shop quantile
    (≤ 0.1 % of them) are candidates, so the leave-one-out medians are computed for few
    customers, one small slice each.
    """
    schema: dict[str, type[pl.DataType]] = {
        "day": pl.Int32, "amount": pl.Float64, "threshold": pl.Float64
    }  # fmt: skip
    if frame.height == 0:
        return ShopDays(np.zeros(0), pl.DataFrame(schema={"customer_id": pl.Utf8, **schema}))
    day = frame["day"].to_numpy()
    if new_customer is None:
        new_customer = _new_customers(frame)
    new_day = new_customer.copy()
    new_day[1:] |= day[1:] != day[:-1]
    day_rows = np.flatnonzero(new_day)
    day_sum = np.add.reduceat(frame["amount"].to_numpy(), day_rows)
    day_of = day[day_rows]
    first = np.flatnonzero(new_customer[day_rows])  # each customer's first purchase day
    n_days = np.diff(np.append(first, len(day_rows)))
    two = first[n_days >= 2]
    gaps = (day_of[two + 1] - day_of[two]).astype(float) / 7.0

    shop_q = float(np.quantile(day_sum, OUTLIER_SHOP_QUANTILE))
    owner = np.cumsum(new_customer[day_rows]) - 1  # customer number of each purchase day
    rows: list[tuple[int, int, float, float]] = []  # (row of the frame, day, amount, cap)
    for c in outlier_candidates(day_sum, shop_q, owner, first, n_days, OUTLIER_FACTOR):
        k = owner[c]
        seg = day_sum[first[k] : first[k] + n_days[k]]
        others = np.delete(seg, c - first[k])
        threshold = max(OUTLIER_FACTOR * float(np.median(others)), shop_q)
        if day_sum[c] > threshold:
            rows.append((int(day_rows[c]), int(day_of[c]), float(day_sum[c]), threshold))
    found = pl.DataFrame(rows, schema={"row": pl.Int64, **schema}, orient="row")
    outliers = found.select(customer_ids(frame, found["row"].to_numpy(), ids), *schema)
    return ShopDays(gaps, outliers)


def capped_spend(
    summary: pl.DataFrame, outliers: pl.DataFrame, cal_end: int
) -> tuple[np.ndarray, dict[str, float | int]]:
    """The summary's ``m`` with outlier repeat purchases counted at their threshold, and counts
    for the report (only days inside the summary's window, first_day < day ≤ cal_end, count)."""
    m = summary["m"].to_numpy().astype(float)
    total = float(summary["spend"].sum()) if summary.height else 0.0
    inside = outliers.join(
        summary.select("customer_id", "first_day", "x"), on="customer_id", how="inner"
    ).filter(pl.col("day") <= cal_end)
    repeat = inside.filter(pl.col("day") > pl.col("first_day"))
    excess = repeat.group_by("customer_id").agg(
        excess=(pl.col("amount") - pl.col("threshold")).sum()
    )
    if excess.height:
        joined = summary.select("customer_id", "x").join(
            excess, on="customer_id", how="left", maintain_order="left"
        )
        cut = joined["excess"].fill_null(0.0).to_numpy()
        x = joined["x"].to_numpy().astype(float)
        m = np.where(x > 0, m - cut / np.maximum(x, 1.0), m)
    flagged = float(inside["amount"].sum()) if inside.height else 0.0
    doc = {
        "orders": int(inside.height),
        "customers": int(inside["customer_id"].n_unique()) if inside.height else 0,
        "revenue_share": flagged / total if total > 0 else 0.0,
    }
    return m, doc
