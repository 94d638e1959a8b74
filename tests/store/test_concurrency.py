"""Several clvtui processes on one database: writers queue, readers never wait, nothing breaks.

Children are real processes. A test hook (``CLVTUI_TEST_PAUSE_AT``) stops one inside its
write transaction, holding the lock, until the test releases it — so "the second writer
waits" is checked deterministically, not by timing.
"""

from __future__ import annotations

import contextlib
import os
import pty
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

from clvtui.store import SCHEMA_VERSION
from tests.store.conftest import (
    SHOP_EXPORT,
    STRIPE_EXPORT,
    clvtui,
    content,
    integrity,
    start,
    table_counts,
    wait_for,
)


def test_two_processes_creating_one_database_at_once(tmp_path: Path) -> None:
    """The old setup left an unusable file in 4 of 6 such races."""
    for trial in range(2):
        db = tmp_path / f"race{trial}.db"
        first = start("import", STRIPE_EXPORT, "--db", db)
        second = start("import", SHOP_EXPORT, "--db", db)
        for child in (first, second):
            _, err = child.communicate(timeout=120)
            assert child.returncode == 0, err
        counts = table_counts(db)
        assert counts["orders"] == 9 + 7 and counts["imports"] == 2
        assert integrity(db) == "ok"
        assert stat.S_IMODE(db.stat().st_mode) == 0o600
        conn = sqlite3.connect(db)
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        conn.close()


def test_a_second_import_waits_for_the_first(
    shop: Path, tmp_path: Path, cdnow_exports: tuple[Path, Path]
) -> None:
    release = tmp_path / "release"
    env = {"CLVTUI_TEST_PAUSE_AT": "import:written", "CLVTUI_TEST_RELEASE": str(release)}
    first = start("import", SHOP_EXPORT, "--db", shop, env=env)
    wait_for(Path(f"{release}.reached"), first)
    # the first holds the write lock, its 9 orders written but not committed; a reader
    # (another process) is not blocked and sees the database as it was
    done = clvtui("segments", "--json", "--db", shop)
    assert done.returncode == 0, done.stderr
    assert table_counts(shop)["orders"] == 6_919
    second = start("settings", "--set", "margin=30%", "--db", shop)
    with contextlib.suppress(subprocess.TimeoutExpired):  # it must still be waiting
        second.wait(timeout=1.5)
    assert second.returncode is None, second.communicate()
    release.touch()
    for child in (first, second):
        _, err = child.communicate(timeout=120)
        assert child.returncode == 0, err
    after = table_counts(shop)
    assert after["orders"] == 6_919 + 9 and after["imports"] == 3
    assert integrity(shop) == "ok"


def test_an_import_during_a_fit_succeeds(shop: Path, tmp_path: Path) -> None:
    release = tmp_path / "release"
    before = content(shop)
    env = {"CLVTUI_TEST_PAUSE_AT": "fit:written", "CLVTUI_TEST_RELEASE": str(release)}
    fit = start("fit", "--model", "bgnbd", "--db", shop, env=env)
    wait_for(Path(f"{release}.reached"), fit)  # the fit is saving its run
    importer = start("import", SHOP_EXPORT, "--db", shop)
    release.touch()
    for child in (fit, importer):
        _, err = child.communicate(timeout=120)
        assert child.returncode == 0, err
    after = content(shop)
    assert after["runs"] == before["runs"] + 1
    assert len(after["orders"]) == len(before["orders"]) + 9
    assert integrity(shop) == "ok"


def test_waiting_is_announced_on_a_terminal(shop: Path, tmp_path: Path) -> None:
    release = tmp_path / "release"
    env = {"CLVTUI_TEST_PAUSE_AT": "settings:written", "CLVTUI_TEST_RELEASE": str(release)}
    holder = start("settings", "--set", "margin=20%", "--db", shop, env=env)
    wait_for(Path(f"{release}.reached"), holder)
    master, slave = pty.openpty()
    waiter = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "clvtui",
            "settings",
            "--set",
            "cost_per_order=2.5",
            "--db",
            str(shop),
        ],
        stdout=subprocess.DEVNULL,
        stderr=slave,
        cwd=Path(__file__).resolve().parents[2],
    )
    os.close(slave)
    text = b""
    while b"\n" not in text:  # the notice comes after the first quiet second of waiting
        text += os.read(master, 1024)
    release.touch()
    assert waiter.wait(timeout=120) == 0 and holder.wait(timeout=120) == 0
    os.close(master)
    assert text.decode().strip() == f"waiting for another clvtui to finish writing to {shop}…"
    done = clvtui("settings", "--json", "--db", shop)
    # both changes landed: the waiter read the settings after the first had committed
    assert '"margin": 0.2' in done.stdout and '"cost_per_order": 2.5' in done.stdout
