"""Net CLV charges each customer their own (shrunk) cost per order when the orders carry fees,
and nothing changes without cost data or with ``own_costs`` off."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from clvtui.demo import DemoParams, simulate_orders
from clvtui.ingest import import_file
from clvtui.pipeline import fit_run
from clvtui.settings import Settings
from clvtui.shop_costs import customer_costs
from clvtui.store import open_db
from clvtui.store.runs import ranked_customers
from clvtui.store.saved_settings import save_settings


def _shop(tmp_path: Path):
    """A simulated shop exported as a generic CSV with a payment fee of 2.9 % + 0.30."""
    orders = simulate_orders(DemoParams(n_customers=800), seed=3)
    csv = tmp_path / "orders.csv"
    orders.select(
        order_id="order_id",
        customer="customer_id",
        date=pl.col("ordered_at").dt.strftime("%Y-%m-%dT%H:%M:%SZ"),
        amount=pl.col("amount").round(2),
        fee=(pl.col("amount") * 0.029 + 0.30).round(2),
    ).write_csv(csv)
    db = open_db(tmp_path / "clv.db")
    import_file(db, csv, fmt="generic")
    return db


def _fit(db, settings: Settings) -> pl.DataFrame:
    save_settings(db, settings)
    run = fit_run(db, model="bgnbd").run_id
    return ranked_customers(db, run).sort("customer_id")


def test_net_clv_uses_each_customers_own_cost(tmp_path: Path) -> None:
    db = _shop(tmp_path)
    base = Settings(margin=0.4, cost_per_order=0.5, annual_discount_rate=0.0)
    flat = _fit(db, base.with_changes(own_costs=False))
    own = _fit(db, base)
    costs, shop = customer_costs(db, "USD", None, base)  # the simulated shop sells in USD
    assert shop > 0.3  # 2.9 % + 0.30 of every order
    cost = flat.select("customer_id").join(costs, on="customer_id", how="left")
    c = cost.get_column("cost_per_order").to_numpy()
    # with no discounting CLV = E[orders] · (margin · E[spend] − cost), so the two runs differ
    # by exactly E[orders] · (own cost − flat cost) for every customer
    expected = flat["clv"].to_numpy() - own["expected_orders"].to_numpy() * (c - 0.5)
    assert np.allclose(own["clv"].to_numpy(), expected, rtol=1e-9, atol=1e-9)
    assert own["expected_orders"].to_numpy() == pytest.approx(flat["expected_orders"].to_numpy())


def test_what_if_reprices_an_own_cost_run_exactly(tmp_path: Path) -> None:
    """A changed margin and flat cost on a run with own costs equals fitting with them."""
    from clvtui.services.whatif import what_if_run

    db = _shop(tmp_path)
    base = Settings(margin=0.4, cost_per_order=0.5)
    _fit(db, base)
    guess = what_if_run(db, margin=0.5, cost_per_order=0.7).result
    refit = _fit(db, base.with_changes(margin=0.5, cost_per_order=0.7))
    assert guess.equity_after == pytest.approx(float(refit["clv"].sum()), rel=1e-9)
