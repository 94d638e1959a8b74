"""A database written by the previous schema (un-namespaced customer ids) migrates and fits.

``fixtures/legacy/schema1.db`` was made by the code at commit ec4b966 (schema 1): it imported
``fixtures/legacy/generic.csv`` (generic: customer 14, jane@example.com, 77) and then
``fixtures/legacy/stripe.csv`` (Stripe customer id 14 and jane's e-mail), and fitted once. That
code merged generic 14 with Stripe 14 (equal ids) and jane's orders of both sources (equal
e-mail ids), and stored the fit's scores under the bare ids.
"""

from __future__ import annotations

import shutil

from clvtui.store import SCHEMA_VERSION, open_db
from clvtui.store.runs import customer_orders, ranked_customers
from tests.ingest.conftest import FIXTURES


def test_schema1_database_migrates_and_fits(tmp_path) -> None:
    from clvtui.pipeline import fit_run

    path = tmp_path / "old.db"
    shutil.copy(FIXTURES / "legacy" / "schema1.db", path)
    db = open_db(path)
    assert db.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    keys = dict(db.conn.execute("SELECT order_id, customer_key FROM orders"))
    assert keys == {
        "G1": "generic:14", "G2": "generic:14", "G3": "generic:jane@example.com",
        "G4": "generic:77", "ch_1": "stripe:14", "ch_2": "stripe:jane@example.com",
        "ch_3": "stripe:jane@example.com",
    }  # fmt: skip
    # equal ids of two sources are two people now; an e-mail id stays one person (a link)
    people = dict(db.conn.execute("SELECT customer_id, sources FROM customers"))
    assert people == {
        "generic:14": "generic", "generic:77": "generic",
        "generic:jane@example.com": "generic, stripe", "stripe:14": "stripe",
    }  # fmt: skip
    assert db["customers"].get("stripe:14")["first_order_at"] == "2024-02-01T10:00:00Z"
    assert list(db.conn.execute("SELECT customer_key, customer_id FROM customer_links")) == [
        ("stripe:jane@example.com", "generic:jane@example.com")]  # fmt: skip
    # the old run's scores follow their customers; its ranking is rebuilt from them
    old = ranked_customers(db, 1)
    assert sorted(old["customer_id"]) == ["generic:14", "generic:77", "generic:jane@example.com"]
    assert old.filter(old["customer_id"] == "generic:jane@example.com")["orders"][0] == 3
    assert customer_orders(db, "generic:jane@example.com")["order_id"].to_list() == [
        "G3", "ch_2", "ch_3"]  # fmt: skip
    imports = list(db.conn.execute("SELECT id, currencies, undone_at FROM imports"))
    assert imports == [(1, "USD", None), (2, "USD", None)]
    run = fit_run(db)
    assert run.report["n_customers"] == 4  # generic 14 and Stripe 14 apart
    assert run.report["currencies"]["left_out"] == []
