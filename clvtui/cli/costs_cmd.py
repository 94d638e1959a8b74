"""``clvtui costs`` and ``clvtui channels``: what customers cost to serve, and what each
acquisition channel may pay for one. Thin: the numbers come from ``clvtui.services``."""

from __future__ import annotations

from typing import Annotated

import typer

from clvtui.cli.app import DbOption, JsonOption, app, user_errors
from clvtui.cli.common import RunOption, emit, money, open_existing, print_table


@app.command()
def costs(
    db: DbOption = None,
    json: JsonOption = False,
    currency: Annotated[
        str | None, typer.Option(help="Currency (default: most purchases).", show_default=False)
    ] = None,
    limit: Annotated[int, typer.Option(help="Customers listed.", min=0)] = 20,
) -> None:
    """Cost to serve per order (fees, shipping, discounts); who costs more than they bring."""
    from clvtui.services.costs import cost_report

    with user_errors():
        doc = cost_report(open_existing(db), currency, limit=limit)
    if json:
        emit(doc)
        return
    cur, per = doc["currency"], doc["per_purchase"]
    if not doc["cost_columns"]:
        typer.echo("No cost columns imported (fees, shipping, discounts): net CLV uses the flat "
                   f"cost per order ({money(per['flat_cost_per_order'], cur)}).")  # fmt: skip
    typer.echo(
        f"Cost to serve per purchase ({cur}): fees {money(per['fees'])}, uncovered shipping "
        f"{money(per['uncovered_shipping'])}, discounts {money(per['discounts'])}, flat "
        f"{money(per['flat_cost_per_order'])} → {money(per['total'], cur)}"
    )
    rate = doc["refund_rate"]
    used = "used" if doc["used_by_fit"] else "not used"
    typer.echo(f"Refund rate: {'–' if rate is None else f'{rate:.1%}'} of what customers paid; "
               f"{doc['customers_with_cost_data']:,} of {doc['customers']:,} customers have "
               f"cost data (own cost shrunk toward the shop's, K = {doc['shrinkage_orders']:g} "
               f"orders; {used} by the next fit)")  # fmt: skip
    losing = doc["cost_more_than_they_bring"]
    if losing["needs_margin"]:
        typer.echo("Set a margin (clvtui settings --set margin=35%) to find customers who cost "
                   "more than they bring.")  # fmt: skip
        return
    typer.echo(f"Customers who cost more than they bring: {losing['customers']:,} "
               f"({losing['share']:.1%}), {money(-losing['lost'], cur)} lost so far")  # fmt: skip
    print_table(
        "Costing more than they bring (most lost first)",
        ["customer", "orders", "net spend", "costs", "brought", "why"],
        [[r["customer_id"], r["purchases"], money(r["net_spend"]), money(r["costs"]),
          money(r["brought"]), r["reasons"]] for r in losing["list"]],
    )  # fmt: skip


@app.command()
def channels(
    by: Annotated[
        str, typer.Option(help="channel, first_product, discount_code or country.")
    ] = "channel",
    db: DbOption = None,
    json: JsonOption = False,
    run: RunOption = None,
) -> None:
    """Value at acquisition and allowable CPA per channel (or first product, code, country)."""
    from clvtui.services.channels import channel_table

    with user_errors():
        result = channel_table(open_existing(db), by, run)
    if json:
        emit(result.to_json())
        return
    doc = result.to_json()
    typer.echo(f"Run {doc['run_id']}: what a customer acquired through each {result.by} is "
               f"worth ({doc['value_kind']}, {doc['currency']}); allowable CPA = value ÷ "
               f"{doc['ltv_cac_ratio']:g}; no CPA below {doc['min_group']} customers")  # fmt: skip
    print_table(
        f"By {result.by} (90 % intervals)",
        ["group", "customers", "value", "90 % interval", "allowable CPA", "actual CAC", "verdict"],
        [[g["group"], f"{g['customers']:,}", money(g["value"]),
          f"{money(g['value_low'])} – {money(g['value_high'])}",
          money(g["allowable_cpa"]) if g["enough"] else "too few",
          money(g["cac"]), g["verdict"]] for g in doc["groups"]],
    )  # fmt: skip
    if not doc["marketing_spend"] and result.by == "channel":
        typer.echo("Import marketing spend (clvtui spend import FILE) to see actual CAC.")
