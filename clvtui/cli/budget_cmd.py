"""``clvtui budget`` and ``clvtui spend``: where marketing money goes and what it cost
per new customer. Thin: the numbers come from ``clvtui.insights``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from clvtui.cli.app import DbOption, JsonOption, app, open_database, user_errors
from clvtui.cli.common import RunOption, emit, kind_label, money, open_existing, print_table

spend_app = typer.Typer(help="Marketing spend (month, channel, amount) for actual CAC.")
app.add_typer(spend_app, name="spend")


@app.command()
def budget(
    total: Annotated[float, typer.Option("--total", help="Budget to split (shop currency).")],
    db: DbOption = None,
    json: JsonOption = False,
    run: RunOption = None,
    by_channel: Annotated[
        bool, typer.Option("--by-channel", help="Split acquisition money across channels.")
    ] = False,
) -> None:
    """Split a budget between win-back and look-alike acquisition (equal marginal returns)."""
    from clvtui.services.budget import check_total, load_basis, plan

    if by_channel:
        _by_channel(total, db, json, run)
        return
    with user_errors():
        check_total(total)
        result = plan(load_basis(open_existing(db), run), total)
    doc = result.to_json()
    if json:
        emit(doc)
        return
    typer.echo(
        f"Budget {money(total, result.currency)} — values are "
        f"{kind_label(result.settings.value_kind)}"
    )
    print_table(
        "Allocation (each unit goes where it returns most; stop below the target ratio)",
        ["target", "spend", "expected value", "ROI", "customers", "payback"],
        [
            [
                a["target"],
                money(a["spend"]),
                money(a["expected_value"]),
                None if a["roi"] is None else f"{a['roi']:.0%}",
                f"{a['customers']:,.1f}",
                None if a["payback_month"] is None else f"month {a['payback_month']}",
            ]
            for a in doc["allocations"]
        ],
    )
    if result.plan.unallocated:
        typer.echo(
            f"Unallocated: {money(result.plan.unallocated)} — {result.plan.unallocated_reason}"
        )
    for skip in result.plan.skipped:
        typer.echo(f"Skipped {skip['target']}: {skip['reason']}")
    typer.echo("Assumptions: " + ", ".join(f"{k}={v}" for k, v in doc["assumptions"].items()))


def _by_channel(total: float, db: DbOption, json: bool, run: int | None) -> None:
    """``budget --by-channel``: acquisition money across channels by their customers' value."""
    from clvtui.services.budget import check_total
    from clvtui.services.channels import channel_budget, channel_table
    from clvtui.services.runs import observed_cac

    with user_errors():
        check_total(total)
        database = open_existing(db)
        table = channel_table(database, "channel", run)
        doc = channel_budget(table, total, observed_cac(database, table.run_id))
    if json:
        emit(doc)
        return
    cur = doc["currency"]
    typer.echo(f"Acquisition budget {money(total, cur)} across channels — "
               f"{kind_label(table.settings.value_kind)}")  # fmt: skip
    print_table(
        "By channel (equal marginal returns; each channel's own CAC where spend was imported)",
        ["channel", "spend", "new customers", "expected value", "cost per customer", "from"],
        [[a["group"], money(a["spend"]), f"{a['customers']:,.1f}", money(a["expected_value"]),
          money(a["cost_per_customer"]), a["cost_source"]] for a in doc["allocations"]],
    )  # fmt: skip
    if doc["unallocated"]:
        typer.echo(f"Unallocated: {money(doc['unallocated'])} — {doc['reason']}")


@spend_app.command("import")
def spend_import(
    file: Annotated[
        Path, typer.Argument(help="CSV with month, channel, amount[, currency].", readable=False)
    ],
    currency: Annotated[str, typer.Option(help="Currency when the file has none.")] = "USD",
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Import marketing spend per month and channel (re-import replaces those months)."""
    from clvtui.insights.spend import read_spend
    from clvtui.store.marketing_spend import upsert_marketing_spend

    with user_errors():
        rows = read_spend(file, currency=currency)
        n = upsert_marketing_spend(open_database(db, write=True), rows)
    doc = {
        "path": str(file),
        "rows": n,
        "months": sorted({r[0] for r in rows}),
        "channels": sorted({r[1] for r in rows}),
        "currency": rows[0][3],
    }
    if json:
        emit(doc)
    else:
        typer.echo(
            f"Imported {n} spend rows ({doc['months'][0]} … {doc['months'][-1]}, "
            f"{len(doc['channels'])} channels)"
        )


@spend_app.command("cac")
def spend_cac(db: DbOption = None, json: JsonOption = False, run: RunOption = None) -> None:
    """Actual CAC per acquisition month and channel, beside the cohort's predicted CLV."""
    from clvtui.services.budget import actual_cac

    with user_errors():
        rid, table = actual_cac(open_existing(db), run)
    if json:
        emit({"run_id": rid, "cac": table.to_dicts()})
        return
    print_table(
        "Actual CAC per cohort and channel",
        ["month", "channel", "spend", "new customers", "CAC", "CLV mean", "CLV : CAC"],
        [
            [
                r["month"],
                r["channel"],
                money(r["spend"]),
                r["new_customers"],
                money(r["cac"]),
                money(r["clv_mean"]),
                None if r["ltv_cac"] is None else f"{r['ltv_cac']:.1f}",
            ]
            for r in table.to_dicts()
        ],
    )
