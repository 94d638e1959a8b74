"""``clvtui profile``: the ideal customer, each tier against all."""

from __future__ import annotations

from typing import Annotated

import typer

from clvtui.cli.app import DbOption, JsonOption, app, user_errors
from clvtui.cli.common import RunOption, emit, money, open_existing, print_table, tier_name


@app.command()
def profile(
    tier: Annotated[str | None, typer.Option(help="Only this tier against all.")] = None,
    db: DbOption = None,
    json: JsonOption = False,
    run: RunOption = None,
) -> None:
    """The ideal customer: each tier against all, and what speeds up the second order."""
    import polars as pl

    from clvtui.insights.context import load_context
    from clvtui.insights.profile import ALL, build_profile, hazard_sample, time_to_repurchase
    from clvtui.store import run_scores as store

    name = tier_name(tier) if tier is not None else None
    with user_errors():
        conn = open_existing(db)
        attrs = store.customer_attribute_names(conn)
        ctx = load_context(conn, ["spend", "orders", "T"], run_id=run, customer_columns=attrs)
        durations = None
        if attrs:  # the hazard model needs attributes; without them skip reading orders
            sample = hazard_sample(ctx.scored["customer_id"])
            until = ctx.as_of.isoformat()
            purchases = store.purchase_times(conn, sample.to_list(), until)
            durations = time_to_repurchase(purchases, ctx.as_of)
        result = build_profile(
            ctx.scored, ctx.as_of, attrs, durations, sampled_from=ctx.scored.height
        )
    if name is not None:
        result.numbers = result.numbers.filter(pl.col("group").is_in([name, ALL]))
        result.attributes = result.attributes.filter(pl.col("tier") == name)
    if json:
        emit(result.to_json() | {"run_id": ctx.run_id, "tier": name})
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
