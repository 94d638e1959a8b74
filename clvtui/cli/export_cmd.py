"""``clvtui export``: customer lists (a tier, the win-back list, everyone) as CSV or Excel."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from clvtui.cli.app import DbOption, JsonOption, app, fail, user_errors
from clvtui.cli.common import RunOption, TierOption, emit, open_existing, tier_name
from clvtui.wording import plural


@app.command()
def export(
    output: Annotated[
        Path,
        typer.Option(
            "-o",
            "--output",
            help="FILE.csv or FILE.xlsx, in a folder that exists (it is not created). "
            "Written user-only (0600) and whole or not at all.",
        ),
    ],
    tier: TierOption = None,
    at_risk: Annotated[
        bool, typer.Option("--at-risk", help="Valuable customers slipping away (win-back list).")
    ] = False,
    all_: Annotated[bool, typer.Option("--all", help="Every customer.")] = False,
    db: DbOption = None,
    json: JsonOption = False,
    run: RunOption = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace FILE if it exists (refused otherwise).")
    ] = False,
) -> None:
    """Export customers with contact, CLV and interval, P(alive), P(order in 30/90 days), next
    order window."""
    if sum([tier is not None, at_risk, all_]) != 1:
        raise fail("choose exactly one of --tier NAME, --at-risk, --all")
    if output.suffix.lower() not in (".csv", ".xlsx"):
        raise fail(f"{output}: export to a .csv or .xlsx file")
    from clvtui.services.exporting import export_customers

    name = tier_name(tier) if tier is not None else None
    with user_errors():
        done = export_customers(
            open_existing(db), output, tier=name, at_risk=at_risk, run_id=run, force=force
        )
    if json:
        emit(done.to_json())
    else:
        typer.echo(f"Wrote {plural(done.rows, 'customer')} ({done.selection}) to {done.path}")
