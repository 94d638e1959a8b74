"""The bit-mask path of the product views (core.order_masks, insights.mask_products)
against the general joins (insights.products) on random shops: lines in time order or not,
lines of an order apart, text or categorical ids, ties in time, whole shop and per tier."""

from __future__ import annotations

from typing import Any, cast

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from clvtui.core.order_masks import shop_masks
from clvtui.insights import mask_products as fast
from clvtui.insights import products as ins
from clvtui.services.products import RunLines, best_next_of, product_report, report_by_joins

NO_DB = cast(Any, None)  # the report reads nothing when given the lines
TIERS = ["Highly profitable", "Profitable", "Not profitable"]


def random_lines(seed: int, customers: int = 600, products: int = 12) -> pl.DataFrame:
    """customer_id, order_key, ordered_at, product: 1-5 orders of 1-3 lines per customer,
    on 40 days at 3 times of day (so orders tie in time), orders in random order."""
    rng = np.random.default_rng(seed)
    rows, key = [], 0
    for c in range(customers):
        for _ in range(int(rng.integers(1, 6))):
            day, hour = int(rng.integers(1, 41)), int(rng.choice([9, 12, 18]))
            at = f"2024-{1 + (day - 1) // 20:02d}-{1 + (day - 1) % 20:02d}T{hour:02d}:00:00Z"
            for p in rng.choice(products, size=int(rng.integers(1, 4)), replace=True):
                rows.append((f"c{c:04d}", key, at, f"p{int(p):02d}"))
            key += 1
    frame = pl.DataFrame(
        rows, schema=["customer_id", "order_key", "ordered_at", "product"], orient="row"
    )
    shuffled = pl.DataFrame({"order_key": rng.permutation(key)}).with_row_index("place")
    return frame.join(shuffled, on="order_key").sort("place", maintain_order=True).drop("place")


def random_values(lines: pl.DataFrame, seed: int) -> pl.DataFrame:
    """A run's values for most of the customers with lines, and some without lines."""
    rng = np.random.default_rng(seed)
    ids = lines.get_column("customer_id").cast(pl.Utf8).unique().sort().to_list()
    ids = [i for i in ids if rng.random() > 0.05] + ["nobody1", "nobody2"]
    rng.shuffle(ids)
    n = len(ids)
    return pl.DataFrame(
        {
            "customer_id": ids,
            "clv": rng.gamma(2.0, 40.0, n),
            "x": rng.integers(0, 4, n),
            "tier": rng.choice(TIERS, n),
            "risk": ["active"] * n,
        }
    )


def assert_reports_equal(got: Any, want: Any) -> None:
    """Two product reports alike: every table (entry shares to 1e-12) and figure."""
    assert got.customers_with_lines == want.customers_with_lines
    assert got.entry.height > 3 and got.journey.height > 3 and got.pairs.height > 3
    assert_frame_equal(got.entry, want.entry, check_exact=False, rel_tol=1e-12)
    assert_frame_equal(got.journey, want.journey)
    assert got.median_days_to_second == want.median_days_to_second
    assert got.second_order_customers == want.second_order_customers
    assert_frame_equal(got.pairs, want.pairs)


def assert_same_report(lines: pl.DataFrame, values: pl.DataFrame, tier: str | None) -> None:
    rules = ins.ProductRules(min_customers=5, min_pair_customers=3)
    data = RunLines(1, "USD", values, lines, None)
    assert data.masks() is not None  # the mask path is really taken
    got = product_report(NO_DB, tier=tier, rules=rules, data=data)
    part = values if tier is None else values.filter(pl.col("tier") == tier)
    want = report_by_joins(got.__class__(1, "USD", tier, rules=rules), lines, part, bool(tier))
    assert_reports_equal(got, want)


