"""``clvtui moved`` and ``clvtui trends``: how the segments change from run to run."""

from __future__ import annotations

from typing import Annotated

import typer

from clvtui.cli.app import DbOption, JsonOption, app, user_errors
from clvtui.cli.common import RunOption, emit, money, open_existing, print_table


@app.command()
def moved(
    db: DbOption = None,
    json: JsonOption = False,
    run: RunOption = None,
    limit: Annotated[int, typer.Option(help="How many movers to list.")] = 50,
) -> None:
    """Customers whose tier or risk band changed since the previous run."""
    from clvtui.services.trends import moved_since_previous

    with user_errors():
        result = moved_since_previous(open_existing(db), run)
    rid, prev = result.run_id, result.previous_run_id
    doc = result.to_json(limit=limit)
    if json:
        emit(doc)
        return
    if prev is None:
        typer.echo(doc["notes"][0])
        return
    typer.echo(
        f"Run {rid} vs run {prev}: {doc['moved']:,} of {doc['customers_compared']:,} customers "
        f"moved; {doc['new_customers']:,} new"
    )
    print_table(
        "Moves",
        ["from", "to", "customers"],
        [
            [
                f"{t['tier_before']} / {t['risk_before']}",
                f"{t['tier_now']} / {t['risk_now']}",
                f"{t['customers']:,}",
            ]
            for t in doc["transitions"]
        ],
    )


@app.command()
def trends(db: DbOption = None, json: JsonOption = False) -> None:
    """Tier sizes and values, and customer equity, for every run."""
    from clvtui.services.trends import tier_history

    with user_errors():
        frame = tier_history(open_existing(db))
    if json:
        emit({"runs": frame.to_dicts()})
        return
    print_table(
        "Tiers per run",
        ["run", "as of", "tier", "customers", "CLV total", "equity"],
        [
            [
                r["run_id"],
                r["as_of"],
                r["tier"],
                f"{r['customers']:,}",
                money(r["clv_total"]),
                money(r["customer_equity"]),
            ]
            for r in frame.to_dicts()
        ],
    )
