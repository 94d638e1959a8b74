"""``clvtui runs`` and ``runs prune`` on a real SQLite file holding three CDNOW runs."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clvtui.cli import app
from clvtui.store import SCHEMA_VERSION, open_db
from tests.dbfiles import checkpoint, private_copy
from tests.insights.conftest import CDNOW_SETTINGS, score_cdnow
from tests.insights.dbutil import save_scores

runner = CliRunner()
CUSTOMERS = 2357


@pytest.fixture(scope="module")
def three_runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("runs") / "shop.db"
    for i, margin in enumerate((0.25, 0.28, 0.30), start=1):
        settings = CDNOW_SETTINGS.with_changes(margin=margin)
        save_scores(path, score_cdnow(settings), settings, f"2026-0{i}-01T00:00:00Z")
    db = open_db(path)
    db["customers"].insert_all(
        {"customer_id": c, "email": f"c{c}@example.com", "name": f"N{c}"}
        for c in score_cdnow(CDNOW_SETTINGS)["customer_id"].to_list()
    )
    db.conn.close()
    return checkpoint(path)


@pytest.fixture
def db(three_runs: Path, tmp_path: Path) -> Path:
    return private_copy(three_runs, tmp_path)


def run(db: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, [*args, "--db", str(db)])
    assert not (result.exception and not isinstance(result.exception, SystemExit)), result.exception
    return result.exit_code, result.stdout, result.stderr


def ok_json(db: Path, *args: str) -> dict:
    code, out, err = run(db, *args, "--json")
    assert code == 0, err
    return json.loads(out)


def one_error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    return lines[0]


def scores_per_run(db: Path) -> dict[int, int]:
    """Customers stored per run: rows (runs stored before the blob layout) or blob rows."""
    from clvtui.store.runs import scores_frame
    from clvtui.store.schema import RANKING_FORMAT

    with sqlite3.connect(db) as conn:
        rows = dict(conn.execute("SELECT run_id, count(*) FROM scores GROUP BY run_id"))
        blobs = [r for (r,) in conn.execute("SELECT run_id FROM run_frames WHERE format = ?",
                                            (RANKING_FORMAT,))]  # fmt: skip
    stored = open_db(db)
    try:
        return rows | {r: scores_frame(stored, r).height for r in blobs}
    finally:
        stored.conn.close()


def test_runs_lists_every_fit_with_its_size(db: Path) -> None:
    doc = ok_json(db, "runs")
    assert [r["id"] for r in doc["runs"]] == [3, 2, 1]
    equity = {r["id"]: r["customer_equity"] for r in doc["runs"]}
    assert equity[3] == pytest.approx(float(score_cdnow(CDNOW_SETTINGS)["clv"].sum()), rel=1e-12)
    for r in doc["runs"]:
        assert r["n_customers"] == CUSTOMERS and r["currency"] == "USD"
        assert r["pruned_at"] is None and r["model"] == "bgnbd"
    # each run's rows and cache are the same size: an equal share of what they occupy
    sizes = [r["size_bytes"] for r in doc["runs"]]
    assert max(sizes) - min(sizes) <= 0.05 * max(sizes)
    assert sum(sizes) < doc["file_bytes"]
    code, out, _ = run(db, "runs")
    assert code == 0 and "bgnbd" in out and "2,357" in out


def test_dry_run_changes_nothing(db: Path) -> None:
    before = ok_json(db, "runs")
    doc = ok_json(db, "runs", "prune", "--keep", "1", "--dry-run")
    assert doc["dry_run"] and [r["id"] for r in doc["pruned"]] == [2, 1]
    assert doc["bytes_freed"] == sum(r["size_bytes"] for r in before["runs"][1:])
    assert ok_json(db, "runs")["runs"] == before["runs"]
    assert scores_per_run(db) == {1: CUSTOMERS, 2: CUSTOMERS, 3: CUSTOMERS}
    code, out, _ = run(db, "runs", "prune", "--keep", "1", "--dry-run")
    assert code == 0 and "Would drop" in out and "Nothing changed" in out


def test_prune_keeps_trends_and_refuses_a_pruned_runs_customers(db: Path) -> None:
    trends_before = ok_json(db, "trends")
    listed = ok_json(db, "runs")["runs"]
    doc = ok_json(db, "runs", "prune", "--keep", "2")
    assert [r["id"] for r in doc["pruned"]] == [1] and doc["kept_run_ids"] == [3, 2]
    # the deleted pages are free inside the file, ready for the next fit
    assert doc["free_bytes"] == pytest.approx(listed[-1]["size_bytes"], rel=0.15)
    assert scores_per_run(db) == {2: CUSTOMERS, 3: CUSTOMERS}
    assert ok_json(db, "trends") == trends_before  # every fit's tiers and equity remain
    after = {r["id"]: r for r in ok_json(db, "runs")["runs"]}
    assert after[1]["pruned_at"] and after[1]["size_bytes"] == 0
    assert after[1]["customer_equity"] == listed[-1]["customer_equity"]

    for args in (
        ("rank", "--run", "1"),
        ("export", "--run", "1", "--all", "-o", str(db.parent / "x.csv")),
        ("segments", "--run", "1"),
        ("budget", "--run", "1", "--total", "100"),
    ):
        code, out, err = run(db, *args)
        assert code == 1 and out == "", args
        assert "run 1 was pruned" in one_error_line(err)
    assert not (db.parent / "x.csv").exists()

    # the kept runs work as before; moved compares the latest two (both kept)
    code, out, _ = run(db, "rank", "--run", "2", "--top", "3")
    assert code == 0 and out.startswith("Run 2")
    moved = ok_json(db, "moved")
    assert moved["previous_run_id"] == 2 and moved["customers_compared"] == CUSTOMERS
    code, _, err = run(db, "moved", "--run", "2")
    assert code == 1 and "run 1, the fit before run 2, was pruned" in one_error_line(err)
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)


def test_prune_is_idempotent_and_vacuum_shrinks_the_file(db: Path) -> None:
    first = ok_json(db, "runs", "prune", "--keep", "1")
    assert [r["id"] for r in first["pruned"]] == [2, 1]
    again = ok_json(db, "runs", "prune", "--keep", "1", "--vacuum")
    assert again["pruned"] == [] and again["already_pruned_run_ids"] == [2, 1]
    v = again["vacuum"]
    assert v["file_bytes_after"] <= v["file_bytes_before"] - 0.8 * first["bytes_freed"]
    code, _, err = run(db, "moved")
    assert code == 1 and "run 2, the fit before run 3, was pruned" in one_error_line(err)
    code, out, _ = run(db, "rank", "--top", "1")
    assert code == 0 and out.startswith("Run 3")


@pytest.mark.parametrize("keep", ["0", "-1"])
def test_keep_must_leave_the_latest_fit(db: Path, keep: str) -> None:
    code, _, err = run(db, "runs", "prune", "--keep", keep)
    assert code == 1 and "--keep must be at least 1" in one_error_line(err)
    assert scores_per_run(db) == {1: CUSTOMERS, 2: CUSTOMERS, 3: CUSTOMERS}


def test_runs_on_an_empty_database(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    open_db(path).conn.close()
    code, out, _ = run(path, "runs")
    assert code == 0 and "No fits yet" in out
    doc = ok_json(path, "runs", "prune", "--keep", "3")
    assert doc["pruned"] == [] and doc["kept_run_ids"] == []


def test_a_prune_that_fails_midway_changes_nothing(db: Path) -> None:
    """Fault injection: the second run's stamp fails after the first run's rows were deleted
    in the same transaction; every run keeps its customers."""
    from clvtui.store.run_storage import prune_runs

    conn = open_db(db)
    conn.conn.execute(
        "CREATE TRIGGER injected BEFORE UPDATE OF pruned_at ON runs WHEN NEW.id = 1 "
        "BEGIN SELECT RAISE(ABORT, 'injected fault'); END"
    )
    with pytest.raises(sqlite3.IntegrityError, match="injected fault"):
        prune_runs(conn, 1)
    conn.conn.close()
    assert scores_per_run(db) == {1: CUSTOMERS, 2: CUSTOMERS, 3: CUSTOMERS}
    assert all(r["pruned_at"] is None for r in ok_json(db, "runs")["runs"])
    code, out, _ = run(db, "rank", "--run", "2", "--top", "1")
    assert code == 0 and out.startswith("Run 2")


def test_keep_counts_the_newest_fits_and_never_claims_a_pruned_one(db: Path) -> None:
    ok_json(db, "runs", "prune", "--keep", "2")
    doc = ok_json(db, "runs", "prune", "--keep", "3", "--dry-run")
    assert doc["pruned"] == [] and doc["kept_run_ids"] == [3, 2]
    assert doc["already_pruned_run_ids"] == [1]
    code, out, _ = run(db, "runs", "prune", "--keep", "3")
    assert code == 0 and "run 1) were pruned already" in out and "run 3, 2." in out