@pytest.mark.parametrize("tier", [None, "Profitable"])
@pytest.mark.parametrize("layout", ["random", "time order", "categorical", "lines apart"])
def test_product_report_matches_the_general_joins(layout: str, tier: str | None) -> None:
    lines = random_lines(3)
    if layout == "time order":  # as the store reads them: no sort needed
        lines = lines.sort("ordered_at", "order_key", maintain_order=True)
    if layout == "categorical":
        lines = lines.with_columns(pl.col("customer_id").cast(pl.Categorical))
    if layout == "lines apart":  # an order's lines not next to each other
        lines = lines.sample(fraction=1.0, shuffle=True, seed=5)
    assert_same_report(lines, random_values(lines, 4), tier)


def test_best_next_products_match_the_general_joins() -> None:
    lines = random_lines(8).with_columns(pl.col("customer_id").cast(pl.Categorical))
    shop = shop_masks(lines)
    assert shop is not None
    bought = ins.customer_products(lines)
    pairs = ins.affinity(bought, 3)
    assert_frame_equal(fast.affinity(shop, 3), pairs)
    want = ins.best_next_products(bought, pairs)
    got = fast.best_next_products(shop, pairs)
    assert got.height > 300
    assert_frame_equal(got.sort("customer_id"), want)
    some = pl.Series(["c0007", "c0003", "nobody", "c0003", "c0123"])
    part = fast.best_next_products(shop, pairs, some)
    assert_frame_equal(part.sort("customer_id"), ins.best_next_products(bought, pairs, some))


def test_the_rows_of_customer_ids_and_unknown_ones() -> None:
    lines = random_lines(2, customers=50)
    shop = shop_masks(lines)
    assert shop is not None
    asked = pl.Series(["c0010", "zzz", "c0049", "c0000"])
    rows = shop.rows_of(asked)
    assert rows[1] == -1
    assert shop.customer_id.gather(rows[[0, 2, 3]]).to_list() == ["c0010", "c0049", "c0000"]


def test_more_products_than_a_mask_holds_take_the_general_path() -> None:
    lines = random_lines(1, customers=200, products=70)
    assert lines.get_column("product").n_unique() > 63
    assert shop_masks(lines) is None


def test_one_customers_best_next_product_matches_next_for() -> None:
    lines = random_lines(11, customers=300).with_columns(pl.col("customer_id").cast(pl.Categorical))
    bought = ins.customer_products(lines)
    told = 0
    for number in range(0, 300, 7):
        who = f"c{number:04d}"
        mine = bought.filter(pl.col("customer_id") == who).get_column("product").to_list()
        want = ins.next_for(bought, mine, 3)
        got = best_next_of(lines, who, ins.ProductRules(min_pair_customers=3))
        if want.height == 0:
            assert got is None
            continue
        told += 1
        assert got is not None
        best = want.row(0, named=True)  # ties on lift, customers and product: any "because"
        assert (got["next_product"], got["customers"]) == (best["next_product"], best["customers"])
        assert got["lift"] == pytest.approx(best["lift"], rel=1e-12)
        assert got["because"] in mine
    assert told > 20


def coded(lines: pl.DataFrame, seed: int) -> tuple[dict[str, Any], pl.DataFrame]:
    """``lines`` as coded_shop_masks takes them (orders numbered by order key, people in a
    random order with some who bought nothing, some orders of nobody counted, an order
    with no line), and the lines those codes count, as a frame."""
    rng = np.random.default_rng(seed)
    orders = lines.group_by("order_key").agg(pl.col("customer_id", "ordered_at").first())
    orders = orders.sort("order_key")
    assert orders.get_column("order_key").to_list() == list(range(orders.height))
    names = orders.get_column("customer_id").cast(pl.Utf8).unique().sort().to_list()
    ids = [n for n in names if rng.random() > 0.1] + ["nobody1", "nobody2"]  # some not counted
    rng.shuffle(ids)
    row = {name: i for i, name in enumerate(ids)}
    customer = np.array([row.get(n, -1) for n in orders.get_column("customer_id").cast(pl.Utf8)])
    customer = np.append(customer, row[ids[0]])  # an order with no line
    at = orders.get_column("ordered_at").append(pl.Series(["2023-01-01T00:00:00Z"]))
    counted = lines.filter(pl.Series(customer[lines.get_column("order_key").to_numpy()] >= 0))
    args = {"order": counted.get_column("order_key").to_numpy(),
            "product": counted.get_column("product"), "customer": customer, "ordered_at": at,
            "ids": pl.Series(ids)}  # fmt: skip
    return args, counted


