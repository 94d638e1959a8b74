"""Grouping orders by hashed customer id: the same groups, counts and sums as polars' group_by."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from clvtui.insights import cost_to_serve as cts
from clvtui.insights import customer_codes as cc


def _orders(n_rows: int, n_customers: int, seed: int) -> pl.DataFrame:
    """Orders of shuffled customers (some with 300 orders), costs partly missing."""
    rng = np.random.default_rng(seed)
    who = rng.integers(0, n_customers, n_rows)
    who[: 3 * 300] = np.repeat([7, 11, 13], 300)  # long customers: many Kahan steps
    rng.shuffle(who)

    def sometimes(p: float, high: int) -> pl.Series:
        values = rng.integers(0, high, n_rows).astype(float)
        values[rng.random(n_rows) < p] = np.nan
        return pl.Series(values, nan_to_null=True).cast(pl.Int64)

    amount = rng.integers(100, 40_000, n_rows)
    return pl.DataFrame(
        {
            "customer_id": [f"shop:c{i}@example.com" for i in who],
            "amount_minor": amount,
            "refunded_minor": np.where(rng.random(n_rows) < 0.1, amount // 3, 0),
            "is_purchase": (rng.random(n_rows) < 0.9).astype(np.int64),
            "discount_code": pl.Series(np.where(rng.random(n_rows) < 0.2, "X", None)),
            "discount_minor": sometimes(0.6, 700),
            "shipping_minor": sometimes(0.5, 900),
            "fee_minor": sometimes(0.3, 400),
        }
    )


def _reference(orders: pl.DataFrame, rules: cts.CostRules) -> pl.DataFrame:
    """What per_customer computed before: a string group_by over a frame of per-order costs."""
    costed = orders.with_columns(**cts.order_costs(2, rules))
    purchase = pl.col("is_purchase") == 1
    return (
        costed.group_by("customer_id")
        .agg(
            purchases=purchase.sum(),
            costed_orders=(pl.col("has_data") & purchase).sum(),
            net_spend=pl.col("net").filter(purchase).sum(),
            paid=pl.col("paid").sum(),
            refunded=pl.col("refunded").sum(),
            fees=pl.col("fee").sum(),
            shipping_gap=pl.col("shipping_gap").sum(),
            discount_cost=pl.col("discount_cost").sum(),
            cost=pl.col("cost").sum(),
            discounted=(pl.col("discounted") & purchase).sum(),
        )
        .with_columns(
            refund_rate=pl.when(pl.col("paid") > 0).then(pl.col("refunded") / pl.col("paid")),
            discount_share=pl.when(pl.col("purchases") > 0).then(
                pl.col("discounted") / pl.col("purchases")
            ),
        )
        .sort("customer_id")
    )


@pytest.mark.parametrize(
    "rules", [cts.CostRules(0.4, 0.0, 3.0), cts.CostRules(0.3, 5.0, 1.0), cts.CostRules(None, 4.5)]
)
def test_per_customer_matches_a_string_group_by(rules: cts.CostRules) -> None:
    orders = _orders(20_000, 4_000, seed=3)
    got = cts.per_customer(orders, 2, rules)
    # sums are compensated like polars' own: equal to rounding (in practice to the last bit)
    assert_frame_equal(got, _reference(orders, rules), check_exact=False, rel_tol=1e-12)
    long = got.filter(pl.col("customer_id") == "shop:c7@example.com").row(0, named=True)
    rows = orders.filter(pl.col("customer_id") == "shop:c7@example.com")
    assert long["paid"] == pytest.approx(rows["amount_minor"].sum() / 100, abs=1e-9)
    assert long["purchases"] == rows["is_purchase"].sum()


def test_colliding_hashes_still_group_by_the_ids() -> None:
    ids = pl.Series(["b", "a", "c", "a", "b", "b"])
    values = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    for keys in (pl.Series([0, 0, 0, 0, 0, 0], dtype=pl.UInt64), None):  # every id one hash
        groups = cc.by_customer(ids, keys)
        assert groups.ids.to_list() == ["a", "b", "c"]
        assert groups.sizes.tolist() == [2, 3, 1]
        assert cc.kahan_sums(cc.layout(groups), values).tolist() == [6.0, 12.0, 3.0]
        keep = np.array([True, True, True, False, False, True])
        assert cc.kahan_sums(cc.layout(groups, keep), values).tolist() == [2.0, 7.0, 3.0]
        assert cc.counts(groups, keep).tolist() == [1, 2, 1]


def test_kahan_sums_add_in_row_order_with_compensation() -> None:
    # 1e16 + 1 + 1: plain left-to-right addition loses both ones, Kahan keeps them
    ids = pl.Series(["x", "x", "x", "y"])
    sums = cc.kahan_sums(cc.layout(cc.by_customer(ids)), np.array([1e16, 1.0, 1.0, 0.5]))
    assert sums.tolist() == [1e16 + 2.0, 0.5]


def test_no_orders_no_customers() -> None:
    orders = _orders(2_000, 300, seed=1).head(0)
    assert cts.per_customer(orders, 2, cts.CostRules(0.4, 0.0)).height == 0


@pytest.mark.parametrize(
    ("n_rows", "n_customers", "seed"), [(0, 1, 1), (5_000, 900, 2), (40_000, 70_000, 3)]
)
def test_by_code_groups_as_by_customer(n_rows: int, n_customers: int, seed: int) -> None:
    """Codes that rank the ids (the snapshot's customer codes) give the hashed ids' groups,
    with more than 65,536 customers too (two 16-bit radix passes)."""
    ids = _orders(max(n_rows, 900), n_customers, seed).get_column("customer_id").head(n_rows)
    hashed = cc.by_customer(ids)
    names = ids.unique().sort()
    codes = ids.replace_strict(names, pl.int_range(0, names.len(), eager=True)).to_numpy()
    coded = cc.by_code(codes.astype(np.uint32), names)
    assert coded.ids.equals(hashed.ids)
    for field in ("order", "starts", "sizes", "codes"):
        assert np.array_equal(getattr(coded, field), getattr(hashed, field)), field
    rng = np.random.default_rng(seed)
    values = rng.integers(0, 1 << 32, 3_000, dtype=np.int64)
    assert np.array_equal(cc.stable_order(values), np.argsort(values, kind="stable"))


def test_per_customer_without_cost_data_matches_a_string_group_by() -> None:
    """No order holds a cost (no cost columns imported): the costs are 0 without a pass."""
    costless = pl.lit(None, dtype=pl.Int64)
    orders = _orders(20_000, 4_000, seed=5).with_columns(
        discount_minor=costless, shipping_minor=costless, fee_minor=costless
    )
    rules = cts.CostRules(0.4, 5.0, 3.0)
    got = cts.per_customer(orders, 2, rules)
    assert_frame_equal(got, _reference(orders, rules), check_exact=False, rel_tol=1e-12)
    assert got["cost"].to_list() == [0.0] * got.height
    assert got["costed_orders"].sum() == 0


@pytest.mark.parametrize("nonzero", [0.0, 0.03, 0.5, 1.0])
@pytest.mark.parametrize("kept", [None, 0.0, 0.97, 1.0])
def test_group_sums_equal_a_layout_of_the_kept_rows(nonzero: float, kept: float | None) -> None:
    """Summing only the groups that need it gives every group's compensated total to the
    last bit: sparse values (most groups total 0), dropped rows (a few groups redone)."""
    rng = np.random.default_rng(11)
    ids = _orders(6_000, 1_500, seed=9).get_column("customer_id")
    groups = cc.by_customer(ids)
    values = np.where(rng.random(ids.len()) < nonzero, rng.random(ids.len()) * 1e3, 0.0)
    keep = None if kept is None else rng.random(ids.len()) < kept
    expected = cc.kahan_sums(cc.layout(groups, keep), values)
    got = cc.group_sums(groups, cc.layout(groups), values, keep)
    assert got.tobytes() == expected.tobytes()
