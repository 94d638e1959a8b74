"""The orders snapshot's customer codes: ranks of the keys, kept right through imports, links
and undo, and ``costs`` from them the same as from the ids (real files in tmp dirs)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest
import sqlite_utils
from polars.testing import assert_frame_equal

from clvtui.ingest import import_file
from clvtui.settings import Settings
from clvtui.shop_costs import customer_costs
from clvtui.store import column_snapshot as cs
from clvtui.store import open_db
from clvtui.store.costs import coded_order_costs
from clvtui.store.customer_ranks import CODE, IDS, extended, ranked
from clvtui.store.history import undo_import
from tests.ingest.conftest import fixture
from tests.ingest.test_identity import generic, stripe
from tests.store.test_column_snapshot import the_long_way

SETTINGS = Settings(margin=0.4, shipping_cost=4.0)


def test_codes_are_ranks_of_the_keys() -> None:
    keys = pl.Series(["shop:b", "shop:a", None, "shop:c", "shop:a", "shop:B"])
    codes, ids = ranked(keys)
    assert ids.to_list() == ["shop:B", "shop:a", "shop:b", "shop:c"]  # polars' byte order
    assert codes.to_list() == [2, 1, None, 3, 1, 0]
    assert codes.dtype == pl.UInt32 and (codes.name, ids.name) == (CODE, IDS)
    empty_codes, empty_ids = ranked(pl.Series([], dtype=pl.Utf8))
    assert empty_codes.len() == 0 and empty_ids.len() == 0


def test_an_import_renumbers_the_codes_as_ranking_afresh() -> None:
    """``extended`` (an import's merge) gives what ``ranked`` gives on all the keys."""
    rng = np.random.default_rng(7)
    for _ in range(300):
        old = pl.Series([f"k{i}" for i in rng.integers(0, 50, rng.integers(0, 30))], dtype=pl.Utf8)
        new = [
            None if rng.random() < 0.1 else f"k{i}"
            for i in rng.integers(0, 60, rng.integers(0, 20))
        ]
        old_codes, old_ids = ranked(old)
        ids, lut, codes = extended(old_ids, pl.Series(new, dtype=pl.Utf8))
        want_codes, want_ids = ranked(pl.concat([old, pl.Series(new, dtype=pl.Utf8)]))
        assert ids.equals(want_ids)
        assert np.array_equal(
            lut[old_codes.to_numpy().astype(np.int64)], want_codes.head(old.len()).to_numpy()
        )
        assert codes.equals(want_codes.tail(len(new)))


def stored_codes_hold(db: sqlite_utils.Database) -> None:
    """The stored codes number the stored keys in id order (an import renumbers them, a
    rebuild ranks afresh): each order's code names its key, the names sorted and distinct."""
    assert cs.ORDERS in cs.current_parts(db.conn)
    keys = cs.load(db, cs.ORDERS, ["customer_key"])
    codes = cs.load(db, cs.ORDERS, [CODE])
    ids = cs.load(db, cs.ORDERS, [IDS])
    assert keys is not None and codes is not None and ids is not None
    keys_, codes_, ids_ = keys.to_series(), codes.to_series(), ids.to_series()
    assert ids_.is_sorted() and ids_.n_unique() == ids_.len()
    assert codes_.is_null().equals(keys_.is_null())
    assert ids_.gather(codes_.drop_nulls()).equals(keys_.drop_nulls(), check_names=False)
    assert ids_.equals(ranked(keys_)[1])  # no key lost its every order in these imports


def costs_agree(db: sqlite_utils.Database, currency: str = "USD") -> pl.DataFrame:
    """``customer_costs`` from the codes equals it from the ids (no snapshot: SQL, hashed)."""
    assert coded_order_costs(db, currency) is not None
    fast, fast_shop = customer_costs(db, currency, None, SETTINGS)
    slow, slow_shop = the_long_way(db, lambda d: customer_costs(d, currency, None, SETTINGS))
    assert_frame_equal(fast, slow, check_exact=True)
    assert fast_shop == slow_shop
    return fast


@pytest.fixture
def db(tmp_path: Path) -> sqlite_utils.Database:
    return open_db(tmp_path / "clv.db")


def test_codes_through_imports_links_and_undo(db, tmp_path) -> None:
    import_file(db, fixture("costs/stripe_fees.csv"))
    stored_codes_hold(db)
    first = costs_agree(db)
    assert first.get_column("fees").sum() > 0
    shopify = import_file(db, fixture("costs/shopify_discounts.csv"))
    stored_codes_hold(db)
    costs_agree(db)
    rows = [("G1", "2024-01-02", "", "jane@example.com"), ("G2", "2024-03-02", "", "a@example.com")]
    import_file(db, generic(tmp_path / "g.csv", rows), fmt="generic")
    linked = import_file(db, stripe(tmp_path / "s.csv", [("ch_9", "2024-02-01", "cus_9",
                                                          "jane@example.com")]))  # fmt: skip
    assert linked.customers_linked == 1
    stored_codes_hold(db)
    people = costs_agree(db).get_column("customer_id").to_list()
    assert "generic:jane@example.com" in people and "stripe:cus_9" not in people
    assert people == sorted(people)
    undo_import(db, shopify.import_id)
    stored_codes_hold(db)
    costs_agree(db)
    assert costs_agree(db, "EUR").height == 0  # no orders in EUR: nobody listed either way


def test_orders_of_the_older_layout_are_read_then_rebuilt(tmp_path) -> None:
    """An orders part written before the customer codes (stamped without the layout): a
    read-only reader costs from its ids, a writer rebuilds it with codes; same numbers."""
    path = tmp_path / "clv.db"
    db = open_db(path)
    import_file(db, fixture("costs/stripe_fees.csv"))
    import_file(db, fixture("costs/shopify_discounts.csv"))
    want = costs_agree(db)
    with db.conn:
        db.conn.execute("DELETE FROM column_snapshots WHERE name IN (?, ?)", (CODE, IDS))
        db.conn.execute(
            "UPDATE column_snapshots SET stamp = ? WHERE part = 'orders'",
            (cs.order_stamp(db.conn),),
        )
    assert cs.current_parts(db.conn) == {cs.LINES}  # stale by its layout
    db.close()
    ro = open_db(path, readonly=True)
    assert coded_order_costs(ro, "USD") is None  # no codes: the ids are grouped
    assert_frame_equal(customer_costs(ro, "USD", None, SETTINGS)[0], want, check_exact=True)
    ro.close()
    db = open_db(path)
    assert coded_order_costs(db, "USD") is not None  # a writer rebuilt it first
    assert cs.current_parts(db.conn) == {cs.ORDERS, cs.LINES}
    stored_codes_hold(db)
    assert_frame_equal(customer_costs(db, "USD", None, SETTINGS)[0], want, check_exact=True)
