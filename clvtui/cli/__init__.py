"""Command-line face: ``clvtui import|fit|rank|segments|budget|export|moved|demo``."""

# The import order is the order `clvtui --help` lists the commands in.
# isort: off
from clvtui.cli import demo_cmd, fit_cmd, import_cmd  # noqa: F401  (register)
from clvtui.cli import segments_cmd, budget_cmd, trends_cmd, export_cmd  # noqa: F401
from clvtui.cli import whatif_cmd, profile_cmd, settings_cmd  # noqa: F401

# isort: on
from clvtui.cli.app import app


def main() -> None:
    app()
