"""Kill -9 at the worst moments: the database is always the old state or the new one.

A real child process is SIGKILLed inside each write transaction (``CLVTUI_TEST_KILL_AT``:
``written`` = everything written, COMMIT not yet done; ``committed`` = just after), or after
a random delay in the middle of an import. Afterwards the file passes ``PRAGMA
integrity_check``, holds exactly the old or the new content, and the next commands work.
"""

from __future__ import annotations

import random
import shutil
import signal
import sqlite3
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clvtui.cli import app
from clvtui.ingest import import_file
from clvtui.store import SCHEMA_VERSION, open_db
from clvtui.store.run_scores import latest_run_id
from clvtui.store.runs import scores_frame
from tests.store.conftest import SHOP_EXPORT, clvtui, content, integrity, start

runner = CliRunner()


def killed_at(point: str, *args: str | Path) -> None:
    done = clvtui(*args, env={"CLVTUI_TEST_KILL_AT": point})
    assert done.returncode == -signal.SIGKILL, (point, done.stderr)


def still_works(db: Path) -> None:
    """Integrity, then the commands a user runs next (in-process: the file is what matters)."""
    assert integrity(db) == "ok"
    for command in (("segments", "--json"), ("settings", "--json"), ("rank", "--top", "1")):
        result = runner.invoke(app, [*command, "--db", str(db)])
        assert result.exit_code == 0, (command, result.output)


def test_kill_during_schema_creation(tmp_path: Path) -> None:
    db = tmp_path / "new.db"
    killed_at("schema:written", "import", SHOP_EXPORT, "--db", db)
    conn = sqlite3.connect(db)  # the old state: an empty file, no half-made tables
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0
    conn.close()
    assert integrity(db) == "ok"
    import_file(open_db(db), SHOP_EXPORT)  # the next import completes the setup
    assert len(content(db)["orders"]) == 9  # type: ignore[arg-type]

    db2 = tmp_path / "new2.db"
    killed_at("schema:committed", "settings", "--set", "margin=30%", "--db", db2)
    conn = sqlite3.connect(db2)  # the new state: the whole schema, no settings yet
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    conn.close()
    assert content(db2)["settings"] == [] and integrity(db2) == "ok"
    result = runner.invoke(app, ["settings", "--set", "margin=30%", "--db", str(db2)])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("stage", ["written", "committed"])
def test_kill_during_an_import(stage: str, shop: Path, tmp_path: Path) -> None:
    reference = tmp_path / "reference.db"  # the same import, not killed
    shutil.copy(shop, reference)
    import_file(open_db(reference), SHOP_EXPORT)
    before = content(shop)
    killed_at(f"import:{stage}", "import", SHOP_EXPORT, "--db", shop)
    assert content(shop) == (before if stage == "written" else content(reference))
    still_works(shop)


@pytest.mark.parametrize("stage", ["written", "committed"])
def test_kill_during_a_fit_save(stage: str, shop: Path) -> None:
    before = content(shop)
    killed_at(f"fit:{stage}", "fit", "--model", "bgnbd", "--db", shop)
    after = content(shop)
    if stage == "written":
        assert after == before
    else:
        added = {k: after[k] - before[k] for k in ("runs", "run_frames")}  # type: ignore[operator]
        assert added == {"runs": 1, "run_frames": 1}
        # the run's scores: one blob (store.ranking_blob) holding every customer, no rows
        assert after["scores"] == before["scores"]
        stored = open_db(shop)
        assert scores_frame(stored, latest_run_id(stored)).height == 2_357
        stored.conn.close()
    still_works(shop)


def test_kill_during_a_settings_change(shop: Path) -> None:
    before = content(shop)
    killed_at("settings:written", "settings", "--set", "margin=30%", "--db", shop)
    assert content(shop) == before
    still_works(shop)


def test_kill_at_a_random_moment_of_an_import(
    shop: Path, tmp_path: Path, cdnow_exports: tuple[Path, Path]
) -> None:
    """Wherever the kill lands (reading, writing, committing), old or new, nothing between."""
    import polars as pl

    orders = pl.read_csv(cdnow_exports[0], schema_overrides={"customer": pl.Utf8})
    rng = random.Random(10)
    for trial in range(3):
        export = tmp_path / f"more{trial}.csv"  # 28,640 orders of new customers
        pl.concat(
            [orders.with_columns(customer=pl.format(f"T{trial}-{i}-{{}}", "customer"))
             for i in range(5)]
        ).write_csv(export)  # fmt: skip
        before = content(shop)
        child = start("import", export, "--format", "generic", "--db", shop)
        time.sleep(rng.uniform(0.5, 4.0))
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=60)
        assert integrity(shop) == "ok"
        now = content(shop)
        if now != before:  # the import had committed: all of it is there
            assert len(now["orders"]) - len(before["orders"]) == 5 * orders.height  # type: ignore[arg-type]
            assert now["imports"] == before["imports"] + 1  # type: ignore[operator]
    still_works(shop)
