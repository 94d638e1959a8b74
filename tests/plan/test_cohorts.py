"""Cohort value: actual cells are the orders to the cent; expected cells are the run's scores.

The small shop below is computed by hand (margin 50 %, 2.00 per order; as-of on a month end):

    A  2025-01-05 100, 2025-01-20 40, 2025-03-10 60   → net 48, 18, 28
    B  2025-01-31  50                                  → net 23
    C  2025-02-14  80, 2025-03-31 20                   → net 38, 8
    D  2025-03-01  10                                  → net 3

Cohort 2025-01 (A, B): month 0 = (48+18+23)/2 = 44.5, month 1 = 44.5, month 2 = 58.5.
Cohort 2025-02 (C): 38, 46. Cohort 2025-03 (D): 3.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from clvtui.insights.cohorts import choose_unit, cohort_table
from clvtui.settings import Settings

AS_OF = dt.date(2025, 3, 31)
SETTINGS = Settings(margin=0.5, cost_per_order=2.0, acquisition_cost=30.0)
PARAMS: dict[str, float | None] = {"r": 0.25, "alpha": 4.0, "a": 0.8, "b": 2.5}


def _orders() -> pl.DataFrame:
    rows = [
        ("A", "2025-01-05 10:00", 100.0), ("A", "2025-01-20 09:00", 40.0),
        ("A", "2025-03-10 12:00", 60.0), ("B", "2025-01-31 23:00", 50.0),
        ("C", "2025-02-14 08:00", 80.0), ("C", "2025-03-31 18:00", 20.0),
        ("D", "2025-03-01 07:00", 10.0),
    ]  # fmt: skip
    return pl.DataFrame(
        rows, schema=["customer_id", "ordered_at", "amount"], orient="row"
    ).with_columns(pl.col("ordered_at").str.strptime(pl.Datetime("us", "UTC"), "%Y-%m-%d %H:%M"))


def _scored() -> pl.DataFrame:
    frame = pl.DataFrame(
        {
            "customer_id": ["A", "B", "C", "D"],
            "x": [2, 0, 1, 0],
            "T": [85 / 7, 59 / 7, 45 / 7, 30 / 7],
            "p_alive": [0.9, 1.0, 0.8, 1.0],
            "expected_orders": [1.2, 0.3, 0.8, 0.5],
            "expected_spend": [50.0, 40.0, 45.0, 30.0],
        }
    )
    clv = pl.col("expected_orders") * (0.5 * pl.col("expected_spend") - 2.0)
    return frame.with_columns(
        clv.alias("clv"), (0.8 * clv).alias("clv_low"), (1.25 * clv).alias("clv_high")
    )


def _table(spend: pl.DataFrame | None = None):
    return cohort_table(
        _orders(), _scored(), SETTINGS, AS_OF, "bgnbd", PARAMS, unit="month", spend=spend
    )


def test_actual_cells_match_the_orders_exactly() -> None:
    cells = _table().cells.filter(pl.col("kind") == "actual")
    got = {(r["cohort"] % 12 + 1, r["offset"]): r["value"] for r in cells.to_dicts()}
    assert got == pytest.approx({(1, 0): 44.5, (1, 1): 44.5, (1, 2): 58.5, (2, 0): 38.0,
                                 (2, 1): 46.0, (3, 0): 3.0}, abs=1e-9)  # fmt: skip
    assert (cells["low"] == cells["value"]).all() and (cells["high"] == cells["value"]).all()


def test_the_horizon_cell_is_actual_plus_the_customers_stored_expectation() -> None:
    table = _table()
    scored = _scored().with_columns(
        (pl.col("expected_orders") * (0.5 * pl.col("expected_spend") - 2.0)).alias("future")
    )
    future = dict(zip(scored["customer_id"], scored["future"], strict=True))
    want = {1: (117.0 + future["A"] + future["B"]) / 2, 2: 46.0 + future["C"], 3: 3.0 + future["D"]}
    rows = {r["cohort"] % 12 + 1: r for r in table.rows.to_dicts()}
    for month, value in want.items():
        assert rows[month]["horizon_value"] == pytest.approx(value, rel=1e-12)
        # 12 months after the as-of month, which was closed (actual)
        assert rows[month]["horizon_offset"] == (3 - month) + 12
    expected = table.cells.filter(pl.col("kind") == "expected")
    assert expected.height == 3 * 12
    assert ((expected["low"] <= expected["value"]) & (expected["value"] <= expected["high"])).all()
    steps = expected.sort("cohort", "offset").group_by("cohort").agg(pl.col("value").diff().min())
    assert (steps["value"].drop_nulls() >= -1e-12).all()  # cumulative value never falls


def test_acquisition_cost_from_spend_else_the_setting_and_the_payback_month() -> None:
    spend = pl.DataFrame(
        {"month": ["2025-01", "2025-01"], "channel": ["Email", "ads"], "spend": [100.0, 60.0]}
    )
    rows = {r["cohort"] % 12 + 1: r for r in _table(spend).rows.to_dicts()}
    assert rows[1]["cac"] == pytest.approx(80.0) and rows[1]["cac_source"] == "spend"
    assert rows[2]["cac"] == pytest.approx(30.0) and rows[2]["cac_source"] == "setting"
    assert rows[2]["payback"] == 0  # 38 ≥ 30 in the first month
    assert rows[1]["payback"] is None or rows[1]["payback"] > 2  # 58.5 < 80 to date


def test_a_young_shop_gets_weekly_cohorts() -> None:
    assert choose_unit(_orders()["ordered_at"], AS_OF) == "week"
    assert choose_unit(_orders()["ordered_at"], dt.date(2025, 9, 1)) == "month"
    weekly = cohort_table(_orders(), _scored(), SETTINGS, AS_OF, "bgnbd", PARAMS)
    assert weekly.unit == "week"
    first = weekly.rows.sort("cohort").row(0, named=True)
    assert first["label"] == "2025-W01" and first["customers"] == 1  # A: Sunday 5 January


def test_a_fitted_cohort_sums_to_its_customers_scores(fitted: Path) -> None:
    """On a real fit: Σ over a cohort of expected value at the horizon = Σ expected orders ×
    (margin × expected spend − cost per order) of its customers, as stored."""
    from clvtui.services.cohorts import cohort_value, read_inputs
    from clvtui.store import open_db

    db = open_db(fitted, readonly=True)
    inputs = read_inputs(db)
    result = cohort_value(db, inputs=inputs)
    rows = result.table.rows
    firsts = inputs.orders.group_by("customer_id").agg(pl.col("ordered_at").min().alias("f"))
    per = inputs.scored.join(firsts, on="customer_id").with_columns(
        pl.col("f").dt.strftime("%Y-%m").alias("label"),
        (pl.col("expected_orders") * (0.4 * pl.col("expected_spend") - 3.0)).alias("future"),
    )
    future = per.group_by("label").agg(pl.col("future").sum(), pl.len().alias("n"))
    base = (
        result.table.cells.filter(pl.col("kind") == "actual")
        .group_by("cohort")
        .agg(pl.col("value").sort_by("offset").last().alias("to_date"))
    )
    check = rows.join(future, on="label").join(base, on="cohort")
    assert check.height == rows.height > 3
    assert (check["n"] == check["customers"]).all()
    got = (check["horizon_value"] - check["to_date"]) * check["customers"]
    assert got.to_list() == pytest.approx(check["future"].to_list(), rel=1e-9, abs=1e-6)
    assert result.to_json()["cohorts"][0]["cells"][-1]["kind"] == "expected"