@pytest.mark.parametrize("layout", ["random", "time order", "lines apart"])
def test_coded_masks_are_the_frames_masks(layout: str) -> None:
    lines = random_lines(6)
    if layout == "time order":
        lines = lines.sort("ordered_at", "order_key", maintain_order=True)
    if layout == "lines apart":
        lines = lines.sample(fraction=1.0, shuffle=True, seed=2)
    args, counted = coded(lines, 9)
    got = fast_masks(args)
    want = shop_masks(counted)
    assert got is not None and want is not None
    assert got.products == want.products
    assert got.customer_id.to_list() == want.customer_id.to_list()
    for name in ("first", "second", "everything"):
        assert np.array_equal(getattr(got, name), getattr(want, name)), name
    assert got.gap_days.to_list() == want.gap_days.to_list()
    ids = args["ids"]
    assert ids.gather(got.code).to_list() == got.customer_id.to_list()  # codes: rows of ids


def test_coded_masks_in_time_order_need_no_sort_and_agree() -> None:
    lines = random_lines(4).sort("order_key")  # orders numbered in time order below
    order = lines.select(pl.arg_sort_by("ordered_at", "order_key")).to_series()
    renumber = np.empty(order.len(), dtype=np.int64)
    keys = lines.get_column("order_key").gather(order).unique(maintain_order=True).to_numpy()
    renumber[keys] = np.arange(keys.size)
    lines = lines.with_columns(order_key=pl.Series(renumber[lines["order_key"].to_numpy()]))
    lines = lines.sort("order_key", maintain_order=True)
    args, counted = coded(lines, 3)
    args["customer"], args["ordered_at"] = args["customer"][:-1], args["ordered_at"][:-1]
    assert args["ordered_at"].is_sorted()
    got, want = fast_masks(args), shop_masks(counted)
    assert got is not None and want is not None
    assert got.customer_id.to_list() == want.customer_id.to_list()
    assert np.array_equal(got.first, want.first) and np.array_equal(got.second, want.second)


def test_coded_masks_of_too_many_products_are_none() -> None:
    lines = random_lines(1, customers=200, products=70)
    args, _ = coded(lines, 1)
    assert fast_masks(args) is None


def fast_masks(args: dict[str, Any]) -> Any:
    from clvtui.core.order_masks import coded_shop_masks

    return coded_shop_masks(**args)


@pytest.mark.parametrize("categorical", [False, True])
def test_affinity_of_many_products_counts_pairs_like_a_self_join(categorical: bool) -> None:
    lines = random_lines(5, customers=900, products=90)
    if categorical:
        lines = lines.with_columns(pl.col("customer_id").cast(pl.Categorical))
    bought = ins.customer_products(lines)
    single = bought.group_by("product").agg(n_product=pl.len())
    frequent = single.filter(pl.col("n_product") >= 3).select("product")
    assert frequent.height > 63  # the general path, not one bit per product
    kept = bought.join(frequent, on="product")
    by_join = (
        kept.join(kept, on="customer_id", suffix="_b")
        .filter(pl.col("product") < pl.col("product_b"))
        .group_by("product", "product_b")
        .agg(customers=pl.len())
    )
    want = ins.lift_table(by_join, single, bought["customer_id"].n_unique(), 3)
    got = ins.affinity(bought, 3)
    assert got.height > 50
    assert_frame_equal(got, want)


