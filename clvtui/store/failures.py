"""One place that turns a ``sqlite3.Error`` or an ``OSError`` into one readable line.

Both faces (CLI, TUI) call :func:`describe` for anything the database or the file system
raised, so a locked, read-only, full, missing or foreign file always reads the same way: the
file, what stands in the way, and what to do. The wording never claims more than we know;
every writing command is one transaction, so "nothing was changed" holds for all of them.
"""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path

from clvtui.errors import ClvError


class StoreError(ClvError):
    """The database file cannot be used as asked (foreign, half-made, locked, read-only...)."""


class DatabaseBusyError(StoreError):
    """Another program held the write lock for longer than we are willing to wait."""


def describe(err: BaseException, db_path: str | Path | None = None) -> str:
    """One line for a database or file-system error; ``db_path`` is the database in use."""
    if isinstance(err, ClvError):
        return str(err)
    if isinstance(err, sqlite3.Error):
        return _sqlite_line(err, db_path)
    if isinstance(err, OSError):
        return _os_line(err, db_path)
    return f"{type(err).__name__}: {err}"


def _sqlite_line(err: sqlite3.Error, db_path: str | Path | None) -> str:
    name = getattr(err, "sqlite_errorname", "") or ""
    text = str(err)
    where = str(db_path) if db_path is not None else "the database"
    if name.startswith("SQLITE_BUSY") or name.startswith("SQLITE_LOCKED") or "locked" in text:
        return (
            f"{where} is locked by another program that is writing to it; "
            "try again when it has finished (nothing was changed)"
        )
    if name.startswith("SQLITE_NOTADB") or "not a database" in text:
        return (
            f"{where} is not an SQLite database (or is encrypted or damaged); "
            "give another file with --db, or move this one away"
        )
    if name.startswith("SQLITE_READONLY") or "readonly" in text:
        return (
            f"{where} is read-only (the file or its folder is not writable for you): "
            "reading commands work, but this one needs to write; nothing was changed"
        )
    if name.startswith("SQLITE_FULL") or "disk is full" in text:
        return f"the disk holding {where} is full; free some space and try again (nothing changed)"
    if name.startswith("SQLITE_CANTOPEN") or "unable to open" in text:
        return _cannot_open(db_path)
    if name.startswith("SQLITE_CORRUPT") or "malformed" in text:
        return (
            f"{where} is damaged ({text}); restore it from a backup, or start a new database "
            "with --db and import your exports again"
        )
    if name.startswith("SQLITE_IOERR") or "I/O error" in text:
        return f"reading or writing {where} failed ({text}); check the disk and try again"
    if name.startswith("SQLITE_PERM") or name.startswith("SQLITE_AUTH"):
        return f"{where}: permission denied ({text})"
    return f"{where}: database error ({text})"


def _cannot_open(db_path: str | Path | None) -> str:
    if db_path is None:
        return "cannot open the database file"
    path = Path(db_path)
    folder = path.parent
    if not folder.is_dir():
        return f"cannot open {path}: the folder {folder} does not exist; create it, or use --db"
    if path.is_dir():
        return f"cannot open {path}: it is a folder; give a file name with --db"
    return (
        f"cannot open {path}: permission denied (the file or its folder {folder} is not "
        "readable or writable for you); fix the permissions or give another --db"
    )


_OS_REASONS = {
    errno.ENOSPC: "the disk is full; free some space and try again",
    errno.EDQUOT: "your disk quota is used up; free some space and try again",
    errno.EROFS: "it is on a read-only file system",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.ENOENT: "no such file or folder",
    errno.ENOTDIR: "a part of the path is not a folder",
    errno.EISDIR: "it is a folder, not a file",
    errno.EEXIST: "it already exists",
    errno.ENAMETOOLONG: "the name is too long",
}


def _os_line(err: OSError, db_path: str | Path | None) -> str:
    """``FILE: reason``. An error that names no file (some libraries raise those) is not
    pinned on the database: its own text, which usually holds the path, is kept."""
    reason = _OS_REASONS.get(err.errno or -1) or (err.strerror or str(err))
    if err.filename is None:
        text = " ".join(str(err).split())
        plain = {"", reason, str(err.strerror), f"[Errno {err.errno}] {err.strerror}"}
        return reason if text in plain else f"{reason} ({text})"
    return f"{err.filename}: {reason}"
