"""A campaign on a simulated shop, end to end in a real SQLite file: the shop (clvtui.demo's
BG/NBD simulation) is imported up to the start and fitted, a campaign splits everyone into
contacted and control, then the later orders are imported — the simulation's own, plus extra
orders given to the contacted customers at a known rate. The report must find that rate."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import polars as pl
import pytest
import sqlite_utils

from clvtui.demo import DemoParams
from clvtui.demo.load import load_orders
from clvtui.demo.simulate import simulate_orders
from clvtui.errors import ClvError
from clvtui.ingest import import_file
from clvtui.services.campaigns import (
    Selection,
    campaign_report,
    campaigns_overview,
    new_campaign,
    save_response,
)
from clvtui.services.fit import fit_shop
from clvtui.settings import Settings
from clvtui.store.saved_settings import load_settings

START = datetime(2026, 6, 30, 23, 59, 59, tzinfo=UTC)
EXTRA_ORDERS = 0.4  # extra orders per contacted customer over the 13 weeks after the start
EXTRA_AMOUNT = 25.0  # each worth this much: 10.00 extra revenue per contacted customer
MARGIN = 0.5


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> sqlite_utils.Database:
    """1,500 simulated customers through 2026-09-30; imported and fitted up to 2026-06-30."""
    folder = tmp_path_factory.mktemp("campaign")
    params = DemoParams(n_customers=1_500, end=datetime(2026, 9, 30, 23, 59, 59, tzinfo=UTC))
    orders = simulate_orders(params, seed=11).select("customer_id", "ordered_at", "amount")
    db = load_orders(folder / "shop.db", orders.filter(pl.col("ordered_at") <= START))
    fit_shop(db, settings=Settings(margin=MARGIN))
    new_campaign(db, "everyone", Selection(), holdout=0.5, seed=5, cost_per_contact=1.0)
    db.conn.commit()
    return _import_after(db, folder, orders.filter(pl.col("ordered_at") > START))


def _import_after(
    db: sqlite_utils.Database, folder: Path, later: pl.DataFrame
) -> sqlite_utils.Database:
    """The simulation's orders after the start, plus Poisson(EXTRA_ORDERS) extra orders of
    EXTRA_AMOUNT for each contacted customer, at random times in the 13 weeks."""
    contacted = db.execute(
        "SELECT customer_id FROM campaign_members WHERE member_group = 'contacted'"
    ).fetchall()
    raw = np.array([c.partition(":")[2] for (c,) in contacted])  # generic:C0000123 → C0000123
    rng = np.random.default_rng(99)
    who = np.repeat(raw, rng.poisson(EXTRA_ORDERS, raw.size))
    seconds = rng.uniform(60, 91 * 86400, who.size).astype("int64")
    extra = pl.DataFrame({"customer_id": who, "amount": np.full(who.size, EXTRA_AMOUNT)}).select(
        "customer_id",
        ordered_at=pl.lit(START) + pl.duration(seconds=pl.Series(seconds)),
        amount="amount",
    )
    both = pl.concat([later, extra]).with_row_index("n")
    csv = folder / "later.csv"
    both.select(
        order_id=pl.format("L{}", pl.col("n")),
        customer="customer_id",
        date=pl.col("ordered_at").dt.strftime("%Y-%m-%dT%H:%M:%SZ"),
        amount=pl.col("amount").round(2),
    ).write_csv(csv)
    import_file(db, csv, fmt="generic")
    return db


def test_the_interval_covers_the_known_extra_purchase_rate(shop: sqlite_utils.Database) -> None:
    report = campaign_report(shop, "everyone")
    r = report.result
    assert r is not None and report.through == "2026-09-30"
    assert (r.contacted, r.control, r.days) == (750, 750, 92)
    assert r.orders.low <= EXTRA_ORDERS <= r.orders.high
    assert r.revenue.low <= EXTRA_ORDERS * EXTRA_AMOUNT <= r.revenue.high
    assert r.revenue.low > 0  # the effect is found, not just allowed
    # value is profit at the fit's 50 % margin (no cost per order): half the revenue
    assert r.value.difference == pytest.approx(MARGIN * r.revenue.difference)
    assert r.incremental_value == pytest.approx(750 * r.value.difference)
    assert r.cost == 750.0 and r.roi == pytest.approx(r.incremental_value / 750.0 - 1.0)
    assert report.status == "measuring (92 days)"


def test_the_response_can_become_the_budgets_winback_rate(shop: sqlite_utils.Database) -> None:
    report = campaign_report(shop, "everyone")
    assert report.result is not None
    rate = save_response(shop, "everyone")
    assert rate == pytest.approx(report.result.response.difference)
    assert 0.0 < rate < 1.0
    assert load_settings(shop).winback_response_rate == pytest.approx(rate)


def test_listing_and_refusals(shop: sqlite_utils.Database) -> None:
    (row,) = campaigns_overview(shop)
    assert (row["name"], row["contacted"], row["control"], row["seed"]) == ("everyone", 750, 750, 5)
    with pytest.raises(ClvError, match="exists"):
        new_campaign(shop, "everyone", Selection(), holdout=0.5)
    with pytest.raises(ClvError, match=r"unknown action .vipp.; known: .*slipping-away"):
        new_campaign(shop, "vip", Selection(action="vipp"))
    with pytest.raises(ClvError, match="no campaign named 'nope'; there are: everyone"):
        campaign_report(shop, "nope")
