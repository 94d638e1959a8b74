"""``clvtui export``: customer lists (a tier, the win-back list, everyone) as CSV or Excel."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from clvtui.cli.app import DbOption, JsonOption, app, fail, user_errors
from clvtui.cli.common import RunOption, emit, open_existing, tier_name


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
    tier: Annotated[str | None, typer.Option(help="Export one tier.")] = None,
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
    import polars as pl

    from clvtui.insights.context import load_context
    from clvtui.insights.customer_lists import check_export_target, export_frame, write_export
    from clvtui.insights.segments import slipping_away

    name = tier_name(tier) if tier is not None else None
    with user_errors():
        check_export_target(output, force=force)  # refuse before reading any customer
        ctx = load_context(
            open_existing(db),
            [
                *("clv_low", "clv_high", "next_order_low", "next_order_high"),
                *("p_order_30", "p_order_90"),
            ],
            run_id=run,
            customer_columns=("email", "name", "sources"),
        )
        sc = ctx.scored
        if name is not None:
            sc = sc.filter(pl.col("tier") == name)
        elif at_risk:
            ids = slipping_away(sc, limit=None).select("customer_id")
            sc = sc.join(ids, on="customer_id", how="semi")
        path = write_export(export_frame(sc, ctx.as_of), output, force=force)
    selection = f"tier {name}" if name else ("at risk" if at_risk else "all")
    if json:
        emit({"path": str(path), "rows": sc.height, "selection": selection, "run_id": ctx.run_id})
    else:
        typer.echo(f"Wrote {sc.height:,} customers ({selection}) to {path}")
