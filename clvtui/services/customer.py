"""The customer-detail job: one customer's history, scores and model paths, for any face.

Why a service: the Customer screen read the store, converted amounts and rebuilt the model's
expectations itself; here the reading is the store's, the maths ``model.paths``', and the
screen (or a command) only presents the result.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import polars as pl
import sqlite_utils

from clvtui.core.money import minor_exponent
from clvtui.model.paths import Path, alive_path, expected_orders_path
from clvtui.report import RunReport
from clvtui.store.identity import customer_identity
from clvtui.store.runs import customer_orders, latest_run, ranked_customers

WEEKS_AHEAD = 52  # the expected-orders path: a year after as-of, week by week
EPOCH = date(1970, 1, 1)


@dataclass
class CustomerDetail:
    """Everything the detail view shows about one customer, as of the latest run."""

    customer_id: str
    identity: dict[str, object] | None
    orders: pl.DataFrame  # every order, oldest first, ``amount`` in major units net of refunds
    report: RunReport | None  # the latest run's (None before the first fit)
    score: dict[str, Any] | None  # the customer's row of that run's ranking
    alive: Path | None  # P(alive) week by week since the first purchase, to as-of
    expected_orders: Path | None  # cumulative expected repeat orders, week by week after as-of
    costs: dict[str, Any] | None = None  # cost to serve (services.costs), when exports carry it


def customer_detail(
    db: sqlite_utils.Database,
    customer_id: str,
    *,
    ranking: pl.DataFrame | None = None,
    weeks_ahead: int = WEEKS_AHEAD,
) -> CustomerDetail:
    """One customer as of the latest run. ``ranking``: the run's ranked customers if the
    caller already holds them (the TUI's shared frame), else they are read from the store."""
    identity = customer_identity(db, customer_id)
    orders = with_amounts(customer_orders(db, customer_id))
    run = latest_run(db)
    if run is None:
        return CustomerDetail(customer_id, identity, orders, None, None, None, None)
    report = RunReport.from_run(run)
    if ranking is None:
        ranking = ranked_customers(db, int(run["id"]))
    found = ranking.filter(pl.col("customer_id") == customer_id)
    score = found.row(0, named=True) if found.height else None
    params = report.purchase_model.params if report.purchase_model else {}
    as_of = _epoch_day(report.scored_as_of)
    days = purchase_days(orders, report.currency)
    alive = alive_path(report.model, params, days, as_of) if as_of is not None else None
    ahead = None
    if score is not None and all(score.get(k) is not None for k in ("x", "t_x", "T")):
        x, t_x, T = (float(score[k]) for k in ("x", "t_x", "T"))
        ahead = expected_orders_path(report.model, params, x, t_x, T, weeks_ahead)
    costs = _costs(db, customer_id, report.currency)
    return CustomerDetail(customer_id, identity, orders, report, score, alive, ahead, costs)


def _costs(db: sqlite_utils.Database, customer_id: str, currency: str | None) -> Any:
    """The customer's cost to serve with today's settings (None without cost columns)."""
    from clvtui.services.costs import customer_cost_line
    from clvtui.store.saved_settings import load_settings

    if not currency:
        return None
    return customer_cost_line(db, customer_id, currency, load_settings(db))


def with_amounts(orders: pl.DataFrame) -> pl.DataFrame:
    """The orders with ``amount``: minor units net of refunds, in the currency's major units."""
    amounts = [
        None if minor is None else (minor - (refunded or 0)) / 10 ** minor_exponent(currency)
        for minor, refunded, currency in zip(
            orders["amount_minor"], orders["refunded_minor"], orders["currency"], strict=True
        )
    ]
    return orders.with_columns(pl.Series("amount", amounts, dtype=pl.Float64))


def purchase_days(orders: pl.DataFrame, currency: str | None) -> list[float]:
    """The distinct days (since the epoch) on which the customer bought in the run's currency:
    what the model counted (purchases only, one per day)."""
    when = orders.filter(pl.col("is_purchase") == 1)
    if currency:
        when = when.filter(pl.col("currency") == currency)
    days = {_epoch_day(t) for t in when["ordered_at"].to_list()}
    return sorted(d for d in days if d is not None)


def _epoch_day(value: object) -> float | None:
    """Days since 1970-01-01 of an ISO date or timestamp (the day as written, no zone shift)."""
    if value is None:
        return None
    try:
        return float((date.fromisoformat(str(value)[:10]) - EPOCH).days)
    except ValueError:
        return None
