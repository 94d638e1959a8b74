"""Opening the database: refusals leave the file byte-identical; reading never writes.

Every command runs through Typer (in-process, real files): a file that is not SQLite, another
program's database, a half-created or a newer clvtui file is refused with one line naming it,
exit code 1, the same bytes afterwards and no file created beside it.
"""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clvtui.cli import app
from clvtui.store import SCHEMA_VERSION, StoreError, open_db
from clvtui.store.opening import APPLICATION_ID, _statements
from clvtui.store.schema import MIGRATIONS
from tests.store.conftest import SHOP_EXPORT, one_error_line, sha

runner = CliRunner()


def invoke(*args: str | Path) -> tuple[int, str, str]:
    result = runner.invoke(app, [str(a) for a in args])
    assert not (result.exception and not isinstance(result.exception, SystemExit)), result.exception
    return result.exit_code, result.stdout, result.stderr


def spend_csv(folder: Path) -> Path:
    path = folder / "spend.csv"
    path.write_text("month,channel,amount\n2026-01,ads,100.00\n", encoding="utf-8")
    return path


def read_commands(folder: Path) -> list[tuple[str, ...]]:
    return [
        ("segments",), ("budget", "--total", "1000"), ("rank",), ("profile",),
        ("whatif", "--margin", "40%"), ("moved",), ("trends",), ("settings",), ("spend", "cac"),
        ("export", "--all", "-o", str(folder / "x.csv")),
    ]  # fmt: skip


def write_commands(folder: Path) -> list[tuple[str, ...]]:
    return [
        ("import", str(SHOP_EXPORT)), ("fit",), ("settings", "--set", "margin=30%"),
        ("spend", "import", str(spend_csv(folder))),
    ]  # fmt: skip


def _sqlite_file(path: Path, statements: list[str], *, wal: bool = False) -> None:
    conn = sqlite3.connect(path)
    if wal:
        conn.execute("PRAGMA journal_mode=WAL")
    for statement in statements:
        conn.execute(statement)
    conn.commit()
    conn.close()


def _make(kind: str, path: Path) -> str:
    """Write one kind of unusable file at ``path``; return what the refusal must say."""
    ours = _statements(MIGRATIONS[0])
    if kind == "random-bytes":
        path.write_bytes(bytes(range(256)) * 20)
        return "is not a clvtui database (it is not an SQLite file)"
    if kind == "csv":
        path.write_text(SHOP_EXPORT.read_text(encoding="utf-8"), encoding="utf-8")
        return "is not a clvtui database (it is not an SQLite file)"
    if kind == "other-program":
        _sqlite_file(path, ["CREATE TABLE notes (id INTEGER, body TEXT)",
                            "INSERT INTO notes VALUES (1, 'keep me')"])  # fmt: skip
        return "is another program's SQLite database (tables notes), not clvtui's"
    if kind == "other-program-wal":
        _sqlite_file(path, ["CREATE TABLE items (x)", "CREATE TABLE orders (y)"], wal=True)
        return "is another program's SQLite database (tables items, orders), not clvtui's"
    if kind == "other-program-versioned":
        _sqlite_file(path, ["CREATE TABLE customers (id)", "PRAGMA user_version = 3"])
        return "is another program's SQLite database (tables customers), not clvtui's"
    if kind == "other-application-id":
        _sqlite_file(path, [*ours, "PRAGMA user_version = 1", "PRAGMA application_id = 42"])
        return "is another program's SQLite database"
    if kind == "half-created":  # what a kill during the old, non-atomic setup left behind
        _sqlite_file(path, ours[:3])
        return "was left half-created by an interrupted clvtui"
    if kind == "newer":
        _sqlite_file(path, [*ours, f"PRAGMA user_version = {SCHEMA_VERSION + 5}",
                            f"PRAGMA application_id = {APPLICATION_ID}"])  # fmt: skip
        return f"was written by a newer clvtui (schema {SCHEMA_VERSION + 5} > {SCHEMA_VERSION})"
    raise AssertionError(kind)


