"""A read on a second connection in a thread (the fit's cost probe): the same answer as on
the caller's connection, its errors handed to whoever waits, and no thread for a database
that is only in memory."""

from __future__ import annotations

import sqlite3
import threading
from concurrent.futures import Future
from pathlib import Path

import pytest
import sqlite_utils

from clvtui.store.background import FollowUp, database_path, read_in_background


def _file(tmp_path: Path) -> sqlite_utils.Database:
    db = sqlite_utils.Database(tmp_path / "shop.db")
    db["orders"].insert_all([{"id": i, "fee": None if i % 2 else i} for i in range(10)])
    return db


def test_reads_the_same_file_on_another_connection_and_thread(tmp_path: Path) -> None:
    db = _file(tmp_path)
    seen: list[object] = []

    def read(other: sqlite_utils.Database) -> int:
        seen.append((other.conn is db.conn, threading.current_thread() is threading.main_thread()))
        return int(other.conn.execute("SELECT sum(fee) FROM orders").fetchone()[0])

    assert read_in_background(db, read).result(timeout=30) == 0 + 2 + 4 + 6 + 8
    assert seen == [(False, False)]
    assert database_path(db) == str(tmp_path / "shop.db")


def test_an_error_in_the_read_reaches_the_caller(tmp_path: Path) -> None:
    future = read_in_background(
        _file(tmp_path), lambda other: other.conn.execute("SELECT nope FROM orders").fetchone()
    )
    with pytest.raises(sqlite3.OperationalError, match="no such column: nope"):
        future.result(timeout=30)


def test_an_in_memory_database_is_read_here_and_now() -> None:
    db = sqlite_utils.Database(memory=True)
    db["t"].insert({"a": 41})
    assert database_path(db) is None
    future = read_in_background(
        db, lambda same: same.conn.execute("SELECT a + 1 FROM t").fetchone()
    )
    assert future.done() and future.result() == (42,)


def test_a_read_only_command_reads_beside_on_a_read_only_connection(tmp_path: Path) -> None:
    from clvtui.store import open_db

    path = tmp_path / "shop.db"
    open_db(path).close()  # a clvtui database (the read-only open checks what the file is)
    readonly = open_db(path, readonly=True)
    probe = read_in_background(readonly, lambda other: other.conn.execute("CREATE TABLE t (x)"))
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        probe.result(timeout=30)
    writable = open_db(path)
    read_in_background(writable, lambda other: other.conn.execute("CREATE TABLE t (x)")).result(
        timeout=30
    )
    assert writable.table("t").exists()  # the fit's reads beside may write as before


def test_a_follow_up_read_runs_after_the_first_on_its_thread_and_connection(
    tmp_path: Path,
) -> None:
    db = _file(tmp_path)
    order: list[tuple[str, object]] = []

    def first(other: sqlite_utils.Database) -> int:
        order.append(("first", other.conn))
        return int(other.conn.execute("SELECT count(*) FROM orders").fetchone()[0])

    def second(other: sqlite_utils.Database) -> bool:
        order.append(("second", other.conn))
        assert main.done()  # the first read's result was handed over before
        found = other.conn.execute("SELECT 1 FROM orders WHERE fee IS NOT NULL LIMIT 1")
        return found.fetchone() is not None

    main: Future[int] = Future()  # made here: ``second`` looks at it from the thread
    then = FollowUp(second)
    read_in_background(db, first, main, then)
    assert then.result(timeout=30) is True and main.result(timeout=30) == 10
    assert [name for name, _ in order] == ["first", "second"]
    assert order[0][1] is order[1][1] and order[0][1] is not db.conn


def test_a_failed_first_read_fails_its_follow_up_too(tmp_path: Path) -> None:
    then = FollowUp(lambda other: True)
    main = read_in_background(
        _file(tmp_path), lambda other: other.conn.execute("SELECT nope FROM orders"), then=then
    )
    for future in (main, then):
        with pytest.raises(sqlite3.OperationalError, match="no such column: nope"):
            future.result(timeout=30)


def test_a_follow_up_error_stays_with_the_follow_up(tmp_path: Path) -> None:
    then = FollowUp(lambda other: other.conn.execute("SELECT nope FROM orders"))
    main = read_in_background(_file(tmp_path), lambda other: 7, then=then)
    assert main.result(timeout=30) == 7
    with pytest.raises(sqlite3.OperationalError, match="no such column: nope"):
        then.result(timeout=30)


def test_an_in_memory_follow_up_is_read_here_and_now() -> None:
    db = sqlite_utils.Database(memory=True)
    db["t"].insert({"a": 41})
    then = FollowUp(lambda same: same.conn.execute("SELECT a + 2 FROM t").fetchone()[0])
    main = read_in_background(db, lambda same: 1, then=then)
    assert main.done() and then.done() and then.result() == 43
