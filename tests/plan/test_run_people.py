"""The fit keeps each scored customer's code (``store.run_people``); ``cohorts`` and ``plan``
use them only while they still name the run's ids, and answer exactly as without them."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import polars as pl

from clvtui.ingest import import_file
from clvtui.services.cohorts import cohort_value, read_inputs
from clvtui.services.plan import load_basis, plan
from clvtui.store import open_db
from clvtui.store import run_scores as store
from clvtui.store.run_people import digest, kept_codes, run_ids


def _copy(fitted: Path, tmp_path: Path) -> Path:
    path = tmp_path / "shop.db"
    shutil.copy(fitted, path)
    return path


def _without_kept(path: Path, tmp_path: Path) -> Path:
    """The same file with the kept codes gone: the ids are read and matched as before."""
    bare = tmp_path / "bare.db"
    shutil.copy(path, bare)
    db = open_db(bare)
    db.conn.execute("DELETE FROM run_people")
    db.conn.commit()
    db.conn.close()
    return bare


def test_the_fit_keeps_every_scored_customers_code(fitted: Path) -> None:
    db = open_db(fitted)
    rid = store.latest_run_id(db)
    kept = kept_codes(db.conn, rid)
    assert kept is not None
    codes, _ = kept
    ids = store.scores_columns(db, rid, ["customer_id"])["customer_id"]
    assert codes.size == ids.len() == 500
    inputs = read_inputs(db)
    assert inputs.coded is not None and inputs.scored_codes is not None
    # the codes name the run's ids in the ranking's order, exactly
    assert inputs.coded.people.gather(codes).to_list() == ids.to_list()
    assert inputs.scored["customer_id"].to_list() == ids.to_list()


def test_kept_codes_give_the_same_tables_and_plans(fitted: Path, tmp_path: Path) -> None:
    path = _copy(fitted, tmp_path)
    with_kept, without = open_db(path), open_db(_without_kept(path, tmp_path))
    assert read_inputs(without).scored_codes is None
    for by in (None, "channel", "country"):
        assert cohort_value(with_kept, by=by).to_json() == cohort_value(without, by=by).to_json()
    a, b = load_basis(with_kept, keep_orders=False), load_basis(without, keep_orders=False)
    for goal, months in ((50_000.0, 12), (1_000_000.0, 6), (20_000.0, 24)):
        assert plan(a, goal, months).to_json() == plan(b, goal, months).to_json()


def test_an_import_that_moves_the_codes_makes_them_stale(fitted: Path, tmp_path: Path) -> None:
    """A new customer whose id sorts first moves every code by one: the digest refuses the
    kept codes, the ids are read, and the table is the one of a file without them."""
    path = _copy(fitted, tmp_path)
    first = open_db(path)
    before = read_inputs(first).scored["customer_id"]
    first.conn.close()
    extra = tmp_path / "early.csv"
    extra.write_text(
        "order_id,customer_id,email,order_date,total,currency\n"
        "E1,,aaa.first@example.com,2020-01-02,10.00,USD\n",
        encoding="utf-8",
    )
    db = open_db(path)
    import_file(db, extra, fmt="generic")
    inputs = read_inputs(db)
    assert inputs.coded is not None
    codes = kept_codes(db.conn, inputs.run_id)
    assert codes is not None and run_ids(codes, inputs.coded.people) is None
    assert inputs.scored_codes is None
    assert inputs.scored["customer_id"].to_list() == before.to_list()
    db.conn.close()  # its changes in the file itself before it is copied
    bare, db = open_db(_without_kept(path, tmp_path)), open_db(path)
    assert cohort_value(db).to_json() == cohort_value(bare).to_json()


def test_digest_tells_order_and_content_apart() -> None:
    ids = pl.Series("customer_id", ["a", "b", "c"])
    assert digest(ids) == digest(pl.Series(["a", "b", "c"]))
    assert digest(ids) != digest(pl.Series(["b", "a", "c"]))
    assert digest(ids) != digest(pl.Series(["a", "b", "d"]))
    assert digest(ids) != digest(pl.Series(["a", "b"]))
    people = pl.Series(["a", "b", "c"])
    assert run_ids((np.array([2, 0]), digest(pl.Series(["c", "a"]))), people) is not None
    assert run_ids((np.array([2, 5]), digest(pl.Series(["c", "a"]))), people) is None


def test_a_file_without_the_table_reads_the_ids(tmp_path: Path, fitted: Path) -> None:
    path = _copy(fitted, tmp_path)
    db = open_db(path)
    db.conn.execute("DROP TABLE run_people")
    db.conn.commit()
    assert kept_codes(db.conn, store.latest_run_id(db)) is None
    assert read_inputs(db).scored_codes is None