@pytest.mark.parametrize("tier", [None, "Profitable"])
@pytest.mark.parametrize("layout", ["random", "lines apart"])
def test_many_products_from_codes_match_the_general_joins(layout: str, tier: str | None) -> None:
    from clvtui.store.order_lines import PurchaseCodes

    lines = random_lines(7, customers=700, products=80)
    if layout == "lines apart":
        lines = lines.sample(fraction=1.0, shuffle=True, seed=3)
    args, counted = coded(lines, 5)
    assert counted.get_column("product").n_unique() > 63  # no bit masks
    ids = args["ids"]
    rng = np.random.default_rng(6)
    n = ids.len()
    values = pl.DataFrame({"customer_id": ids, "clv": rng.gamma(2.0, 40.0, n),
                           "x": rng.integers(0, 4, n), "tier": rng.choice(TIERS, n),
                           "risk": ["active"] * n})  # fmt: skip
    codes = PurchaseCodes(ids, args["customer"], args["ordered_at"], args["order"],
                          args["product"].cast(pl.Categorical))  # fmt: skip
    rules = ins.ProductRules(min_customers=3, min_pair_customers=2)
    data = RunLines(1, "USD", values, None, None, coded=codes)
    assert data.masks() is None
    got = product_report(NO_DB, tier=tier, rules=rules, data=data)
    part = values if tier is None else values.filter(pl.col("tier") == tier)
    want = report_by_joins(got.__class__(1, "USD", tier, rules=rules), counted, part, bool(tier))
    assert_reports_equal(got, want)


def test_best_next_of_many_products_from_codes_match_the_general_joins() -> None:
    from clvtui.services.products import best_next_products
    from clvtui.store.order_lines import PurchaseCodes

    lines = random_lines(12, customers=700, products=80)
    args, counted = coded(lines, 4)
    ids = args["ids"]
    n = ids.len()
    values = pl.DataFrame({"customer_id": ids, "clv": np.ones(n), "x": np.ones(n, dtype=np.int64),
                           "tier": ["Profitable"] * n, "risk": ["active"] * n})  # fmt: skip
    codes = PurchaseCodes(ids, args["customer"], args["ordered_at"], args["order"],
                          args["product"].cast(pl.Categorical))  # fmt: skip
    data = RunLines(1, "USD", values, None, None, coded=codes)
    assert data.masks() is None
    rules = ins.ProductRules(min_pair_customers=2)
    bought = ins.customer_products(counted)
    want = ins.best_next_products(bought, ins.affinity(bought, 2))
    got = best_next_products(NO_DB, rules=rules, data=data)
    assert got.height > 300 and got.height == want.height
    keys = ["customer_id", "next_product", "lift"]
    assert_frame_equal(got.sort("customer_id").select(keys), want.select(keys))
    mine = bought.group_by("customer_id").agg("product")
    owned = dict(zip(mine["customer_id"].cast(pl.Utf8), mine["product"].to_list(), strict=True))
    assert all(b in owned[c] and nx not in owned[c] for c, nx, b in
               got.select("customer_id", "next_product", "because").iter_rows())  # fmt: skip
    some = pl.Series(["c0007", "c0003", "nobody", "c0003", "c0123"])
    part = best_next_products(NO_DB, customers=some.to_list(), rules=rules, data=data)
    expected = ins.best_next_products(bought, ins.affinity(bought, 2), some)
    assert_frame_equal(part.sort("customer_id").select(keys), expected.select(keys))


@pytest.mark.parametrize("products", [5, 8, 9, 16, 17, 32, 33, 63])
def test_entry_products_of_every_mask_width_match_the_general_joins(products: int) -> None:
    """The entry products' masks narrowed to 8, 16, 32 or 64 bits (``_narrowed``) name the
    same customers per product as the joins, at each width's edges."""
    lines = random_lines(8, customers=500, products=products)
    assert lines.get_column("product").n_unique() == products
    assert_same_report(lines, random_values(lines, 9), None)
