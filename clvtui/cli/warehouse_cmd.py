"""``clvtui fit --summary FILE`` (fit from a warehouse summary) and ``clvtui scores --out``.

Thin: the work is ``clvtui.summary_fit`` and ``clvtui.insights.scores_out``; the contracts of
the file in and the file out are in docs/warehouse.md.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from clvtui.cli.app import DbOption, JsonOption, app, emit_json, fail, open_database, user_errors
from clvtui.cli.common import RunOption
from clvtui.insights.jsonsafe import json_ready
from clvtui.wording import plural


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
        from clvtui.ingest.summary_file import read_summary_in_background

        reading = read_summary_in_background(summary, unit=unit)  # while the model code loads
        from clvtui.cli.fit_cmd import _stderr_progress, render_report
        from clvtui.summary_fit import fit_summary_run
        from clvtui.summary_request import check_request

        checked = reading.result()
        check_request(checked, as_of, holdout_weeks, model, currency)  # before the database
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


@app.command("scores")
def scores_command(
    out: Annotated[
        Path,
        typer.Option("--out", "-o", help="File to write: .parquet or .csv.", show_default=False),
    ],
    run_id: RunOption = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing file.")] = False,
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Write every customer's scores (CLV with interval, P(alive), P(order in 30/90 days),
    expected orders, tier, risk, next-order window) for a warehouse or CRM."""
    with user_errors():
        from clvtui.errors import NoDataError
        from clvtui.insights.scores_out import check_scores_target, scores_file_frame, write_scores
        from clvtui.store.runs import get_run, latest_run, ranked_customers

        check_scores_target(out, force=force)
        database = open_database(db, write=False)
        run = latest_run(database) if run_id is None else get_run(database, run_id)
        if run is None:
            raise NoDataError("no fitted run yet; run clvtui fit first")
        frame = scores_file_frame(ranked_customers(database, run["id"]), run)
        path = write_scores(frame, out, force=force)
    if json_out:
        emit_json({"path": str(path), "run_id": run["id"], "customers": frame.height})
    else:
        typer.echo(
            f"Wrote the scores of {plural(frame.height, 'customer')} (run {run['id']}) to {path}"
        )
