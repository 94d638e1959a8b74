"""Each buyer's masks kept in the column snapshot (``store.buyer_masks``): made by imports
and undos, equal to the masks of the lines, giving the same reports as the lines, and left
aside when a run's as-of date leaves purchases out (real imports and fits in tmp dirs)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from polars.testing import assert_frame_equal, assert_series_equal

from clvtui.core.order_masks import ShopMasks, shop_masks
from clvtui.ingest import import_file
from clvtui.services.products import (
    best_next_products,
    product_report,
    report_json,
    run_lines,
    tier_products,
)
from clvtui.store import column_snapshot as cs
from clvtui.store import open_db
from clvtui.store.buyer_masks import BUYERS, is_current, stored_masks
from clvtui.store.history import undo_import
from clvtui.store.order_lines import read_purchase_lines
from tests.ingest.conftest import fixture

LATER = "9999-12-31T23:59:59Z"


def assert_same_masks(got: ShopMasks, want: ShopMasks) -> None:
    assert got.products == want.products
    assert got.customer_id.cast(str).to_list() == want.customer_id.cast(str).to_list()
    for name in ("first", "second", "everything", "code"):
        assert np.array_equal(getattr(got, name), getattr(want, name)), name
    assert_series_equal(got.gap_days, want.gap_days, check_names=False, check_exact=True)


def masks_of_the_lines(db) -> ShopMasks:
    """The masks of every purchase line, read and built the long way (text ids, frame)."""
    shop = shop_masks(read_purchase_lines(db))
    assert shop is not None
    return ShopMasks(
        shop.products, shop.customer_id, shop.first, shop.second, shop.everything,
        shop.gap_days, np.arange(shop.first.size),
    )  # fmt: skip


def without_kept_masks(path: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "no-masks.db"
    shutil.copy(path, copy)
    db = open_db(copy)
    with db.conn:
        db.conn.execute("DELETE FROM column_snapshots WHERE part = ?", (BUYERS,))
    db.close()
    return copy


def test_the_kept_masks_give_the_reports_of_the_lines(demo_db: Path, tmp_path: Path) -> None:
    kept = open_db(demo_db, readonly=True)
    read = open_db(without_kept_masks(demo_db, tmp_path), readonly=True)
    assert is_current(kept) and not is_current(read)
    assert run_lines(kept).coded is None  # no line read
    assert run_lines(read).coded is not None
    for tier in (None, "Highly profitable", "Profitable"):
        want = report_json(product_report(read, tier=tier))
        assert want["customers_with_lines"] > 0 and want["entry_products"]
        assert report_json(product_report(kept, tier=tier)) == want
    assert_frame_equal(best_next_products(kept), best_next_products(read), check_exact=True)
    some = run_lines(read).values.get_column("customer_id").head(50).to_list()
    assert_frame_equal(
        best_next_products(kept, customers=some), best_next_products(read, customers=some)
    )
    mine, theirs = tier_products(kept, None, "Profitable"), tier_products(read, None, "Profitable")
    assert_frame_equal(mine.next_products, theirs.next_products, check_exact=True)


def test_a_run_keeps_its_own_people_as_the_codes_give_them(demo_db: Path, tmp_path: Path) -> None:
    """``of_people`` on every buyer's masks equals the masks read by customer code for the run's
    people (the read when no masks are kept), row for row, codes and value rows included."""
    kept = open_db(demo_db, readonly=True)
    read = open_db(without_kept_masks(demo_db, tmp_path), readonly=True)
    data = run_lines(read)
    want = data.masks()
    assert want is not None
    ids = data.values.get_column("customer_id")
    everyone = stored_masks(kept, LATER)
    assert everyone is not None
    got, rows = everyone.of_people(ids)
    assert_same_masks(got, want)
    assert np.array_equal(rows, data.value_rows())
    assert 0 < got.code.size < everyone.code.size + 1


def test_a_run_whose_as_of_leaves_purchases_out_reads_the_lines(demo_db: Path) -> None:
    db = open_db(demo_db, readonly=True)
    (last,) = db.conn.execute(
        "SELECT max(ordered_at) FROM orders WHERE is_purchase = 1 AND customer_key IS NOT NULL"
    ).fetchone()
    assert stored_masks(db, last) is not None
    assert stored_masks(db, "2000-01-01T23:59:59Z") is None
    before = last[:10] + "T00:00:00Z"
    assert before < last and stored_masks(db, before) is None


def lines_csv(path: Path, rows: list[tuple[str, str, str, str]]) -> Path:
    """(order, customer, date, product) → a generic CSV of 10.00 lines."""
    text = ["order,customer,date,product,sku,quantity,amount"]
    text += [f"{o},{c},{d},{p},{p.upper()},1,10.00" for o, c, d, p in rows]
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    return path


def test_imports_and_undo_keep_the_masks_those_of_the_lines(tmp_path: Path) -> None:
    db = open_db(tmp_path / "clv.db")
    import_file(db, fixture("lines/products_shop.csv"))
    assert_same_masks(stored_or_fail(db), masks_of_the_lines(db))
    rows = [("n1", "c1", "2024-01-01", "Tea"), ("n2", "c9", "2023-12-01", "Tea"),
            ("n2", "c9", "2023-12-01", "Mug"), ("n3", "c9", "2024-03-01", "Coffee")]  # fmt: skip
    added = import_file(db, lines_csv(tmp_path / "more.csv", rows), fmt="generic")
    got = stored_or_fail(db)
    at = got.customer_id.to_list().index("generic:c9")  # Mug + Tea, then Coffee 91 days later
    bit = {name: 1 << i for i, name in enumerate(got.products)}
    assert (int(got.first[at]), int(got.second[at])) == (bit["Mug"] | bit["Tea"], bit["Coffee"])
    assert got.gap_days[int((got.second[: at + 1] != 0).sum()) - 1] == 91.0
    assert_same_masks(got, masks_of_the_lines(db))
    undo_import(db, added.import_id)
    assert_same_masks(stored_or_fail(db), masks_of_the_lines(db))


def test_more_products_than_a_mask_holds_keep_no_masks(tmp_path: Path) -> None:
    db = open_db(tmp_path / "clv.db")
    rows = [(f"o{i}", f"c{i % 40}", f"2024-01-{1 + i % 28:02d}", f"p{i}") for i in range(70)]
    import_file(db, lines_csv(tmp_path / "wide.csv", rows), fmt="generic")
    assert {cs.ORDERS, cs.LINES} <= cs.current_parts(db.conn)
    assert stored_masks(db, LATER) is None
    assert (
        db.conn.execute("SELECT count(*) FROM column_snapshots WHERE part = 'buyers'").fetchone()[0]
        == 0
    )


def stored_or_fail(db) -> ShopMasks:
    assert is_current(db)
    kept = stored_masks(db, LATER)
    assert kept is not None
    return kept


@pytest.fixture(scope="module")
def demo_db(demo_2000: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The session's fitted demo shop (2,000 customers, seed 7, Shopify), this module's copy:
    a file copy instead of a second import and fit of the same shop."""
    from tests.dbfiles import private_copy

    return private_copy(demo_2000, tmp_path_factory.mktemp("buyer-masks"))


def test_orders_in_time_order_but_an_appended_tail_sort_as_a_full_sort() -> None:
    """``time_order`` merges a short out-of-order tail (older orders imported later) into
    the sorted head: the same order as sorting by (time, key), ties included."""
    import polars as pl

    from clvtui.core.order_masks import time_order

    rng = np.random.default_rng(3)
    merged = 0
    for _ in range(300):
        n, days = int(rng.integers(2, 400)), int(rng.integers(1, 30))
        t = np.sort(rng.integers(0, days, n))
        tail = int(rng.integers(0, n // 6 + 1))
        t[n - tail :] = rng.integers(0, days, tail)
        at = pl.Series([f"2024-01-{1 + d:02d}T00:00:00Z" for d in t])
        key = np.arange(n) * 3 + 5
        frame = pl.DataFrame({"at": at, "key": key})
        want = frame.select(pl.arg_sort_by("at", "key")).to_series().to_numpy()
        order, rank = time_order(at, key, True)
        assert np.array_equal(order, want)
        assert np.array_equal(rank[order], np.arange(n))
        merged += int(not at.is_sorted() and 8 * tail <= n)
    assert merged > 50  # the merge itself was exercised, not only the full sort
