"""Cohort value: what a customer acquired in a month is worth, month by month since — past and
future (``clvtui cohorts``, the Cohorts screen).

Rows are acquisition periods (the month of a customer's first order; the week for a shop with
under ~6 months of orders), columns periods since the first order. Each cell is the cumulative
value per acquired customer on the run's basis — net (margin × amount − cost per order) when a
margin is set, else revenue — undiscounted, because it is money counted as it arrives:

- **actual** cells: the orders up to the as-of date, exactly (same-day orders each count, the
  first order is in period 0);
- **expected** cells: the actual value to as-of plus the model's expected value of the
  cohort's customers from as-of to the end of the period, up to the run's horizon. Summed over a
  cohort, the expected value at the horizon is Σ expected_orders × value per order of its
  customers — the run's own scores (``insights.forecast`` says how the path is shaped). The
  period holding the as-of date is expected unless as-of is its last day.

The 90 % band of an expected cell combines the parameter band of the run's customers (Σ CLV low
and high over the cohort ÷ Σ CLV, applied to the expected part) with the Poisson-gamma process
noise of that many customers (``forecast.variance_factor``), in quadrature.

The acquisition cost per customer is the imported marketing spend of the cohort's month (per
channel with ``--by channel``) ÷ the month's new customers, else the ``acquisition_cost``
setting; the payback period is the first whose cumulative value reaches it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from clvtui.core.group_sums import sums_by
from clvtui.core.normal import Z90
from clvtui.insights.cohort_sums import (
    CustomerCodes,
    actual_cumulative,
    code_cohorts,
    expected_sums,
)
from clvtui.insights.forecast import WEEKS_PER_MONTH
from clvtui.settings import Settings

WEEKLY_BELOW_DAYS = 183  # a shop younger than ~6 months gets weekly cohorts
EPOCH_MONDAY = dt.date(1970, 1, 5)
BY_CHOICES = ("channel", "first_product", "discount_code", "country")
KEY = ["group", "cohort"]


@dataclass
class CohortTable:
    """The cohort rows (one per group × acquisition period) and their cells (long format)."""

    unit: str  # "month" | "week"
    by: str | None
    value_kind: str
    as_of: dt.date
    rows: pl.DataFrame  # group, cohort, label, customers, cac, cac_source, payback, horizon…
    cells: pl.DataFrame  # group, cohort, offset, kind, value, low, high (per acquired customer)
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The ``clvtui cohorts --json`` document: a row per cohort with its cells."""
        parts = self.cells.partition_by(KEY, as_dict=True, maintain_order=True)
        cols = ["offset", "kind", "value", "low", "high"]
        rows = []
        for r in self.rows.to_dicts():
            cells = parts.get((r["group"], r["cohort"]))
            listed = [] if cells is None else cells.sort("offset").select(cols).to_dicts()
            rows.append({k: v for k, v in r.items() if k != "cohort"} | {"cells": listed})
        return {
            "unit": self.unit, "by": self.by, "value_kind": self.value_kind,
            "as_of": self.as_of.isoformat(), "cohorts": rows, "notes": self.notes,
        }  # fmt: skip


def choose_unit(first_orders: pl.Series, as_of: dt.date) -> str:
    """Weeks for a shop whose first customer is under ~6 months old, else months."""
    earliest = first_orders.min()
    if earliest is None:
        return "month"
    assert isinstance(earliest, dt.datetime | dt.date)
    day = earliest.date() if isinstance(earliest, dt.datetime) else earliest
    return "week" if (as_of - day).days < WEEKLY_BELOW_DAYS else "month"


def period_expr(col: str, unit: str) -> pl.Expr:
    """A calendar period number (months or Monday-weeks) of a datetime/date column."""
    if unit == "month":
        return pl.col(col).dt.year().cast(pl.Int64) * 12 + pl.col(col).dt.month().cast(pl.Int64) - 1
    days = (pl.col(col).cast(pl.Date) - pl.lit(EPOCH_MONDAY)).dt.total_days()
    return days.floordiv(7).cast(pl.Int64)


def order_periods(ordered_at: pl.Series, unit: str) -> np.ndarray:
    """Each order's :func:`period_expr`: in numpy from the days since 1970 for a date column
    without gaps (2.9 M orders: ~10× faster than polars' year and month of each)."""
    if ordered_at.dtype == pl.Date and not ordered_at.null_count():
        days = ordered_at.to_physical().to_numpy()  # int32: 4 bytes an order, as the periods
        if unit == "month" and days.size:  # a table of the few days spanned, then a gather
            first = int(days.min())
            span = np.arange(first, int(days.max()) + 1).astype("datetime64[D]")
            months = span.astype("datetime64[M]").astype(np.int32) + 1970 * 12
            return months[days - first]
        if unit == "month":
            return days
        return (days - (EPOCH_MONDAY - dt.date(1970, 1, 1)).days) // 7
    return ordered_at.to_frame().select(period_expr(ordered_at.name, unit)).to_series().to_numpy()


