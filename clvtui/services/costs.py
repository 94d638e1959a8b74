"""Cost to serve (``clvtui costs``, a line in the customer detail): what orders cost the shop
beyond the goods, and the customers who cost more than they bring.

The numbers come from ``insights.cost_to_serve`` on the orders of one currency (default: the
one with the most purchases) up to the last order, with today's settings — the same per-order
costs the next fit charges each customer's future orders (``shop_costs``).
"""

from __future__ import annotations

from typing import Any

import polars as pl
import sqlite_utils

from clvtui.errors import NoDataError
from clvtui.insights import cost_to_serve as cts
from clvtui.settings import Settings

LIST_LIMIT = 20


def _currency(db: sqlite_utils.Database, currency: str | None) -> str:
    from clvtui.store.reads import currency_purchases

    counts = currency_purchases(db)
    if not counts:
        raise NoDataError("no purchases with a customer in the database; import orders first")
    if currency is None:
        return next(iter(counts))
    code = currency.strip().upper()
    if code not in counts:
        raise NoDataError(f"no purchases in {code}; the database holds {', '.join(counts)}")
    return code


def _held_currency(db: sqlite_utils.Database, currency: str | None) -> str | None:
    """The one currency of the live imports (from their log: no scan of the orders), when it
    is the one asked for; None when the shop holds several (or another is asked for)."""
    from clvtui.store.reads import held_currencies

    held = held_currencies(db)
    if len(held) != 1 or (currency is not None and currency.strip().upper() != held[0]):
        return None
    return held[0]


def cost_report(
    db: sqlite_utils.Database,
    currency: str | None = None,
    settings: Settings | None = None,
    limit: int = LIST_LIMIT,
) -> dict[str, Any]:
    """The ``clvtui costs --json`` document: the shop's cost per purchase by kind, its refund
    rate, and the customers who cost more than they bring (most negative first, with why)."""
    from clvtui.shop_costs import customer_costs, rules_of
    from clvtui.store.costs import has_cost_data
    from clvtui.store.saved_settings import load_settings

    settings = settings or load_settings(db)
    # first: its three snapshot columns (2.8 M orders each at a million customers), freed
    # before the orders' columns are read, were the command's peak when read last
    cost_columns = has_cost_data(db)
    code = _held_currency(db, currency)
    if code is not None:
        customers, shop = customer_costs(db, code, None, settings)
    if code is None or int(customers.get_column("purchases").sum()) == 0:
        code = _currency(db, currency)  # counts the purchases per currency (or says why not)
        customers, shop = customer_costs(db, code, None, settings)
    rules = rules_of(settings)
    purchases = int(customers.get_column("purchases").sum())
    losing = cts.unprofitable(customers, rules)
    with_data = int((customers.get_column("costed_orders") > 0).sum())
    return {
        "currency": code,
        "cost_columns": cost_columns,
        "customers": customers.height,
        "customers_with_cost_data": with_data,
        "purchases": purchases,
        "per_purchase": _per_purchase(customers, purchases, shop, settings),
        "refund_rate": _ratio(customers, "refunded", "paid"),
        "shrinkage_orders": cts.K_ORDERS,
        "used_by_fit": bool(settings.own_costs and settings.margin is not None and with_data > 0),
        "margin": settings.margin,
        "shipping_cost": settings.shipping_cost,
        "cost_more_than_they_bring": {
            "customers": losing.height,
            "share": losing.height / customers.height if customers.height else 0.0,
            "lost": float(losing.get_column("brought").sum()) if losing.height else 0.0,
            "list": _rows(cts.with_reasons(losing.head(limit), rules)),
            "needs_margin": settings.margin is None,
        },
    }


def _ratio(frame: pl.DataFrame, num: str, den: str) -> float | None:
    d = float(frame.get_column(den).sum())
    return float(frame.get_column(num).sum()) / d if d > 0 else None


def _per_purchase(
    customers: pl.DataFrame, purchases: int, shop: float, settings: Settings
) -> dict[str, float]:
    """Each kind of cost per purchase over the customers with cost data, the flat setting and
    the total a customer with no history of their own is charged."""
    with_data = customers.filter(pl.col("costed_orders") > 0)
    n = int(with_data.get_column("purchases").sum()) or 1
    return {
        "fees": float(with_data.get_column("fees").sum()) / n,
        "uncovered_shipping": float(with_data.get_column("shipping_gap").sum()) / n,
        "discounts": float(with_data.get_column("discount_cost").sum()) / n,
        "observed": shop,
        "flat_cost_per_order": settings.cost_per_order,
        "total": shop + settings.cost_per_order,
    }


def _rows(frame: pl.DataFrame) -> list[dict[str, Any]]:
    cols = ["customer_id", "purchases", "net_spend", "costs", "brought", "refund_rate",
            "discount_share", "reasons"]  # fmt: skip
    return frame.select(cols).to_dicts()


def customer_cost_line(
    db: sqlite_utils.Database, customer_id: str, currency: str, settings: Settings
) -> dict[str, Any] | None:
    """One customer's cost to serve for the customer detail (None: no cost columns imported):
    observed cost per purchase, the shrunk cost net CLV charges, refund rate."""
    from clvtui.store.costs import has_cost_data

    if not has_cost_data(db):
        return None
    from clvtui.shop_costs import customer_costs

    customers, shop = customer_costs(db, currency, None, settings)
    row = customers.filter(pl.col("customer_id") == customer_id)
    if row.height == 0 or int(customers.get_column("costed_orders").sum()) == 0:
        return None  # the columns were in the header but every order left them empty
    r = row.to_dicts()[0]
    return {
        "own_cost": r["own_cost"],
        "cost_per_order": r["cost_per_order"],
        "shop_cost": shop + settings.cost_per_order,
        "refund_rate": r["refund_rate"],
        "purchases": r["purchases"],
    }
