"""Textual face. Imported only when the UI is opened, so the core and ``--help`` stay light."""

from __future__ import annotations

from pathlib import Path


def run_tui(db_path: Path) -> None:
    """Open the app on ``db_path`` (created empty if missing: the app shows a welcome)."""
    from clvtui.tui.app import make_app

    make_app(db_path).run()
