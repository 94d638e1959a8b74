"""``clvtui fit --summary FILE`` (fit from a warehouse summary) and ``clvtui scores --out``.

Thin: the work is ``clvtui.summary_fit`` and ``clvtui.insights.scores_out``; the contracts of
the file in and the file out are in docs/warehouse.md.
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from clvtui.cli.app import emit_json, fail, open_database, user_errors
from clvtui.insights.jsonsafe import json_ready


def fit_from_summary(
    db: Path | None,
    summary: Path,
    unit: str,
    as_of: str | None,
    holdout_weeks: int | None,
    model: str,
    currency: str | None,
    json_out: bool,
) -> None:
    """The file is read and checked before the database is opened for writing: a broken
    summary changes nothing."""
    if unit not in ("weeks", "days"):
        raise fail(f"--unit must be weeks or days (got {unit!r})")
    with user_errors():
        from clvtui.cli.fit_cmd import _stderr_progress, render_report
        from clvtui.ingest.summary_file import read_summary
        from clvtui.summary_fit import fit_summary_run

        checked = read_summary(summary, unit=unit)
        database = open_database(db, write=True, create=True)
        progress = None if json_out or not sys.stderr.isatty() else _stderr_progress
        result = fit_summary_run(
            database, checked, as_of=as_of, holdout_weeks=holdout_weeks, model=model,
            unit=unit, currency=currency, progress=progress,
        )  # fmt: skip
    if json_out:
        emit_json(json_ready(result.report))
    else:
        typer.echo(render_report(result.report))
