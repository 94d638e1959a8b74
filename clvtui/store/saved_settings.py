"""Reading and writing the user's settings (key → JSON value)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import sqlite_utils

from clvtui.errors import SettingsError
from clvtui.settings import Settings
from clvtui.store.locking import write_transaction


def load_settings(db: sqlite_utils.Database, *, replacing: Iterable[str] = ()) -> Settings:
    """The stored settings over the defaults; unknown stored keys are an error, not dropped.

    A stored value that is no longer valid (``inf`` or ``NaN`` saved by an older clvtui) is an
    error naming the key and how to fix it — never silently replaced by a default, which would
    change a shop's numbers unseen. Keys in ``replacing`` (about to be set anew) are skipped,
    so ``clvtui settings --set KEY=VALUE`` can repair them.
    """
    skip = set(replacing)
    rows = db.table("settings").rows
    stored = {r["key"]: json.loads(r["value"]) for r in rows if r["key"] not in skip}
    try:
        return Settings.from_mapping(stored)
    except SettingsError as err:
        bad = [key for key, value in stored.items() if not _valid_alone(key, value)]
        if not bad:
            raise
        raise SettingsError(
            f"stored setting {bad[0]}={stored[bad[0]]!r} is invalid ({err}); set it again with "
            f"clvtui settings --set {bad[0]}=VALUE"
        ) from None


def _valid_alone(key: str, value: object) -> bool:
    try:
        Settings.from_mapping({key: value})
    except SettingsError:
        return False
    return True


def save_settings(db: sqlite_utils.Database, settings: Settings) -> None:
    """Store every setting (so a later default change never silently changes a shop's numbers)."""
    with write_transaction(db, "settings"):
        _write(db, settings)


def update_settings(db: sqlite_utils.Database, changes: dict[str, Any]) -> Settings:
    """Apply ``changes`` to the stored settings under the write lock and return the result.

    Read and write are one transaction: two ``settings --set`` at once both land, neither
    overwrites the other's key with the value it read before.
    """
    with write_transaction(db, "settings"):
        settings = load_settings(db, replacing=changes).with_changes(**changes)
        _write(db, settings)
    return settings


def _write(db: sqlite_utils.Database, settings: Settings) -> None:
    """Upsert every key (inside the caller's write transaction: sqlite-utils nests a savepoint)."""
    db.table("settings").upsert_all(
        [
            {"key": k, "value": json.dumps(v, allow_nan=False)}
            for k, v in settings.to_mapping().items()
        ],
        pk="key",
    )
