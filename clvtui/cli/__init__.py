"""Command-line face: ``clvtui import|fit|rank|segments|budget|export|moved|demo``."""

from clvtui.cli import demo_cmd, fit_cmd, import_cmd, insights_cmd  # noqa: F401  (register)
from clvtui.cli.app import app


def main() -> None:
    app()
