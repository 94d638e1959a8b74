"""Entry products, journey, affinity and best next product, checked by hand on
fixtures/lines/products_shop.csv.

Who bought what (order: products):
    c1  o1 2024-01-01: Coffee, Mug    o2 2024-02-01: Filter
    c2  o3 2024-01-05: Coffee         o4 2024-01-25: Filter, Mug
    c3  o5 2024-01-10: Tea            o6 2024-03-10: Coffee
    c4  o7 2024-01-15: Tea, Mug
    c5  o8 2024-02-01: Coffee
    c6  o9 2024-02-03: Tea            o10 2024-02-13: Teapot
"""

from __future__ import annotations

import math
from pathlib import Path

import polars as pl
import pytest

from clvtui.ingest import import_file
from clvtui.insights import products as ins
from clvtui.store import open_db
from clvtui.store.order_lines import read_purchase_lines
from tests.ingest.conftest import fixture


@pytest.fixture(scope="module")
def lines(tmp_path_factory: pytest.TempPathFactory) -> pl.DataFrame:
    db = open_db(Path(tmp_path_factory.mktemp("shop")) / "clv.db")
    import_file(db, fixture("lines/products_shop.csv"))
    return read_purchase_lines(db)


#: CLV and repeat purchases per customer (as a run would give them)
VALUES = pl.DataFrame(
    {
        "customer_id": [f"generic:c{i}" for i in range(1, 7)],
        "clv": [100.0, 80.0, 60.0, 40.0, 30.0, 50.0],
        "x": [1, 1, 1, 0, 0, 1],
    }
)


def test_lines_read_back_per_person_and_order(lines) -> None:
    assert lines.height == 13
    assert lines.select(pl.col("customer_id").n_unique()).item() == 6
    counts = dict(lines.group_by("product").len().iter_rows())
    assert counts == {"Coffee": 4, "Mug": 3, "Filter": 2, "Tea": 3, "Teapot": 1}


def test_entry_products_by_hand(lines) -> None:
    entry = ins.entry_products(lines, VALUES, ins.ProductRules(min_customers=2))
    got = {r["product"]: r for r in entry.iter_rows(named=True)}
    assert set(got) == {"Coffee", "Mug", "Tea"}  # Filter and Teapot never start an order
    shop_mean = (100 + 80 + 60 + 40 + 30 + 50) / 6  # 60
    coffee = got["Coffee"]  # c1, c2, c5
    assert coffee["customers"] == 3
    assert coffee["mean_clv"] == pytest.approx(70.0)
    assert coffee["clv_ratio"] == pytest.approx(70.0 / shop_mean)
    sd = math.sqrt(((100 - 70) ** 2 + (80 - 70) ** 2 + (30 - 70) ** 2) / 2)
    assert coffee["ratio_low"] == pytest.approx((70 - 1.6448536 * sd / math.sqrt(3)) / shop_mean)
    assert coffee["repeat_rate"] == pytest.approx(2 / 3)
    assert coffee["repeat_low"] < 2 / 3 < coffee["repeat_high"]
    assert got["Mug"]["mean_clv"] == pytest.approx(70.0)  # c1, c4
    assert got["Tea"]["mean_clv"] == pytest.approx(50.0)  # c3, c4, c6
    assert entry["product"].to_list() == ["Coffee", "Mug", "Tea"]  # 70 (3), 70 (2), 50
    # no interval lies above 1× with so few customers: the best one is named, with the caveat
    lead = ins.lead_product(entry)
    assert lead is not None and lead["product"] == "Coffee"
    clear = entry.with_columns(ratio_low=pl.when(pl.col("product") == "Tea").then(1.1)
                               .otherwise(pl.col("ratio_low")))  # fmt: skip
    assert ins.lead_product(clear)["product"] == "Tea"  # clearly above average wins
    assert ins.worth_sentence("Coffee", 1.8) == (
        "customers who start with Coffee are worth 1.8× the average"
    )
    # a minimum of 3 customers leaves Mug out
    strict = ins.entry_products(lines, VALUES, ins.ProductRules(min_customers=3))
    assert strict["product"].to_list() == ["Coffee", "Tea"]


def test_journey_by_hand(lines) -> None:
    moves, median_days, n = ins.journey(lines)
    assert n == 4  # c1, c2, c3, c6 came back
    assert median_days == pytest.approx((20 + 31) / 2)  # 31, 20, 60, 10 days
    got = {(r["first"], r["second"]): r["customers"] for r in moves.iter_rows(named=True)}
    assert got == {
        ("Coffee", "Filter"): 2,
        ("Mug", "Filter"): 1,
        ("Coffee", "Mug"): 1,
        ("Tea", "Coffee"): 1,
        ("Tea", "Teapot"): 1,
    }
    assert moves.row(0, named=True)["share"] == pytest.approx(2 / 4)


def test_affinity_lift_by_hand(lines) -> None:
    pairs = ins.affinity(ins.customer_products(lines), min_pair_customers=2)
    got = {(r["product_a"], r["product_b"]): r for r in pairs.iter_rows(named=True)}
    assert set(got) == {("Filter", "Mug"), ("Coffee", "Filter"), ("Coffee", "Mug")}
    # 6 customers: Coffee 4, Mug 3, Filter 2; Filter & Mug 2 → (2/6) / (2/6 · 3/6) = 2
    assert got[("Filter", "Mug")]["lift"] == pytest.approx(2.0)
    assert got[("Filter", "Mug")]["support"] == pytest.approx(2 / 6)
    assert got[("Coffee", "Filter")]["lift"] == pytest.approx(1.5)
    assert got[("Coffee", "Mug")]["lift"] == pytest.approx(1.0)
    assert pairs["product_a"].to_list()[0] == "Filter"  # highest lift first
    every = ins.affinity(ins.customer_products(lines), min_pair_customers=1)
    tea_pot = every.filter((pl.col("product_a") == "Tea") & (pl.col("product_b") == "Teapot"))
    assert tea_pot["lift"].item() == pytest.approx((1 / 6) / (3 / 6 * 1 / 6))


def test_best_next_product_by_hand(lines) -> None:
    bought = ins.customer_products(lines)
    pairs = ins.affinity(bought, min_pair_customers=2)
    best = ins.best_next_products(bought, pairs)
    got = {r["customer_id"]: (r["next_product"], r["lift"]) for r in best.iter_rows(named=True)}
    assert got == {
        "generic:c3": ("Filter", pytest.approx(1.5)),  # has Coffee; Mug's lift is only 1.0
        "generic:c4": ("Filter", pytest.approx(2.0)),  # has Mug
        "generic:c5": ("Filter", pytest.approx(1.5)),  # has Coffee
    }  # c1, c2 own all three; c6's pair has one customer only
    some = ins.best_next_products(bought, pairs, pl.Series(["generic:c4"]))
    assert some["customer_id"].to_list() == ["generic:c4"]
    assert some["because"].item() == "Mug"


def test_next_for_one_customer_agrees_with_the_shop_wide_answer(lines) -> None:
    bought = ins.customer_products(lines)
    pairs = ins.affinity(bought, min_pair_customers=2)
    best = ins.best_next_products(bought, pairs)
    for row in best.iter_rows(named=True):
        mine = bought.filter(pl.col("customer_id") == row["customer_id"])["product"].to_list()
        one = ins.next_for(bought, mine, 2).row(0, named=True)
        assert (one["next_product"], one["lift"]) == (row["next_product"], row["lift"])
    assert ins.next_for(bought, ["Tea", "Teapot"], 2).height == 0  # c6: nothing stands out
