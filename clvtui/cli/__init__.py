"""Command-line face: ``clvtui import|fit|rank|segments|budget|…|demo``; no command → the TUI."""

# The import order is the order `clvtui --help` lists the commands in: a shop owner's workflow.
# isort: off
from clvtui.cli import import_cmd, imports_cmd, settings_cmd, fit_cmd  # noqa: F401  (register)
from clvtui.cli import segments_cmd, budget_cmd, profile_cmd, whatif_cmd  # noqa: F401
from clvtui.cli import trends_cmd, export_cmd, runs_cmd, demo_cmd  # noqa: F401
from clvtui.cli import actions_cmd  # noqa: F401  (next-best action per customer group)
from clvtui.cli import products_cmd  # noqa: F401  (issue 12: product value)
from clvtui.cli import warehouse_cmd  # noqa: F401  (scores --out; fit --summary)
from clvtui.cli import campaign_cmd  # noqa: F401  (campaign new|report|list|close)
from clvtui.cli import cohorts_cmd  # noqa: F401  (cohorts, plan)
from clvtui.cli import costs_cmd  # noqa: F401  (costs, channels)

# isort: on
from clvtui.cli.app import app, explain
from clvtui.cli.ending import end_process, exit_code


def main() -> None:
    """The console script: a database or file error that escaped a command is still one line;
    a finished command ends its process at once (``ending``: no interpreter teardown)."""
    import sqlite3
    import sys

    from clvtui.store.opening import remember_opened

    remember_opened()  # closed by end_process
    try:
        app()
    except SystemExit as done:
        end_process(exit_code(done.code))
    except (sqlite3.Error, OSError) as err:
        sys.stderr.write(f"error: {explain(err)}\n")
        end_process(1)
    end_process(0)
