"""The JSON chunk reader returns exactly what the row reader does, awkward text included."""

from __future__ import annotations

import polars as pl
import pytest

import clvtui.store.frames as frames
from clvtui.store import open_db

AWKWARD = [
    ("plain", 1),
    ('quo"te, comma', -2),
    ("new\nline\ttab", 0),
    ("back\\slash", 2**62),
    ("ünïcødé 😀 ‮", -(2**62)),
    (None, None),
    ("", 7),
]


@pytest.fixture
def db(tmp_path):
    db = open_db(tmp_path / "frames.db")
    db.conn.execute("CREATE TABLE things (name TEXT, amount INTEGER, kept INTEGER)")
    rows = [(name, amount, i % 2) for i, (name, amount) in enumerate(AWKWARD * 30_000)]
    db.conn.executemany("INSERT INTO things VALUES (?, ?, ?)", rows)
    db.conn.execute("DELETE FROM things WHERE rowid % 7 = 3")  # gaps between rowids
    db.conn.commit()
    return db


COLUMNS = {"name": ("name", pl.Utf8), "amount": ("amount * 1", pl.Int64)}


def test_read_table_equals_read_frame(db) -> None:
    got = frames.read_table(db, "things", COLUMNS, where="kept = ?", params=(1,))
    want = frames.read_frame(
        db,
        "SELECT name, amount * 1 FROM things WHERE kept = ? ORDER BY rowid",
        (1,),
        schema={"name": pl.Utf8, "amount": pl.Int64},
    )
    assert got.height > 2 * frames._JSON_CHUNK // 3  # several chunks were read
    assert got.equals(want)


def test_read_table_refuses_real_columns(db) -> None:
    with pytest.raises(ValueError, match="text and integer"):
        frames.read_table(db, "things", {"x": ("amount / 3.0", pl.Float64)})


def test_read_table_without_json_support(db, monkeypatch) -> None:
    """An SQLite built without JSON1 gets the same frame through the row reader."""
    fast = frames.read_table(db, "things", COLUMNS)
    monkeypatch.setattr(frames, "_has_json", lambda _db: False)
    assert frames.read_table(db, "things", COLUMNS).equals(fast)


def test_snapshot_hides_a_commit_made_meanwhile(db, tmp_path) -> None:
    """A chunked read sees one database: another connection's commit in the middle of it
    (an import running in another process) does not show up half-way."""
    import sqlite3

    before = db.conn.execute("SELECT count(*) FROM things").fetchone()[0]
    with frames.snapshot(db):
        first = db.conn.execute("SELECT count(*) FROM things").fetchone()[0]
        other = sqlite3.connect(tmp_path / "frames.db")
        other.execute("INSERT INTO things VALUES ('late', 1, 1)")
        other.commit()
        other.close()
        inside = frames.read_table(db, "things", COLUMNS)
    after = db.conn.execute("SELECT count(*) FROM things").fetchone()[0]
    assert first == before == inside.height
    assert after == before + 1
    assert not db.conn.in_transaction