KINDS = ["random-bytes", "csv", "other-program", "other-program-wal", "other-program-versioned",
         "other-application-id", "half-created", "newer"]  # fmt: skip


@pytest.mark.parametrize("kind", KINDS)
def test_unusable_files_are_refused_unchanged(kind: str, tmp_path: Path) -> None:
    db = tmp_path / "their.db"
    expected = _make(kind, db)
    before = sha(db)
    beside = sorted(p.name for p in tmp_path.iterdir())
    for command in read_commands(tmp_path) + write_commands(tmp_path):
        code, out, err = invoke(*command, "--db", db)
        assert code == 1, (command, out, err)
        line = one_error_line(err)
        assert str(db) in line and expected in line, (command, line)
        assert out == ""
        assert sha(db) == before, command
    # nothing created beside it (no -wal/-shm/-journal, no export)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted({*beside, "spend.csv"})


def test_the_tui_refuses_them_too(tmp_path: Path) -> None:
    db = tmp_path / "their.db"
    expected = _make("other-program", db)
    before = sha(db)
    code, _, err = invoke("--db", db)
    assert code == 1 and expected in one_error_line(err)
    assert sha(db) == before


def test_a_folder_is_not_a_database(tmp_path: Path) -> None:
    for command in (("segments",), ("import", str(SHOP_EXPORT))):
        code, _, err = invoke(*command, "--db", tmp_path)
        assert code == 1
        assert one_error_line(err) == f"error: {tmp_path} is a folder, not a database file; " \
            "give a file name with --db"  # fmt: skip


def test_reading_commands_never_write(shop: Path, tmp_path: Path) -> None:
    before = sha(shop)
    mtime = shop.stat().st_mtime_ns
    for command in read_commands(tmp_path):
        code, out, err = invoke(*command, "--db", shop)
        if command == ("spend", "cac"):  # this shop has no spend: a plain refusal, no write
            assert code == 1 and "no marketing spend yet" in one_error_line(err)
            continue
        assert code == 0, (command, err)
        assert out
    assert sha(shop) == before and shop.stat().st_mtime_ns == mtime
    wal = Path(f"{shop}-wal")
    assert not wal.exists() or wal.stat().st_size == 0  # a reader leaves at most an empty WAL


def test_a_reading_command_leaves_no_log_beside_the_file(shop: Path) -> None:
    """Read-only connections cannot remove the -wal/-shm SQLite makes for them; the console
    script's end folds them in (the real process: CliRunner never ends one)."""
    import subprocess
    import sys

    script = Path(sys.executable).parent / "clvtui"
    before, mtime = sha(shop), shop.stat().st_mtime_ns
    for command in (["segments", "--json"], ["settings"]):
        done = subprocess.run([str(script), *command, "--db", str(shop)], capture_output=True)
        assert done.returncode == 0, done.stderr
        assert sorted(p.name for p in shop.parent.iterdir() if p.name.startswith(shop.name)) == [
            shop.name
        ]
    assert sha(shop) == before and shop.stat().st_mtime_ns == mtime  # nothing written


def test_reading_a_missing_or_empty_file_creates_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "sub" / "none.db"
    code, _, err = invoke("segments", "--db", missing)
    assert code == 1
    assert one_error_line(err) == (
        f"error: no database at {missing}; import a shop export first (clvtui import FILE)"
    )
    assert not missing.parent.exists()
    code, out, _ = invoke("settings", "--json", "--db", missing)  # the defaults, shown
    assert code == 0 and '"ltv_cac_ratio": 3.0' in out and not missing.parent.exists()
    empty = tmp_path / "empty.db"
    empty.touch()
    for command in read_commands(tmp_path):
        code, _, err = invoke(*command, "--db", empty)
        assert code == 1 and "is empty; import a shop export first" in one_error_line(err)
    assert empty.stat().st_size == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.db"]  # no export either


