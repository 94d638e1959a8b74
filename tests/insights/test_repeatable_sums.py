"""The per-group float sums and means a user reads come out the same, to the last bit, on every
call: they were polars group-by sums and means, whose threads' partial sums add in any order
(400 k rows and nine calls gave two or three bit patterns). Each now adds in row order
(``core.group_sums.sums_by``); each test also checks one figure against a plain sum."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import polars as pl

from clvtui.settings import Settings

N = 400_000
CALLS = 9
CHANNELS = ["email", "paid social", "organic search", "referral", "(none)"]


def _once(call: Callable[[], Any]) -> Any:
    """``call()``'s answer, after checking that eight more calls give the same bits."""
    first = call()
    for _ in range(CALLS - 1):
        again = call()
        same = again.equals(first) if isinstance(first, pl.DataFrame) else again == first
        assert same
    return first


def _close(got: float, want: float) -> None:
    assert abs(got / want - 1) < 1e-12, (got, want)


def test_actual_cac_is_the_same_every_time() -> None:
    from clvtui.insights.acquisition import actual_cac

    rng = np.random.default_rng(2)
    months = [f"2025-{m:02d}" for m in range(1, 13)]
    cohorts = pl.DataFrame({
        "month": rng.choice(months, N), "channel": rng.choice(CHANNELS, N),
        "new_customers": rng.integers(1, 5, N), "clv_total": rng.lognormal(4.0, 2.0, N),
    })  # fmt: skip
    spend = pl.DataFrame({
        "month": rng.choice(months, N), "channel": rng.choice(CHANNELS, N),
        "amount_minor": rng.integers(100, 100_000, N), "currency": ["USD"] * N,
    })  # fmt: skip
    table = _once(lambda: actual_cac(spend, cohorts, 2))
    got = table.filter((pl.col("month") == "2025-03") & (pl.col("channel") == "(all)"))
    mine = cohorts.filter(pl.col("month") == "2025-03")
    assert got["new_customers"][0] == mine["new_customers"].sum()
    _close(
        got["clv_mean"][0], float(np.sum(mine["clv_total"].to_numpy())) / got["new_customers"][0]
    )


def test_the_channels_cac_is_the_same_every_time() -> None:
    from clvtui.insights.channels import channel_cac

    rng = np.random.default_rng(3)
    rows = pl.DataFrame({
        "month": ["2025-01"] * N, "channel": rng.choice(CHANNELS, N),
        "spend": rng.lognormal(5.0, 1.0, N), "new_customers": rng.integers(1, 9, N),
    })  # fmt: skip
    cac = _once(lambda: channel_cac(rows))
    email = rows.filter(pl.col("channel") == "email")
    got = cac.filter(pl.col("key") == "email")
    assert got["new_customers"][0] == email["new_customers"].sum()
    _close(got["spend"][0], float(np.sum(email["spend"].to_numpy())))


def test_a_tiers_next_products_mean_lift_is_the_same_every_time() -> None:
    from clvtui.services.products import next_product_counts

    rng = np.random.default_rng(8)
    products = [f"product {i}" for i in range(30)]
    best = pl.DataFrame(
        {"next_product": rng.choice(products, N), "lift": rng.lognormal(0.5, 0.5, N)}
    )
    counts = _once(lambda: next_product_counts(best, 10))
    top = counts["next_product"][0]
    mine = best.filter(pl.col("next_product") == top)
    assert counts.height == 10 and counts["customers"][0] == mine.height
    _close(counts["mean_lift"][0], float(np.mean(mine["lift"].to_numpy())))


def test_the_cohorts_spend_per_month_is_the_same_every_time() -> None:
    from clvtui.insights.cohorts import _acquisition_cost

    rng = np.random.default_rng(5)
    month = 2025 * 12  # January 2025 as the cohort number of a monthly table
    sizes = pl.DataFrame({
        "group": CHANNELS, "cohort": [month] * 5, "customers": [40, 30, 20, 10, 5],
    })  # fmt: skip
    spend = pl.DataFrame({
        "month": ["2025-01"] * N, "channel": rng.choice(CHANNELS, N),
        "spend": rng.lognormal(3.0, 1.5, N),
    })  # fmt: skip
    settings = Settings.from_mapping({"acquisition_cost": 25.0})
    cac = _once(lambda: _acquisition_cost(sizes, "month", "channel", spend, settings)[0])
    email = spend.filter(pl.col("channel") == "email")
    _close(
        cac.filter(pl.col("group") == "email")["cac"][0],
        float(np.sum(email["spend"].to_numpy())) / 40,
    )


def test_the_tier_trend_is_the_same_every_time() -> None:
    from clvtui.insights.segments import TIERS
    from clvtui.insights.trends import tier_trend

    rng = np.random.default_rng(7)
    segments = pl.DataFrame({
        "run_id": rng.integers(1, 4, N), "created_at": ["2026-01-01"] * N,
        "as_of": ["2025-12-31"] * N, "value_kind": ["net"] * N, "customer_equity": [1.0] * N,
        "tier": rng.choice(list(TIERS), N), "risk": rng.choice(["active", "at risk"], N),
        "customers": rng.integers(1, 50, N), "clv_total": rng.lognormal(4.0, 2.0, N),
    })  # fmt: skip
    trend = _once(lambda: tier_trend(segments))
    cell = segments.filter((pl.col("run_id") == 2) & (pl.col("tier") == TIERS[0]))
    got = trend.filter((pl.col("run_id") == 2) & (pl.col("tier") == TIERS[0]))
    assert got["customers"][0] == cell["customers"].sum()
    _close(got["clv_total"][0], float(np.sum(cell["clv_total"].to_numpy())))
