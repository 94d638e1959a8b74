"""Each customer's own cost per order for net CLV, when the exports carry costs.

Read once per fit and aligned to the fit's customers, then handed to the model as an array in
place of the flat ``cost_per_order`` (``insights.cost_to_serve`` says how it is computed and
shrunk). A shop whose imports carry no cost column, a revenue fit (no margin) or
``own_costs = no`` keeps the flat setting: nothing is read and the numbers do not change.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np
import polars as pl
import sqlite_utils

from clvtui.core.memory import return_freed_memory
from clvtui.core.money import minor_exponent
from clvtui.insights import cost_to_serve as cts
from clvtui.insights import customer_codes
from clvtui.settings import Settings
from clvtui.store.costs import coded_order_costs, has_cost_data, order_costs

if TYPE_CHECKING:  # the fit's types only: what-if reads run_own_costs without the model code
    from clvtui.model.clv import Economics
    from clvtui.shop import Shop


def rules_of(settings: Settings) -> cts.CostRules:
    return cts.CostRules(settings.margin, settings.shipping_cost, settings.cost_per_order)


def customer_costs(
    db: sqlite_utils.Database, currency: str, until: str | None, settings: Settings
) -> tuple[pl.DataFrame, float]:
    """(per-customer costs with the shrunk ``cost_per_order``, the shop's cost per purchase)."""
    rules = rules_of(settings)
    coded = coded_order_costs(db, currency, until)
    if coded is None:  # no customer codes in the snapshot: the ids hashed and sorted here
        orders = order_costs(db, currency, until)
        groups = customer_codes.by_customer(orders.get_column("customer_id"))
        # what is left of the text, freed before the sums (2.8 M rows at a million
        # customers): the discount codes, of which only whether there was one counts
        code = pl.when(pl.col("discount_code").is_not_null()).then(pl.lit(1, dtype=pl.Int8))
        orders = orders.drop("customer_id").with_columns(code.alias("discount_code"))
    else:  # the discount codes come as flags already
        orders, ids = coded
        groups = customer_codes.by_code(orders.get_column("customer_code").to_numpy(), ids)
        orders = orders.drop("customer_code")
    customers = cts.per_customer(orders, minor_exponent(currency), rules, groups)
    del orders, groups
    return_freed_memory()  # the grouping's row numbers, freed in malloc's heap, before the tail
    shop = cts.shop_cost_per_order(customers)
    shrunk = cts.shrunk_cost(customers, shop, rules)  # row for row: no join on the ids needed
    return customers.hstack(shrunk.drop("customer_id").get_columns()), shop


def own_costs(
    db: sqlite_utils.Database, shop: Shop, settings: Settings, econ: Economics, notes: list[str]
) -> Economics:
    """``econ`` with each fitted customer's own cost per order (a line saying so appended to
    the fit's ``notes``), or ``econ`` as it was when the flat setting stays."""
    if econ.margin is None or not settings.own_costs or not has_cost_data(db):
        return econ
    until = f"{shop.end.isoformat()}T23:59:59Z"
    customers, avg = customer_costs(db, shop.currency, until, settings)
    if int(customers.get_column("costed_orders").sum()) == 0:
        return econ
    ids = shop.summary.select("customer_id")
    cost = ids.join(customers.select("customer_id", "cost_per_order"), on="customer_id",
                    how="left", maintain_order="left")  # fmt: skip
    flat_shop = avg + settings.cost_per_order  # customers without orders read: the shop's
    per_customer = cost.get_column("cost_per_order").fill_null(flat_shop).to_numpy()
    notes.append(
        f"cost to serve: each customer's orders cost their own fees, uncovered shipping and "
        f"discounts (shop average {avg:.2f} {shop.currency}, shrunk with K = {cts.K_ORDERS:g} "
        f"orders; see clvtui costs) plus the flat {settings.cost_per_order:.2f} per order"
    )
    return replace(econ, cost_per_order=np.asarray(per_customer, dtype=float))


def run_own_costs(db: sqlite_utils.Database, run: dict, settings: Settings) -> pl.DataFrame | None:
    """``customer_id``, ``own_cost``: the part of each customer's cost per order a run charged
    beyond the flat setting (what-if needs it to recover the discounted orders), recomputed
    from the orders up to the run's as-of with its settings; None when it charged the flat
    cost (no margin, ``own_costs`` off or absent — a run from before — or no cost data)."""
    fitted_own = bool(run.get("settings", {}).get("own_costs"))
    if settings.margin is None or not fitted_own or not has_cost_data(db):
        return None
    until = f"{str(run['as_of'])[:10]}T23:59:59Z"
    customers, _ = customer_costs(db, str(run["currency"]), until, settings)
    if int(customers.get_column("costed_orders").sum()) == 0:
        return None
    return customers.select(
        "customer_id", own_cost=pl.col("cost_per_order") - settings.cost_per_order
    )
