"""``clvtui segments``: profitability tiers × churn risk and who is slipping away."""

from __future__ import annotations

from typing import Annotated

import typer

from clvtui.cli.app import DbOption, JsonOption, app, user_errors
from clvtui.cli.common import RunOption, emit, kind_label, money, open_existing, print_table
from clvtui.wording import plural


@app.command()
def segments(
    db: DbOption = None,
    json: JsonOption = False,
    run: RunOption = None,
    top: Annotated[int, typer.Option(help="How many slipping-away customers to list.")] = 20,
) -> None:
    """Profitability tiers × churn risk, allowable CPA per tier, and who is slipping away."""
    from clvtui.services.segments import segments_view

    with user_errors():
        view = segments_view(open_existing(db), run, top=top)
    if json:
        emit(view.to_json())
        return
    cur = view.currency
    typer.echo(f"Run {view.run_id} (as of {view.as_of}) — {kind_label(view.value_kind)}")
    typer.echo(f"Rule: {view.rule.describe()}")
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
            for r in view.tiers.to_dicts()
        ],
    )
    typer.echo(f"Customer equity: {money(view.customer_equity, cur)}")
    print_table(
        f"Valuable but slipping away: {plural(view.slipping_total, 'customer')} with at least "
        f"{money(view.min_value_at_stake, cur)} at stake (top {top} by value at stake)",
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
            for r in view.slipping_away.to_dicts()
        ],
    )
