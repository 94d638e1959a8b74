"""A database left 0644 by an earlier clvtui is narrowed to 0600 (with its -wal/-shm) the first
time a writing command opens it; reading commands never change it."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from clvtui.store import open_db


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_world_readable_database_is_narrowed_on_the_first_write_open(tmp_path: Path) -> None:
    path = tmp_path / "shop.db"
    open_db(path).conn.close()
    os.chmod(path, 0o644)
    before = path.read_bytes()
    open_db(path, readonly=True).conn.close()
    assert _mode(path) == 0o644 and path.read_bytes() == before  # a reader changes nothing
    db = open_db(path)
    db.conn.execute("SELECT count(*) FROM orders").fetchone()
    assert _mode(path) == 0o600
    for side in ("-wal", "-shm"):
        part = path.with_name(path.name + side)
        if part.exists():
            assert _mode(part) & 0o077 == 0
