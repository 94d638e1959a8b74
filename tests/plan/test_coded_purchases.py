"""The coded purchases read (customer codes out of the column snapshot) gives exactly the rows
of ``purchases_frame`` — linked keys, several currencies, an as-of date — and the scored ids
find their codes by hash, or by a join when a scored customer has no purchase."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from clvtui.errors import NoDataError
from clvtui.ingest import import_file
from clvtui.insights.cohort_sums import coded_customers, customer_codes
from clvtui.store import open_db
from clvtui.store.coded_purchases import coded_purchases
from clvtui.store.reads import purchases_frame


def _shop(tmp_path: Path) -> Path:
    """Two sources whose keys are linked by e-mail, orders in USD and EUR (one refunded in
    part, one not a purchase), over three months."""
    generic = tmp_path / "g.csv"
    generic.write_text(
        "order_id,customer_id,email,order_date,total,currency\n"
        "G1,,jane@example.com,2024-01-02,10.00,USD\n"
        "G2,,jane@example.com,2024-02-10,20.50,USD\n"
        "G3,,bob@example.com,2024-01-20,7.25,EUR\n"
        "G4,,bob@example.com,2024-03-01,8.00,USD\n"
        "G5,,zed@example.com,2024-03-30,99.00,USD\n",
        encoding="utf-8",
    )
    stripe = tmp_path / "s.csv"
    stripe.write_text(
        "id,Created date (UTC),Amount,Amount Refunded,Currency,Captured,Status,Customer ID,"
        "Customer Email\n"
        "ch_1,2024-02-03 10:00:00,15.00,5.00,usd,true,Paid,cus_9,jane@example.com\n"
        "ch_2,2024-03-03 23:30:00,12.00,0.00,eur,true,Paid,cus_5,ann@example.com\n"
        "ch_3,2024-03-04 08:00:00,30.00,0.00,usd,true,Paid,cus_5,ann@example.com\n",
        encoding="utf-8",
    )
    path = tmp_path / "shop.db"
    db = open_db(path)
    import_file(db, generic, fmt="generic")
    report = import_file(db, stripe)
    assert report.customers_linked == 1  # cus_9 is Jane
    db.conn.close()
    return path


@pytest.mark.parametrize(
    ("until", "currency"),
    [(None, None), (None, "EUR"), ("2024-03-01", "usd"), (dt.date(2024, 2, 10), None)],
)
def test_coded_purchases_are_the_purchases_frame(tmp_path: Path, until, currency) -> None:
    db = open_db(_shop(tmp_path))
    want = purchases_frame(db, until=until, currency=currency)
    got = coded_purchases(db, until=until, currency=currency)
    assert got is not None and got.currency == want["currency"][0]
    ids = got.people.gather(got.codes)
    assert ids.to_list() == want["customer_id"].to_list()
    assert got.frame["ordered_at"].to_list() == want["ordered_at"].dt.date().to_list()
    assert got.frame["amount"].to_list() == want["amount"].to_list()
    assert got.people.is_sorted() and got.people.n_unique() == got.people.len()
    assert "stripe:cus_9" not in got.people.to_list()  # linked: Jane's person id instead


def test_coded_purchases_say_what_purchases_frame_says(tmp_path: Path) -> None:
    path = _shop(tmp_path)
    db = open_db(path)
    with pytest.raises(NoDataError, match="no purchases in JPY"):
        coded_purchases(db, currency="JPY")
    with pytest.raises(NoDataError, match="no purchases with a customer"):
        coded_purchases(open_db(tmp_path / "empty.db"))
    db.conn.execute("DELETE FROM column_snapshots")
    db.conn.commit()
    stale = open_db(path, readonly=True)  # cannot rebuild it: the caller reads the texts
    assert coded_purchases(stale) is None
    assert coded_purchases(db) is not None  # a connection that may write rebuilds it first


def test_scored_ids_find_their_codes_and_newcomers_get_their_own() -> None:
    people = pl.Series(["a:1", "a:2", "b:7", "c:3"])
    orders = np.array([2, 0, 0, 3, 1], dtype=np.uint32)
    scored = pl.Series("customer_id", ["c:3", "z:9", "a:1", "b:7", "y:0"])
    codes = coded_customers(people, orders, scored)
    assert codes.scored.tolist() == [3, 4, 0, 2, 5] and codes.count == 6
    assert codes.orders is orders
    # the same partition of the customers as hashing every id (the texts' route)
    frame = pl.DataFrame({"customer_id": people.gather(orders)})
    texts = customer_codes(frame, scored.to_frame())
    both = np.concatenate([codes.orders, codes.scored])
    again = np.concatenate([texts.orders, texts.scored])
    pairs = set(zip(both.tolist(), again.tolist(), strict=True))
    assert len(pairs) == len({a for a, _ in pairs}) == len({b for _, b in pairs})
    assert coded_customers(pl.Series([], dtype=pl.Utf8), orders[:0], scored[:2]).count == 2
