"""The only place with SQL: opening the database, migrations, reads and writes.

Submodules own one area each: ``orders`` (import writes), ``identity`` (customer keys and the
people they belong to), ``history`` (the imports list and undo), ``reads`` (orders into
polars), ``runs`` (fitted runs and scores), ``insights`` (tiers, trends, spend), ``settings``.
"""

from __future__ import annotations

from pathlib import Path

import sqlite_utils

from clvtui.store.schema import MIGRATIONS

SCHEMA_VERSION = len(MIGRATIONS)


def open_db(path: str | Path, *, create: bool = True) -> sqlite_utils.Database:
    """Open (and migrate) the user's database; WAL so the TUI can read while a fit writes."""
    path = Path(path)
    if not create and not path.exists():
        from clvtui.errors import NoDataError

        raise NoDataError(f"no database at {path}; import a shop export first (clvtui import FILE)")
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite_utils.Database(path)
    db.conn.execute("PRAGMA journal_mode=WAL")
    db.conn.execute("PRAGMA foreign_keys=ON")
    db.conn.execute("PRAGMA synchronous=NORMAL")
    migrate(db)
    return db


def migrate(db: sqlite_utils.Database) -> None:
    """Apply the migrations the file has not seen yet, each in its own transaction."""
    current = db.conn.execute("PRAGMA user_version").fetchone()[0]
    if current > SCHEMA_VERSION:
        from clvtui.errors import ClvError

        raise ClvError(
            f"this database was written by a newer clvtui (schema {current} > {SCHEMA_VERSION})"
        )
    for version, script in enumerate(MIGRATIONS[current:], start=current + 1):
        with db.conn:  # one transaction: a failed migration leaves the file as it was
            for statement in _statements(script):
                db.conn.execute(statement)
            db.conn.execute(f"PRAGMA user_version = {version}")


def _statements(script: str) -> list[str]:
    """Split a migration into statements (``executescript`` would commit on its own)."""
    import sqlite3

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
