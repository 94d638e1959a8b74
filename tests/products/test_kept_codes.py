"""``products`` by the run's kept codes (``store.run_people``) and the buyers' kept codes
(``store.buyer_masks.coded_masks``): each value row finds its buyer row by code, no ids are
matched, and every report is the one of the ids matched as before (real demo file, tmp dir)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from polars.testing import assert_frame_equal

from clvtui.services.products import (
    best_next_products,
    product_report,
    report_json,
    run_lines,
    tier_products,
)
from clvtui.store import open_db
from clvtui.store import run_scores as store
from clvtui.store.buyer_masks import coded_masks, stored_masks
from clvtui.store.run_people import kept_codes, run_ids

LATER = "9999-12-31T23:59:59Z"


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from clvtui.services.demo import build_demo
    from tests.dbfiles import checkpoint

    path = tmp_path_factory.mktemp("kept-codes") / "demo.db"
    build_demo(path, customers=1_500, fmt="shopify", seed=11, fresh=False)
    return checkpoint(path)


def without_kept_codes(path: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "no-codes.db"
    shutil.copy(path, copy)
    db = open_db(copy)
    with db.conn:
        db.conn.execute("DELETE FROM run_people")
    db.close()
    return copy


def test_the_buyers_codes_name_their_ids(demo_db: Path) -> None:
    db = open_db(demo_db, readonly=True)
    coded, plain = coded_masks(db, LATER), stored_masks(db, LATER)
    assert coded is not None and plain is not None
    shop, people = coded
    assert people.is_sorted() and shop.code.size == plain.code.size > 1_000
    assert shop.customer_id.to_list() == plain.customer_id.to_list()
    assert people.gather(shop.code).to_list() == plain.customer_id.to_list()
    for name in ("first", "second", "everything"):
        assert np.array_equal(getattr(shop, name), getattr(plain, name)), name


def test_kept_codes_give_the_reports_of_the_matched_ids(demo_db: Path, tmp_path: Path) -> None:
    kept = open_db(demo_db, readonly=True)
    read = open_db(without_kept_codes(demo_db, tmp_path), readonly=True)
    fast, slow = run_lines(kept), run_lines(read)
    rid = store.latest_run_id(kept)
    ids = store.scores_columns(kept, rid, ["customer_id"])["customer_id"]
    coded = coded_masks(kept, LATER)
    assert coded is not None  # the codes are current: the fast path is the one taken
    assert run_ids(kept_codes(kept.conn, rid), coded[1]) is not None
    assert kept_codes(read.conn, rid) is None
    assert fast.values.get_column("customer_id").to_list() == ids.to_list()
    assert_frame_equal(fast.values, slow.values, check_exact=True)
    assert np.array_equal(fast.value_rows(), slow.value_rows())
    a, b = fast.masks(), slow.masks()
    assert a is not None and b is not None and np.array_equal(a.code, b.code)
    assert a.customer_id.to_list() == b.customer_id.to_list()
    for tier in (None, "Highly profitable", "Profitable"):
        want = report_json(product_report(read, tier=tier))
        assert want["customers_with_lines"] > 0
        assert report_json(product_report(kept, tier=tier)) == want
    assert_frame_equal(best_next_products(kept), best_next_products(read), check_exact=True)
    some = slow.values.get_column("customer_id").head(40).to_list()
    assert_frame_equal(
        best_next_products(kept, customers=some), best_next_products(read, customers=some)
    )
    mine, theirs = tier_products(kept, None, "Profitable"), tier_products(read, None, "Profitable")
    assert_frame_equal(mine.next_products, theirs.next_products, check_exact=True)
