"""``clvtui segments``: profitability tiers × churn risk and who is slipping away."""

from __future__ import annotations

from typing import Annotated

import typer

from clvtui.cli.app import DbOption, JsonOption, app, user_errors
from clvtui.cli.common import RunOption, emit, kind_label, money, open_existing, print_table


@app.command()
def segments(
    db: DbOption = None,
    json: JsonOption = False,
    run: RunOption = None,
    top: Annotated[int, typer.Option(help="How many slipping-away customers to list.")] = 20,
) -> None:
    """Profitability tiers × churn risk, allowable CPA per tier, and who is slipping away."""
    from clvtui.insights.acquisition import allowable_cpa
    from clvtui.insights.context import load_context
    from clvtui.insights.segments import risk_matrix, slipping_away, tier_rule, tier_table
    from clvtui.store import run_scores as store

    with user_errors():
        conn = open_existing(db)
        ctx = load_context(conn, ["spend", "orders", "T"], run_id=run)
        s, sc = ctx.settings, ctx.scored
        rule = tier_rule(sc, s)
        table = tier_table(sc).join(allowable_cpa(sc, s).drop("customers"), on="name", how="left")
        # contact and next-order window only for the listed few (reading them for all is slow)
        top_ids = slipping_away(sc, limit=top).select("customer_id", "tier", "risk")
        details = store.scores_for_ids(
            conn,
            ctx.run_id,
            top_ids["customer_id"].to_list(),
            ["p_order_30", "p_order_90", "next_order_low", "next_order_high"],
            customer_columns=("email", "name"),
        )
        listed = sc.join(top_ids.select("customer_id"), on="customer_id", how="semi")
        slipping = slipping_away(listed.join(details, on="customer_id", how="left"), limit=top)
    if json:
        emit(
            {
                "run_id": ctx.run_id,
                "value_kind": s.value_kind,
                "currency": ctx.currency,
                "rule": rule.describe(),
                "cutoffs": rule.to_json(),
                "customer_equity": float(sc["clv"].sum()),
                "tiers": table.to_dicts(),
                "risk_matrix": risk_matrix(sc).to_dicts(),
                "slipping_away": slipping.to_dicts(),
            }
        )
        return
    cur = ctx.currency
    typer.echo(f"Run {ctx.run_id} (as of {ctx.as_of}) — {kind_label(s.value_kind)}")
    typer.echo(f"Rule: {rule.describe()}")
    print_table(
        "Tiers",
        ["tier", "customers", "CLV total", "CLV mean", "share", "allowable CPA", "payback"],
        [
            [
                r["name"],
                f"{r['customers']:,}",
                money(r["clv_total"]),
                money(r["clv_mean"]),
                f"{r['share_of_value']:.1%}",
                money(r["allowable_cpa"]),
                None if r["payback_month"] is None else f"month {r['payback_month']}",
            ]
            for r in table.to_dicts()
        ],
    )
    typer.echo(f"Customer equity: {money(float(sc['clv'].sum()), cur)}")
    print_table(
        f"Valuable but slipping away (top {top}, by value at stake)",
        [
            *("customer", "tier", "risk", "CLV", "P(alive)", "P(order 90d)", "at stake"),
            "next order (weeks)",
        ],
        [
            [
                r["customer_id"],
                r["tier"],
                r["risk"],
                money(r["clv"]),
                f"{r['p_alive']:.0%}",
                "–" if r.get("p_order_90") is None else f"{r['p_order_90']:.0%}",
                money(r["value_at_stake"]),
                "–"
                if r["next_order_low"] is None
                else f"{r['next_order_low']:.0f}–{r['next_order_high']:.0f}",
            ]
            for r in slipping.to_dicts()
        ],
    )
