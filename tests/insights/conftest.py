"""Shared fixtures: the CDNOW sample scored with the published BG/NBD + Gamma-Gamma parameters.

The scores are built here from the raw transaction file (not by the model package), so the
insights tests do not depend on the fitting code and their expected values stay independent.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from scipy.special import hyp2f1

from clvtui.settings import Settings

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "cdnow"
CAL_END = dt.date(1997, 9, 30)
R, ALPHA, A, B = 0.2426, 4.4135, 0.7929, 2.4258
P, Q, GAMMA = 6.25, 3.74, 15.44
WEEKS_PER_MONTH = 365.25 / 12 / 7
# The stated economics of the CDNOW tests: 30 % margin, 1.00 handling cost per order.
CDNOW_SETTINGS = Settings(margin=0.30, cost_per_order=1.0, annual_discount_rate=0.10)


def cdnow_summary() -> pl.DataFrame:
    """Per sample customer: orders (purchase days), spend, x, t_x, T (weeks), m — calibration."""
    rows = []
    for line in (FIXTURES / "CDNOW_sample.txt").read_text().splitlines():
        parts = line.split()
        if not parts:
            continue
        day = dt.datetime.strptime(parts[2], "%Y%m%d").date()
        if day <= CAL_END:
            rows.append((parts[1].lstrip("0"), day, float(parts[4])))
    tx = pl.DataFrame(rows, schema=["customer_id", "day", "amount"], orient="row")
    days = tx.group_by("customer_id", "day").agg(pl.col("amount").sum()).sort("customer_id", "day")
    return (
        days.group_by("customer_id", maintain_order=True)
        .agg(
            pl.len().alias("orders"),
            pl.col("amount").sum().alias("spend"),
            pl.col("day").min().alias("first"),
            pl.col("day").max().alias("last"),
            pl.col("amount").slice(1).mean().fill_null(0.0).alias("monetary"),
        )
        .with_columns(
            (pl.col("orders") - 1).alias("x"),
            ((pl.col("last") - pl.col("first")).dt.total_days() / 7.0).alias("t_x"),
            ((pl.lit(CAL_END) - pl.col("first")).dt.total_days() / 7.0).alias("T"),
        )
    )


def bgnbd_expected(t: float, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """E[X(t) | x, t_x, T] for BG/NBD (Fader, Hardie & Lee 2005, eq. 10)."""
    if t == 0:
        return np.zeros_like(T)
    z = t / (ALPHA + T + t)
    head = (A + B + x - 1) / (A - 1)
    bracket = 1 - ((ALPHA + T) / (ALPHA + T + t)) ** (R + x) * hyp2f1(
        R + x, B + x, A + B + x - 1, z
    )
    return head * bracket * p_alive(x, t_x, T)


def p_alive(x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    odds = np.where(x > 0, A / (B + x - 1) * ((ALPHA + T) / (ALPHA + t_x)) ** (R + x), 0.0)
    return 1.0 / (1.0 + odds)


def score_cdnow(settings: Settings) -> pl.DataFrame:
    """A scores frame (columns of the ``scores`` table) for the CDNOW sample."""
    s = cdnow_summary()
    x, t_x, T, m = (s[c].to_numpy().astype(float) for c in ("x", "t_x", "T", "monetary"))
    em = np.where(x > 0, (GAMMA + x * m) * P / (P * x + Q - 1), GAMMA * P / (Q - 1))
    d = settings.monthly_discount_rate
    unit = em if settings.margin is None else settings.margin * em - settings.cost_per_order
    prev = np.zeros_like(T)
    disc = np.zeros_like(T)
    for k in range(1, settings.horizon_months + 1):
        cur = bgnbd_expected(k * WEEKS_PER_MONTH, x, t_x, T)
        disc += (cur - prev) / (1 + d) ** k
        prev = cur
    clv = unit * disc
    pa = p_alive(x, t_x, T)
    return s.select("customer_id", "orders", "spend", "x", "t_x", "T", "monetary").with_columns(
        pl.Series("p_alive", pa),
        pl.Series("expected_orders", prev),
        pl.Series("expected_spend", em),
        pl.Series("clv", clv),
        pl.Series("clv_low", clv * 0.8),
        pl.Series("clv_high", clv * 1.2),
        pl.Series("next_order_low", np.where(pa > 0.3, 2.0, np.nan)).fill_nan(None),
        pl.Series("next_order_high", np.where(pa > 0.3, 20.0, np.nan)).fill_nan(None),
        pl.Series("discounted_orders", disc),
    )


@pytest.fixture(scope="session")
def cdnow_scores() -> pl.DataFrame:
    return score_cdnow(CDNOW_SETTINGS)
