"""Opening the user's database: create, recognise, migrate — or refuse without touching it.

Why this much care: the file holds customers' names and orders, ``--db`` can point anywhere,
and several clvtui processes may start at once. So:

- a new file is created user-only (0600; SQLite gives its -wal/-shm the same mode) and its
  schema written in ONE ``BEGIN IMMEDIATE`` transaction that re-reads ``user_version`` inside
  it: a kill, or a second process creating the same file, leaves it either empty or complete;
- before anything is written, the file is recognised through a read-only connection: not
  SQLite, another program's database or a half-created one is refused, byte-identical;
- read-only opens (``mode=ro``) never write, never migrate and never switch the journal mode,
  so a database in a read-only folder can still be read. Opening costs a header read and a few
  PRAGMAs, never a scan of the file.
"""

from __future__ import annotations

import os
import re
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

import sqlite_utils

from clvtui.errors import NoDataError
from clvtui.paths import user_only_file
from clvtui.store.failures import StoreError, describe
from clvtui.store.locking import lock_timeout, set_busy_timeout, write_transaction
from clvtui.store.schema import MIGRATIONS

SCHEMA_VERSION = len(MIGRATIONS)
#: ``PRAGMA application_id`` of a clvtui database ('CLVT'): marks the file as ours.
APPLICATION_ID = 0x434C5654
_MAGIC = b"SQLite format 3\x00"
_OUR_TABLES = frozenset(
    name.lower()
    for script in MIGRATIONS
    for name in re.findall(r"CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(\w+)", script, re.I)
)
_CORE_TABLES = frozenset({"imports", "orders", "customers", "runs"})


class ShopDatabase(sqlite_utils.Database):
    """A sqlite-utils database that knows its file, whether it may write, and who to tell
    when it has to wait for another writer."""

    path: Path
    readonly: bool
    on_wait: Callable[[Path], None] | None


# the connections the main thread opens once the console script asked (``remember_opened``),
# for ``close_opened`` when a command ends the process itself (``clvtui.cli.ending``); other
# threads close their own. None: nobody asked (tests, the library), nothing is held. Held,
# not weakly: a connection outlives its ShopDatabase (CPython's statement cache makes a
# reference cycle of it, freed only by the cyclic collector)
_REMEMBERED: list[tuple[sqlite3.Connection, Path, bool]] | None = None


def open_db(
    path: str | Path,
    *,
    create: bool = True,
    readonly: bool = False,
    on_wait: Callable[[Path], None] | None = None,
) -> ShopDatabase:
    """Open the user's database.

    ``readonly``: for commands that only read — the file must exist, be ours and be current.
    Otherwise the file is opened for writing and migrated (created first when ``create``).
    Problems with the file become a :class:`StoreError` (one line naming it); missing data a
    :class:`NoDataError`.
    """
    path = Path(path)
    try:
        if readonly:
            return _open_readonly(path)
        return _open_writable(path, create=create, on_wait=on_wait)
    except (sqlite3.Error, OSError) as err:
        raise StoreError(describe(err, path)) from err


def _open_readonly(path: Path) -> ShopDatabase:
    state = _sniff(path)
    if state == "missing":
        raise NoDataError(f"no database at {path}; import a shop export first (clvtui import FILE)")
    if state == "empty":
        raise NoDataError(f"{path} is empty; import a shop export first (clvtui import FILE)")
    kind, version, tables = _peek(path)
    _refuse(path, kind, version, tables)
    if kind == "empty":
        raise NoDataError(f"{path} holds no clvtui data yet; import a shop export first")
    if version < SCHEMA_VERSION:
        raise StoreError(
            f"{path} was written by an older clvtui and needs a one-time update, which this "
            "read-only command does not do; run a command that writes (clvtui fit, or open "
            "the terminal UI with clvtui) once, then try again"
        )
    conn = _connect_readonly(path)
    return _wrap(conn, path, readonly=True, on_wait=None)


