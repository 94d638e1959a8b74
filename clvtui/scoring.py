"""Per-customer outputs of a fit, as the run stores them: P(order within 30/90 days), the
scores frame, and the spend model as reported.

Why apart from ``pipeline``: a fit from a warehouse summary (``summary_fit``) builds the same
outputs, and the pipeline module keeps to the order of the steps.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import polars as pl

from clvtui.model import clv, gammagamma, next_order
from clvtui.model.base import FittedModel
from clvtui.report import SpendFit


def p_order_30_90(
    name: str,
    theta: Any,
    x: np.ndarray,
    t_x: np.ndarray,
    T: np.ndarray,
    ahead: Callable[[float], float] | None = None,
    p_alive: np.ndarray | None = None,
) -> dict[int, np.ndarray]:
    """P(an order within 30 / 90 days) per customer (``ahead``: calendar weeks → model time;
    ``p_alive``: theirs, when the predictions have it already)."""
    weeks = [days / 7.0 for days in (30, 90)]
    if ahead is not None:
        weeks = [ahead(w) for w in weeks]
    p = next_order.p_orders_within(name, theta, x, t_x, T, weeks, p_alive)
    return dict(zip((30, 90), p, strict=True))


def spend_report(spend_fit: FittedModel | None, x: np.ndarray, m: np.ndarray) -> SpendFit | None:
    """The spend model as reported, with the frequency–spend correlation its assumption needs."""
    if spend_fit is None:
        return None
    rep = x > 0
    corr = (
        float(np.corrcoef(x[rep], m[rep])[0, 1])
        if rep.sum() > 2 and np.std(x[rep]) > 0 and np.std(m[rep]) > 0
        else None
    )
    return SpendFit.from_json(
        spend_fit.summary_dict()
        | {
            "frequency_spend_corr": corr,
            "population_mean": gammagamma.population_mean(spend_fit.theta),
        }
    )


def fit_scores(
    summary: pl.DataFrame, pred: clv.Predictions, p_order: dict[int, np.ndarray]
) -> pl.DataFrame:
    return summary.select(
        "customer_id", "orders", "spend", "x", "t_x", "T", monetary="m"
    ).with_columns(
        pl.Series("p_alive", pred.p_alive),
        pl.Series("expected_orders", pred.expected_orders),
        pl.Series("expected_spend", pred.expected_spend),
        pl.Series("clv", pred.clv),
        pl.Series("clv_low", pred.clv_low),
        pl.Series("clv_high", pred.clv_high),
        pl.Series("next_order_low", pred.next_order_low),
        pl.Series("next_order_high", pred.next_order_high),
        pl.Series("p_order_30", p_order[30]),
        pl.Series("p_order_90", p_order[90]),
    )
