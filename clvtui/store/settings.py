"""Reading and writing the user's settings (key → JSON value)."""

from __future__ import annotations

import json

import sqlite_utils

from clvtui.settings import Settings


def load_settings(db: sqlite_utils.Database) -> Settings:
    """The stored settings over the defaults; unknown stored keys are an error, not dropped."""
    rows = db.conn.execute("SELECT key, value FROM settings").fetchall()
    return Settings.from_mapping({key: json.loads(value) for key, value in rows})


def save_settings(db: sqlite_utils.Database, settings: Settings) -> None:
    """Store every setting (so a later default change never silently changes a shop's numbers)."""
    with db.conn:
        db.conn.executemany(
            "INSERT INTO settings(key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [(k, json.dumps(v)) for k, v in settings.to_mapping().items()],
        )