def _open_writable(
    path: Path, *, create: bool, on_wait: Callable[[Path], None] | None
) -> ShopDatabase:
    state = _sniff(path)
    if state == "missing":
        if not create:
            raise NoDataError(
                f"no database at {path}; import a shop export first (clvtui import FILE)"
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        user_only_file(path)  # 0600 before SQLite opens it: -wal/-shm inherit the mode
        state = "empty"
    elif state == "sqlite":
        kind, version, tables = _peek(path)  # recognise the file before anything writes to it
        _refuse(path, kind, version, tables)
        if kind == "empty" and not create:
            raise NoDataError(f"{path} holds no clvtui data yet; import a shop export first")
    elif state == "empty" and not create:
        raise NoDataError(f"{path} is empty; import a shop export first (clvtui import FILE)")
    if path.stat().st_uid == os.geteuid():
        _user_only(path, empty=state == "empty")
    conn = sqlite3.connect(_uri(path, "rw"), uri=True, timeout=lock_timeout())
    db = _wrap(conn, path, readonly=False, on_wait=on_wait)
    try:
        if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
            conn.execute("PRAGMA journal_mode=WAL")  # readers then never block a writer
        conn.execute("PRAGMA synchronous=NORMAL")
        migrate(db)
    except BaseException:
        conn.close()
        raise
    return db


def _user_only(path: Path, *, empty: bool) -> None:
    """An empty file we are about to fill, or a database written by a clvtui that created files
    0644, is narrowed to 0600 with its -wal/-shm: it holds customers' names and e-mails."""
    for part in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        try:
            mode = part.stat().st_mode & 0o777
        except FileNotFoundError:
            continue
        if empty or mode & 0o077:
            os.chmod(part, mode & 0o600 or 0o600)


def migrate(db: ShopDatabase) -> None:
    """Bring the file to ``SCHEMA_VERSION`` in one transaction under the write lock.

    ``user_version`` is read again inside the transaction: a second process that created or
    migrated the file meanwhile leaves nothing to do. A failure or a kill rolls it all back.
    """
    conn = db.conn
    if conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION:
        return
    with write_transaction(db, "schema"):
        kind, version, tables = _classify(conn)
        _refuse(db.path, kind, version, tables)
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            for statement in _statements(script):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {number}")
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")


def _sniff(path: Path) -> str:
    """``missing``, ``empty`` (0 bytes), ``sqlite`` or refuse: a cheap look at the header."""
    if not path.exists():
        return "missing"
    if path.is_dir():
        raise StoreError(f"{path} is a folder, not a database file; give a file name with --db")
    if not path.is_file():  # a device or a pipe: opening it could hang, or change its mode
        raise StoreError(
            f"{path} is not a regular file (a device, pipe or socket); give a database file "
            "with --db"
        )
    with path.open("rb") as fh:
        head = fh.read(len(_MAGIC))
    if not head:
        return "empty"
    if head != _MAGIC:
        raise StoreError(
            f"{path} is not a clvtui database (it is not an SQLite file); nothing was changed — "
            "give another file with --db, or move this one away"
        )
    return "sqlite"


def _peek(path: Path) -> tuple[str, int, list[str]]:
    """Classify the file through a throw-away read-only connection.

    A WAL-mode file without a -wal file (no writer is active) is peeked at ``immutable``, so
    even SQLite's -wal/-shm companions are not created beside another program's database.
    """
    with path.open("rb") as fh:
        header = fh.read(20)
    wal_mode = len(header) == 20 and header[18] == 2
    if wal_mode and not Path(f"{path}-wal").exists():
        conn = sqlite3.connect(_uri(path, "ro") + "&immutable=1", uri=True)
    else:
        conn = _connect_readonly(path)
    try:
        return _classify(conn)
    finally:
        conn.close()


def _classify(conn: sqlite3.Connection) -> tuple[str, int, list[str]]:
    """(kind, user_version, tables): ``ours``, ``empty``, ``half`` (tables, no version) or
    ``foreign`` (another program's schema)."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    app_id = conn.execute("PRAGMA application_id").fetchone()[0]
    tables = sorted(
        name
        for (name,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    )
    names = {t.lower() for t in tables}
    if app_id == APPLICATION_ID:
        return "ours", version, tables
    if app_id != 0:
        return "foreign", version, tables
    if not tables:
        return ("empty" if version == 0 else "foreign"), version, tables
    if version == 0:
        return ("half" if names <= _OUR_TABLES else "foreign"), version, tables
    return ("ours" if names >= _CORE_TABLES else "foreign"), version, tables


def _refuse(path: Path, kind: str, version: int, tables: list[str]) -> None:
    if kind == "foreign":
        shown = ", ".join(tables[:4]) + (", …" if len(tables) > 4 else "")
        what = f"tables {shown}" if tables else f"schema version {version}"
        raise StoreError(
            f"{path} is another program's SQLite database ({what}), not clvtui's; nothing was "
            "changed — give clvtui a file of its own with --db"
        )
    if kind == "half":
        raise StoreError(
            f"{path} was left half-created by an interrupted clvtui (its tables have no schema "
            "version, so no data was ever stored in it); move it away or delete it, then run "
            "the command again"
        )
    if kind == "ours" and version > SCHEMA_VERSION:
        raise StoreError(
            f"{path} was written by a newer clvtui (schema {version} > {SCHEMA_VERSION}); "
            "update clvtui to use it"
        )


def _connect_readonly(path: Path) -> sqlite3.Connection:
    """A ``mode=ro`` connection. In a folder we cannot write, a WAL database without a -wal
    file is opened ``immutable`` (SQLite could not create its -shm): nobody can be writing it."""
    conn = sqlite3.connect(_uri(path, "ro"), uri=True, timeout=lock_timeout())
    try:
        conn.execute("PRAGMA schema_version").fetchone()
    except sqlite3.OperationalError:
        conn.close()
        wal = Path(f"{path}-wal")
        if os.access(path.parent, os.W_OK) or (wal.exists() and wal.stat().st_size):
            raise
    else:
        return conn
    conn = sqlite3.connect(_uri(path, "ro") + "&immutable=1", uri=True)
    conn.execute("PRAGMA schema_version").fetchone()
    return conn


def _uri(path: Path, mode: str) -> str:
    return f"{path.resolve().as_uri()}?mode={mode}"


def _wrap(
    conn: sqlite3.Connection,
    path: Path,
    *,
    readonly: bool,
    on_wait: Callable[[Path], None] | None,
) -> ShopDatabase:
    set_busy_timeout(conn, lock_timeout())
    conn.execute("PRAGMA foreign_keys=ON")
    db = ShopDatabase(conn)
    db.path, db.readonly, db.on_wait = path, readonly, on_wait
    if _REMEMBERED is not None and threading.current_thread() is threading.main_thread():
        _REMEMBERED.append((conn, path, readonly))
    return db


def remember_opened() -> None:
    """From now on, remember the connections the main thread opens, for ``close_opened``
    (one command's process: a handful)."""
    global _REMEMBERED
    _REMEMBERED = []


def close_opened() -> None:
    """Close every remembered connection (closing one twice does nothing): the last to
    close checkpoints the write-ahead log and removes it, as the interpreter's teardown would
    have when it freed them. A command that only read leaves the log SQLite made for its
    read-only connections: it is removed too, where we may write (``fold_wal``)."""
    read_only: set[Path] = set()
    for conn, path, readonly in _REMEMBERED or []:
        conn.close()
        if readonly:
            read_only.add(path)
    for path in sorted(read_only):
        if os.access(path, os.W_OK) and os.access(path.parent, os.W_OK):
            try:
                fold_wal(path)
            except sqlite3.OperationalError:
                continue  # another process holds the file (a fit, an import): its log stays


def fold_wal(path: str | Path) -> bool:
    """Fold the write-ahead log into the file and remove it and its -shm; whether they are gone.

    SQLite does this when the last connection to the file closes, but only a connection that
    may write: after a session of read-only connections (the terminal UI's screens) both files
    stay beside the database. So: open it for writing, read (which opens the log), close. When
    any other connection, in this process or another, still has the file open, the close
    leaves both files alone, as it should. Nothing in the data changes.
    """
    path = Path(path)
    wal = path.with_name(path.name + "-wal")
    if not wal.exists():
        return True
    conn = sqlite3.connect(_uri(path, "rw"), uri=True, timeout=0)
    try:
        conn.execute("PRAGMA user_version").fetchone()
    finally:
        conn.close()
    return not wal.exists()


def _statements(script: str) -> list[str]:
    """Split a migration into statements (``executescript`` would commit on its own)."""
    out: list[str] = []
    buf = ""
    for line in script.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            out.append(buf.strip())
            buf = ""
    if buf.strip():
        out.append(buf.strip())
    return out