def period_of(day: dt.date, unit: str) -> int:
    if unit == "month":
        return day.year * 12 + day.month - 1
    return (day - EPOCH_MONDAY).days // 7


def period_end(period: int, unit: str) -> dt.date:
    """The last day of a period."""
    if unit == "week":
        return EPOCH_MONDAY + dt.timedelta(days=7 * period + 6)
    nxt = period + 1
    return dt.date(nxt // 12, nxt % 12 + 1, 1) - dt.timedelta(days=1)


def period_label(period: int, unit: str) -> str:
    if unit == "month":
        return f"{period // 12}-{period % 12 + 1:02d}"
    year, week, _ = (EPOCH_MONDAY + dt.timedelta(days=7 * period)).isocalendar()
    return f"{year}-W{week:02d}"


def order_value_expr(settings: Settings, amount: str = "amount") -> pl.Expr:
    """Value of one order on the run's basis (net or revenue)."""
    if settings.margin is None:
        return pl.col(amount)
    return settings.margin * pl.col(amount) - settings.cost_per_order


def horizon_times(as_of: dt.date, unit: str, horizon_months: int) -> list[float]:
    """Weeks from as-of to the end of the as-of period and each later one, capped at the
    horizon (the list stops at the period that reaches it)."""
    limit = horizon_months * WEEKS_PER_MONTH
    start = period_of(as_of, unit)
    out: list[float] = []
    j = 0
    while True:
        t = min((period_end(start + j, unit) - as_of).days / 7.0, limit)
        out.append(t)
        if t >= limit:
            return out
        j += 1


def cohort_table(
    orders: pl.DataFrame,
    scored: pl.DataFrame,
    settings: Settings,
    as_of: dt.date,
    model: str,
    params: dict[str, float | None],
    *,
    groups: pl.DataFrame | None = None,
    by: str | None = None,
    spend: pl.DataFrame | None = None,
    unit: str | None = None,
    codes: CustomerCodes | None = None,
) -> CohortTable:
    """The cohort table of a run.

    ``orders``: customer_id, ordered_at (UTC datetime), amount — the run's purchases up to
    as-of. ``scored``: customer_id, x, T, p_alive, expected_orders, expected_spend, clv,
    clv_low, clv_high. ``groups``: customer_id, group (the ``--by`` attribute). ``spend``:
    month (YYYY-MM), channel, spend (major units, the run's currency). ``settings``: the run's
    economics with today's acquisition cost. ``codes``: ``cohort_sums.customer_codes`` of
    these orders and scores, when already made.
    """
    unit = unit or choose_unit(orders["ordered_at"], as_of)
    last = period_of(as_of, unit)
    period = order_periods(orders["ordered_at"], unit)
    coded = code_cohorts(orders, period, scored, groups, codes)
    del period  # the orders' offsets hold what it said
    sizes = coded.keys
    value = orders.select(order_value_expr(settings).cast(pl.Float64)).to_series().to_numpy()
    cum = actual_cumulative(coded, value, last)
    times = horizon_times(as_of, unit, settings.horizon_months)
    per_order = scored.select(order_value_expr(settings, "expected_spend").cast(pl.Float64))
    expected = expected_sums(scored, coded, per_order.to_series().to_numpy(), times,
                             settings.horizon_months, model, params)  # fmt: skip
    cells = _cells(sizes, cum, expected, last, times[0] <= 0.0)
    cac, notes = _acquisition_cost(sizes, unit, by, spend, settings)
    rows = _rows(sizes, cells, cac, unit)
    if settings.margin is None:
        notes.append("values are revenue (no margin set): set a margin for net value")
    return CohortTable(unit, by, settings.value_kind, as_of, rows, cells, notes)


def _cells(
    sizes: pl.DataFrame, cum: pl.DataFrame, expected: pl.DataFrame, last: int, closed: bool
) -> pl.DataFrame:
    """Actual cells to as-of, then expected cells to the horizon, per acquired customer.
    ``closed``: as-of is the last day of its period (that period is actual)."""
    n = pl.col("customers")
    here = pl.lit(last) - pl.col("cohort")
    base = cum.filter(pl.col("offset") == here).select(*KEY, pl.col("actual").alias("base"))
    actual = (
        cum.filter((pl.col("offset") < here) | ((pl.col("offset") == here) & pl.lit(closed)))
        .join(sizes, on=KEY)
        .select(
            *KEY, "offset", pl.lit("actual").alias("kind"), (pl.col("actual") / n).alias("value")
        )
        .with_columns(pl.col("value").alias("low"), pl.col("value").alias("high"))
    )
    e = pl.col("expected")
    sd = Z90 * pl.col("variance").sqrt()
    down = ((e - e * pl.col("f_low")).pow(2) + sd.pow(2)).sqrt()
    up = ((e * pl.col("f_high") - e).pow(2) + sd.pow(2)).sqrt()
    future = (
        expected.filter(pl.col("step") > 0 if closed else pl.lit(True))
        .join(base, on=KEY)
        .join(sizes, on=KEY)
        .select(
            *KEY,
            (here + pl.col("step")).alias("offset"),
            pl.lit("expected").alias("kind"),
            ((pl.col("base") + e) / n).alias("value"),
            ((pl.col("base") + e - down) / n).alias("low"),
            ((pl.col("base") + e + up) / n).alias("high"),
        )
    )
    return (
        pl.concat([actual, future])
        .with_columns(pl.col("offset").cast(pl.Int64))
        .sort(*KEY, "offset")
    )


def _acquisition_cost(
    sizes: pl.DataFrame, unit: str, by: str | None, spend: pl.DataFrame | None, settings: Settings
) -> tuple[pl.DataFrame, list[str]]:
    """Per cohort: acquisition cost per customer and where it came from (the month's spend ÷
    the month's new customers; a weekly cohort takes its Monday's month)."""
    monday = pl.lit(EPOCH_MONDAY) + pl.duration(days=pl.col("cohort") * 7)
    month_no = (
        pl.col("cohort")
        if unit == "month"
        else monday.dt.year().cast(pl.Int64) * 12 + (monday.dt.month().cast(pl.Int64) - 1)
    )
    month = pl.format(
        "{}-{}", month_no.floordiv(12), (month_no % 12 + 1).cast(pl.Utf8).str.zfill(2)
    )
    norm = pl.col("gkey").fill_null("(none)").str.strip_chars().str.to_lowercase()
    keyed = sizes.with_columns(month.alias("month"), pl.col("group").alias("gkey")).with_columns(
        norm if by is not None else pl.lit("(all)").alias("gkey")
    )
    setting = settings.acquisition_cost if settings.acquisition_cost > 0 else None
    notes: list[str] = []
    if spend is None or not spend.height or by not in (None, "channel"):
        if spend is not None and spend.height:
            notes.append(f"marketing spend is per channel, not per {by}: the setting is used")
        return _fallback_cac(keyed, setting), notes
    s = spend.with_columns(pl.col("channel").alias("gkey")).with_columns(
        norm if by is not None else pl.lit("(all)").alias("gkey")
    )
    s = sums_by(s.select("month", "gkey", "spend"), ["month", "gkey"], ["spend"], count="_rows")
    new = keyed.group_by("month", "gkey").agg(pl.col("customers").sum().alias("month_new"))
    cost = s.join(new, on=["month", "gkey"]).select(
        "month", "gkey", (pl.col("spend") / pl.col("month_new")).alias("cac_spend")
    )
    out = keyed.join(cost, on=["month", "gkey"], how="left").with_columns(
        pl.col("cac_spend").fill_null(pl.lit(setting, dtype=pl.Float64)).alias("cac"),
        pl.when(pl.col("cac_spend").is_not_null())
        .then(pl.lit("spend"))
        .otherwise(pl.lit("setting" if setting is not None else None, dtype=pl.Utf8))
        .alias("cac_source"),
    )
    return out.select(*KEY, "cac", "cac_source"), notes


def _fallback_cac(keyed: pl.DataFrame, setting: float | None) -> pl.DataFrame:
    return keyed.select(
        *KEY,
        pl.lit(setting, dtype=pl.Float64).alias("cac"),
        pl.lit("setting" if setting is not None else None, dtype=pl.Utf8).alias("cac_source"),
    )


def _rows(sizes: pl.DataFrame, cells: pl.DataFrame, cac: pl.DataFrame, unit: str) -> pl.DataFrame:
    """One row per cohort: size, CAC, value to date and at the horizon, payback period."""
    with_cac = cells.join(cac, on=KEY, how="left")
    payback = (
        with_cac.filter(pl.col("cac").is_not_null() & (pl.col("value") >= pl.col("cac")))
        .group_by(KEY)
        .agg(pl.col("offset").min().alias("payback"))
    )
    actual = (
        cells.filter(pl.col("kind") == "actual")
        .group_by(KEY)
        .agg(pl.col("value").sort_by("offset").last().alias("value_to_date"))
    )
    end = (
        cells.group_by(KEY)
        .agg(
            pl.col("offset").max().alias("horizon_offset"),
            pl.col("value", "low", "high").sort_by("offset").last(),
        )
        .rename({"value": "horizon_value", "low": "horizon_low", "high": "horizon_high"})
    )
    labels = pl.Series([period_label(int(c), unit) for c in sizes["cohort"]], dtype=pl.Utf8)
    return (
        sizes.with_columns(labels.alias("label"))
        .join(cac, on=KEY, how="left")
        .join(actual, on=KEY, how="left")
        .join(end, on=KEY, how="left")
        .join(payback, on=KEY, how="left")
        .sort("group", "cohort")
    )
