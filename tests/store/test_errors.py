"""Every database or file-system problem is one readable line, exit 1, and changes nothing.

The errors are real: SQLite's own (a held write lock, a read-only connection, a page limit
that fills the "disk", a file that is not a database), the kernel's (/dev/full, a folder we
may not write, run as another user when the tests run as root).
"""

from __future__ import annotations

import errno
import os
import sqlite3
from pathlib import Path

import pytest

from clvtui.store import StoreError, describe, open_db
from clvtui.store.saved_settings import load_settings
from tests.store.conftest import (
    SHOP_EXPORT,
    clvtui,
    integrity,
    one_error_line,
    sha,
    table_counts,
)


def _sqlite_error(action) -> sqlite3.Error:  # type: ignore[no-untyped-def]
    with pytest.raises(sqlite3.Error) as caught:
        action()
    return caught.value


def test_sqlite_errors_read_as_one_line(shop: Path, tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"x" * 4096)
    err = _sqlite_error(lambda: sqlite3.connect(junk).execute("SELECT * FROM sqlite_master"))
    assert describe(err, junk) == (
        f"{junk} is not an SQLite database (or is encrypted or damaged); give another file "
        "with --db, or move this one away"
    )
    ro = sqlite3.connect(f"{shop.resolve().as_uri()}?mode=ro", uri=True)
    err = _sqlite_error(lambda: ro.execute("DELETE FROM settings"))
    assert describe(err, shop).startswith(f"{shop} is read-only (the file or its folder")
    missing = tmp_path / "no" / "such" / "shop.db"
    err = _sqlite_error(lambda: sqlite3.connect(missing))
    assert describe(err, missing) == (
        f"cannot open {missing}: the folder {missing.parent} does not exist; create it, or use --db"
    )
    holder = sqlite3.connect(shop, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        other = sqlite3.connect(shop, timeout=0, isolation_level=None)
        err = _sqlite_error(lambda: other.execute("BEGIN IMMEDIATE"))
        assert describe(err, shop) == (
            f"{shop} is locked by another program that is writing to it; try again when it "
            "has finished (nothing was changed)"
        )
    finally:
        holder.execute("ROLLBACK")


def test_os_errors_read_as_one_line(tmp_path: Path) -> None:
    with pytest.raises(OSError) as caught, open("/dev/full", "w") as fh:
        fh.write("x" * 10_000)
        fh.flush()
    assert caught.value.errno == errno.ENOSPC
    assert describe(caught.value, tmp_path / "shop.db") == (
        "the disk is full; free some space and try again"
    )
    with pytest.raises(OSError) as caught:
        open(tmp_path / "missing" / "x.csv", encoding="utf-8")  # noqa: SIM115
    assert describe(caught.value) == f"{tmp_path / 'missing' / 'x.csv'}: no such file or folder"


def test_a_full_disk_during_an_import_changes_nothing(
    shop: Path, cdnow_exports: tuple[Path, Path], tmp_path: Path
) -> None:
    import polars as pl

    from clvtui.ingest import import_file

    export = tmp_path / "new_customers.csv"  # 4,000+ orders the shop has not seen
    pl.read_csv(cdnow_exports[0]).with_columns(customer=pl.format("N{}", "customer")).write_csv(
        export
    )
    before = table_counts(shop)
    db = open_db(shop)
    pages = db.conn.execute("PRAGMA page_count").fetchone()[0]
    db.conn.execute(f"PRAGMA max_page_count = {pages + 2}")  # SQLite's own "disk is full"
    with pytest.raises(sqlite3.OperationalError) as caught:
        import_file(db, export, fmt="generic")
    assert describe(caught.value, shop) == (
        f"the disk holding {shop} is full; free some space and try again (nothing changed)"
    )
    db.conn.close()
    assert table_counts(shop) == before and integrity(shop) == "ok"


def test_a_writer_that_cannot_get_the_lock_gives_up_with_one_line(shop: Path) -> None:
    before = table_counts(shop)
    holder = sqlite3.connect(shop, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another program in the middle of a write
    try:
        for command in (("settings", "--set", "margin=30%"), ("import", SHOP_EXPORT)):
            done = clvtui(*command, "--db", shop, env={"CLVTUI_LOCK_TIMEOUT": "1"})
            assert done.returncode == 1, done.stderr
            line = one_error_line(done.stderr)
            assert line.startswith(f"error: {shop} is locked: another program has been writing")
            assert line.endswith("try again when it has finished (nothing was changed)")
        # readers are not blocked by a writer (WAL)
        done = clvtui("segments", "--json", "--db", shop)
        assert done.returncode == 0, done.stderr
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert table_counts(shop) == before
    assert load_settings(open_db(shop, readonly=True)).margin is None


@pytest.fixture
def other_user() -> str | None:
    """Run children as ``nobody`` when we are root (root ignores file permissions)."""
    if os.geteuid() != 0:
        return None
    if not Path("/usr/bin/setpriv").exists():
        pytest.skip("running as root without setpriv: cannot drop permissions")
    return "nobody"


def _own(path: Path, user: str | None) -> None:
    if user is not None:
        os.chown(path, 65534, 65534)


def test_a_database_in_a_read_only_folder_can_be_read_not_written(
    shared_dir: Path, other_user: str | None, fitted_shop: Path
) -> None:
    folder = shared_dir / "ro"
    folder.mkdir()
    db = folder / "shop.db"
    db.write_bytes(fitted_shop.read_bytes())
    db.chmod(0o600)
    _own(db, other_user)
    _own(folder, other_user)
    folder.chmod(0o555)
    before = sha(db)
    for command in (("segments", "--json"), ("settings",)):
        done = clvtui(*command, "--db", db, user=other_user)
        assert done.returncode == 0, (command, done.stderr)
        assert done.stdout
    for command in (("import", SHOP_EXPORT), ("settings", "--set", "margin=30%")):
        done = clvtui(*command, "--db", db, user=other_user)
        assert done.returncode == 1, (command, done.stderr)
        assert one_error_line(done.stderr) == (
            f"error: {db} is read-only (the file or its folder is not writable for you): "
            "reading commands work, but this one needs to write; nothing was changed"
        )
    assert sha(db) == before
    assert sorted(p.name for p in folder.iterdir()) == ["shop.db"]


def test_files_we_may_not_open_or_create(shared_dir: Path, other_user: str | None) -> None:
    secret = shared_dir / "secret.db"
    open_db(secret).conn.close()
    secret.chmod(0o000)
    if other_user is None and os.access(secret, os.R_OK):
        pytest.skip("this user can read a 0000 file")
    done = clvtui("segments", "--db", secret, user=other_user)
    assert done.returncode == 1
    assert one_error_line(done.stderr) == f"error: {secret}: permission denied"
    locked_folder = shared_dir / "locked"
    locked_folder.mkdir(mode=0o755)
    locked_folder.chmod(0o555)
    target = locked_folder / "new.db"
    done = clvtui("import", SHOP_EXPORT, "--db", target, user=other_user)
    assert done.returncode == 1
    assert one_error_line(done.stderr) == f"error: {target}: permission denied"
    assert not target.exists()


def test_open_db_wraps_what_it_cannot_open(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="is a folder, not a database file"):
        open_db(tmp_path, readonly=True)
