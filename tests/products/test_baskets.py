"""Affinity and best next product on shops too big to check by hand: both paths (one bit
per product when at most 63 products matter, the general joins above that) against a
brute force over Python sets, and lift where counts pass 2**32 when multiplied."""

from __future__ import annotations

import itertools

import numpy as np
import polars as pl
import pytest

from clvtui.insights import baskets
from clvtui.insights import products as ins


def random_shop(products: int, customers: int = 400, seed: int = 7) -> pl.DataFrame:
    """Distinct (customer_id, product): 1–6 products each, popular products more often."""
    rng = np.random.default_rng(seed)
    weight = 1.0 / np.arange(1, products + 1)
    rows = []
    for c in range(customers):
        k = int(rng.integers(1, 7))
        chosen = rng.choice(products, size=k, replace=False, p=weight / weight.sum())
        rows += [(f"c{c:04d}", f"p{int(p):02d}") for p in chosen]
    return pl.DataFrame(rows, schema={"customer_id": pl.Utf8, "product": pl.Utf8}, orient="row")


def brute_pairs(bought: pl.DataFrame, minimum: int) -> dict[tuple[str, str], tuple[int, float]]:
    sets: dict[str, set[str]] = {}
    for cid, product in bought.iter_rows():
        sets.setdefault(cid, set()).add(product)
    n = len(sets)
    single: dict[str, int] = {}
    both: dict[tuple[str, str], int] = {}
    for items in sets.values():
        for p in items:
            single[p] = single.get(p, 0) + 1
        for a, b in itertools.combinations(sorted(items), 2):
            both[(a, b)] = both.get((a, b), 0) + 1
    return {
        pair: (k, k * n / (single[pair[0]] * single[pair[1]]))
        for pair, k in both.items()
        if k >= minimum
    }


def brute_best(bought: pl.DataFrame, pairs: dict) -> dict[str, tuple[str, float]]:
    sets: dict[str, set[str]] = {}
    for cid, product in bought.iter_rows():
        sets.setdefault(cid, set()).add(product)
    best = {}
    for cid, items in sets.items():
        options = []
        for (a, b), (k, lift) in pairs.items():
            if lift <= 1.0:
                continue
            for have, want in ((a, b), (b, a)):
                if have in items and want not in items:
                    options.append((-lift, -k, want))
        if options:
            lift, _, want = min(options)
            best[cid] = (want, -lift)
    return best


@pytest.mark.parametrize("products", [40, 70])  # 40: bit masks; 70: the general joins
def test_affinity_and_best_next_match_brute_force(products: int) -> None:
    bought = random_shop(products)
    frequent = bought.group_by("product").len().filter(pl.col("len") >= 3).height
    assert (frequent <= baskets.MAX_BITS) == (products == 40)  # each path really taken
    pairs = ins.affinity(bought, min_pair_customers=3)
    expected = brute_pairs(bought, 3)
    got = {(a, b): (k, lift) for a, b, k, _, lift in pairs.iter_rows()}
    assert set(got) == set(expected) and len(got) > 50
    for pair, (k, lift) in expected.items():
        assert got[pair][0] == k
        assert got[pair][1] == pytest.approx(lift, rel=1e-12)
    best = ins.best_next_products(bought, pairs)
    want = brute_best(bought, expected)
    assert best["customer_id"].to_list() == sorted(want)  # sorted by customer, none missing
    for row in best.iter_rows(named=True):
        assert row["next_product"] == want[row["customer_id"]][0]
        assert row["lift"] == pytest.approx(want[row["customer_id"]][1], rel=1e-12)


def test_lift_where_counts_multiply_past_32_bits() -> None:
    # 100,000 customers: 70,000 bought A, 70,000 bought B, 40,000 both; 70,000² > 2**32
    ids = [f"c{i}" for i in range(100_000)]
    bought = pl.DataFrame(
        {"customer_id": ids[:70_000] + ids[30_000:], "product": ["A"] * 70_000 + ["B"] * 70_000}
    )
    lift = 40_000 * 100_000 / (70_000 * 70_000)  # 0.816: less often together than chance
    pair = ins.affinity(bought, min_pair_customers=5).row(0, named=True)
    assert (pair["customers"], pair["lift"]) == (40_000, pytest.approx(lift, rel=1e-12))
    assert ins.next_for(bought, ["A"], 5).height == 0  # lift < 1: nothing to suggest