def test_an_empty_file_becomes_a_database_on_the_first_write(tmp_path: Path) -> None:
    empty = tmp_path / "touched.db"
    empty.touch(mode=0o644)
    code, _, err = invoke("import", SHOP_EXPORT, "--db", empty)
    assert code == 0, err
    assert stat.S_IMODE(empty.stat().st_mode) == 0o600
    db = open_db(empty, readonly=True)
    assert db.conn.execute("SELECT count(*) FROM orders").fetchone()[0] == 9


def test_new_files_are_user_only_under_a_permissive_umask(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        path = tmp_path / "new" / "shop.db"
        db = open_db(path)
        db.conn.execute("INSERT INTO settings VALUES ('margin', '0.3')")  # -wal/-shm now exist
        files = [path, Path(f"{path}-wal"), Path(f"{path}-shm")]
        assert {f.name: stat.S_IMODE(f.stat().st_mode) for f in files} == {
            f.name: 0o600 for f in files
        }
        db.conn.rollback()
        db.conn.close()
    finally:
        os.umask(old)


def test_a_new_database_is_marked_and_complete(tmp_path: Path) -> None:
    db = open_db(tmp_path / "a.db")
    conn = db.conn
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"imports", "orders", "customers", "runs", "scores", "settings"} <= tables


def test_read_only_open_refuses_to_write(shop: Path) -> None:
    db = open_db(shop, readonly=True)
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        db.conn.execute("DELETE FROM settings")
    assert db.readonly


def test_a_file_that_needs_a_migration_is_not_migrated_by_a_reader(tmp_path: Path) -> None:
    """Only meaningful once there are two migrations: a file stopped at the one before last."""
    if SCHEMA_VERSION < 2:
        pytest.skip("one migration only: no older clvtui schema exists yet")
    path = tmp_path / "old.db"
    statements = [s for script in MIGRATIONS[:-1] for s in _statements(script)]
    _sqlite_file(path, [*statements, f"PRAGMA user_version = {SCHEMA_VERSION - 1}"])
    before = sha(path)
    code, _, err = invoke("segments", "--db", path)
    assert code == 1 and "needs a one-time update" in one_error_line(err)
    assert sha(path) == before
    code, _, err = invoke("settings", "--set", "margin=30%", "--db", path)
    assert code == 0, err
    assert open_db(path, readonly=True).conn.execute("PRAGMA user_version").fetchone()[0] == (
        SCHEMA_VERSION
    )


def test_store_error_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "x.db"
    _make("other-program", path)
    with pytest.raises(StoreError, match=str(path)):
        open_db(path)


def test_the_demo_files_are_user_only(tmp_path: Path) -> None:
    from clvtui.services.demo import build_demo

    old = os.umask(0o022)
    try:
        stale = tmp_path / "demo-shopify-export.csv"  # a 0644 export left by an older version
        stale.write_text("old", encoding="utf-8")
        stale.chmod(0o644)
        build_demo(tmp_path / "demo.db", customers=150, fmt="shopify", seed=3, fresh=True)
    finally:
        os.umask(old)
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in tmp_path.iterdir()}
    assert {"demo.db", "demo-shopify-export.csv"} <= set(modes)  # and -wal/-shm while open
    assert modes == dict.fromkeys(modes, 0o600)


def test_a_bad_export_creates_no_database(tmp_path: Path) -> None:
    fixtures = SHOP_EXPORT.parent
    for bad in ("broken_binary.csv", "broken_empty.csv", "broken_header_only.csv"):
        target = tmp_path / "new.db"
        code, _, err = invoke("import", fixtures / bad, "--db", target)
        assert code == 1
        assert str(fixtures / bad) in one_error_line(err)
        assert not target.exists(), bad
    code, _, err = invoke("import", SHOP_EXPORT, "--db", tmp_path / "new.db")
    assert code == 0, err
    assert stat.S_IMODE((tmp_path / "new.db").stat().st_mode) == 0o600
