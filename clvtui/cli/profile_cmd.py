"""``clvtui profile``: the ideal customer, each tier against all."""

from __future__ import annotations

import typer

from clvtui.cli.app import DbOption, JsonOption, app, user_errors
from clvtui.cli.common import (
    RunOption,
    TierOption,
    emit,
    money,
    open_existing,
    print_table,
    tier_name,
)


@app.command()
def profile(
    tier: TierOption = None,
    db: DbOption = None,
    json: JsonOption = False,
    run: RunOption = None,
) -> None:
    """The ideal customer: each tier against all, and what speeds up the second order."""
    import polars as pl

    from clvtui.insights.profile import ALL
    from clvtui.services.profile import run_profile

    name = tier_name(tier) if tier is not None else None
    with user_errors():
        answer = run_profile(open_existing(db), run)
    result = answer.profile
    if name is not None:
        result.numbers = result.numbers.filter(pl.col("group").is_in([name, ALL]))
        result.attributes = result.attributes.filter(pl.col("tier") == name)
    if json:
        emit(result.to_json() | {"run_id": answer.run_id, "tier": name})
        return
    print_table(
        "Tier against all customers",
        ["group", "customers", "orders", "AOV", "tenure (weeks)", "CLV mean"],
        [
            [
                r["group"],
                f"{r['customers']:,}",
                None if r["orders_mean"] is None else f"{r['orders_mean']:.2f}",
                money(r["aov"]),
                None if r["tenure_weeks_mean"] is None else f"{r['tenure_weeks_mean']:.1f}",
                money(r["clv_mean"]),
            ]
            for r in result.numbers.to_dicts()
        ],
    )
    top = result.attributes.filter(pl.col("lift") >= 1.0).sort("lift", descending=True).head(15)
    print_table(
        "Over-represented attributes (share in tier vs all, lift)",
        ["attribute", "level", "tier", "share", "all", "lift"],
        [
            [
                r["attribute"],
                r["level"],
                r["tier"],
                f"{r['share']:.1%}",
                f"{r['share_all']:.1%}",
                f"{r['lift']:.2f}",
            ]
            for r in top.to_dicts()
        ],
    )
    for h in result.hazard:
        typer.echo(h.reading())
    for note in result.notes:
        typer.echo(f"Note: {note}")
