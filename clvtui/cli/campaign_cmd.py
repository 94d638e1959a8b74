"""``clvtui campaign new|report|list|close``: campaigns measured against a control group.

Thin: choosing, splitting, storing and measuring live in ``clvtui.services.campaigns``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from clvtui.cli.app import DbOption, JsonOption, app, fail, open_database, user_errors
from clvtui.cli.common import TierOption, emit, money, open_existing, print_table, tier_name
from clvtui.cli.export_cmd import ToolOption, echo_export

campaign_app = typer.Typer(
    help="Campaigns with a control group: `new` stores the list and holds back a random "
    "control group, `report` says what the campaign did, `list` shows them all.",
    no_args_is_help=True,
)
app.add_typer(campaign_app, name="campaign")

NameArg = Annotated[str, typer.Argument(help="The campaign's name.", show_default=False)]


@campaign_app.command("new")
def new(
    name: NameArg,
    action: Annotated[
        str | None,
        typer.Option(
            "--action",
            help="Who to contact: winback (valuable customers slipping away).",
            show_default=False,
        ),
    ] = None,
    tier: TierOption = None,
    risk: Annotated[
        str | None,
        typer.Option(
            "--risk",
            help="Only this churn-risk band: active, 'at risk', 'likely lost'.",
            show_default=False,
        ),
    ] = None,
    holdout: Annotated[
        str,
        typer.Option("--holdout", help="Share held back as the control group (never contacted)."),
    ] = "10%",
    seed: Annotated[
        int | None,
        typer.Option(
            "--seed",
            help="Seed of the random split (default: drawn and stored).",
            show_default=False,
        ),
    ] = None,
    cost: Annotated[
        float | None,
        typer.Option(
            "--cost-per-contact",
            help="What one contact costs (default: the winback_cost_per_contact setting).",
            show_default=False,
            min=0.0,
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "-o",
            "--output",
            help="Write the contacted customers "
            "(never the control group) to FILE.csv or FILE.xlsx.",
            show_default=False,
        ),
    ] = None,
    tool: ToolOption = None,
    force: Annotated[bool, typer.Option("--force", help="Replace FILE if it exists.")] = False,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Store a campaign: its customers from the latest fit, split at random into contacted
    and control."""  # fmt: skip
    from clvtui.services.campaigns import Selection, new_campaign, parse_holdout

    if action is None and tier is None and risk is None:
        raise fail("choose who to contact: --action winback, --tier NAME and/or --risk BAND")
    if tool is not None and output is None:
        raise fail("--for needs -o FILE.csv")
    sel = Selection(action, tier_name(tier) if tier else None, _risk(risk))
    with user_errors():
        share = parse_holdout(holdout)
        done = new_campaign(
            open_database(db, write=True, create=False), name, sel, holdout=share, seed=seed,
            cost_per_contact=cost, output=output, tool=tool, force=force,
        )  # fmt: skip
    if json:
        emit(done.to_json())
        return
    typer.echo(
        f"Campaign {done.name!r} ({done.segment}), from {done.start_date}: "
        f"{done.contacted:,} to contact, {done.control:,} held back as control (seed {done.seed})"
    )
    if done.export is not None:
        echo_export(done.export)
    typer.echo(f"After importing later orders: clvtui campaign report {_quoted(done.name)}")


def _risk(text: str | None) -> str | None:
    from clvtui.insights.segments import RISKS

    if text is None:
        return None
    key = text.strip().lower()
    if key not in RISKS:
        raise fail(f"unknown risk band {text!r}; use one of: {', '.join(RISKS)}")
    return key


def _quoted(name: str) -> str:
    return name if name.replace("-", "").replace("_", "").isalnum() else repr(name)


@campaign_app.command("report")
def report(
    name: NameArg,
    save_response: Annotated[
        bool,
        typer.Option(
            "--save-response",
            help="Store the measured extra response as the budget's winback_response_rate.",
        ),
    ] = False,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Contacted vs control since the start: response, orders, revenue, incremental value
    (90 % interval), return on the campaign's cost."""
    from clvtui.services.campaigns import campaign_report
    from clvtui.services.campaigns import save_response as store_rate

    with user_errors():
        database = (
            open_database(db, write=True, create=False) if save_response else open_existing(db)
        )
        doc = campaign_report(database, name)
        saved = store_rate(database, name) if save_response else None
    if json:
        emit(doc.to_json() | {"saved_winback_response_rate": saved})
        return
    _print_report(doc)
    if saved is not None:
        typer.echo(f"Saved winback_response_rate = {saved:.1%} (the budget uses it from now on)")


def _print_report(doc: Any) -> None:
    c, r = doc.campaign, doc.result
    cur = c.get("currency") or ""
    typer.echo(f"Campaign {c['name']!r}: {c['segment']}, started {c['start_date']}; {doc.status}")
    if r is None:
        for note in doc.notes:
            typer.echo(note)
        return
    rows = [
        ["customers", f"{r.contacted:,}", f"{r.control:,}", "", ""],
        ["bought again", f"{r.response.contacted:.1%}", f"{r.response.control:.1%}",
         f"{r.response.difference:+.1%}", f"{r.response.low:+.1%} … {r.response.high:+.1%}"],
        ["orders per customer", f"{r.orders.contacted:.3f}", f"{r.orders.control:.3f}",
         f"{r.orders.difference:+.3f}", f"{r.orders.low:+.3f} … {r.orders.high:+.3f}"],
        ["net revenue per customer", money(r.revenue.contacted), money(r.revenue.control),
         f"{r.revenue.difference:+,.2f}", f"{r.revenue.low:+,.2f} … {r.revenue.high:+,.2f}"],
    ]  # fmt: skip
    if r.value_kind == "net":
        rows.append(["profit per customer", money(r.value.contacted), money(r.value.control),
                     f"{r.value.difference:+,.2f}",
                     f"{r.value.low:+,.2f} … {r.value.high:+,.2f}"])  # fmt: skip
    print_table(f"Since {c['start_date']}, through {doc.through} ({r.days} days)",
                ["", "contacted", "control", "difference", "90 % interval"], rows)  # fmt: skip
    kind = "profit" if r.value_kind == "net" else "revenue"
    typer.echo(
        f"Incremental {kind}: {money(r.incremental_value, cur)} "
        f"(90 %: {r.incremental_low:,.2f} … {r.incremental_high:,.2f}); "
        f"cost {money(r.cost, cur)}"
    )
    if r.roi is not None:
        typer.echo(f"Return on cost: {r.roi:+.0%} (90 %: {r.roi_low:+.0%} … {r.roi_high:+.0%})")
    for note in doc.notes:
        typer.echo(f"note: {note}")


@campaign_app.command("list")
def list_(db: DbOption = None, json: JsonOption = False) -> None:
    """Every campaign: who, when, group sizes, status."""
    from clvtui.services.campaigns import campaigns_overview

    with user_errors():
        rows = campaigns_overview(open_existing(db))
    if json:
        emit({"campaigns": rows})
        return
    if not rows:
        typer.echo("No campaigns yet: clvtui campaign new NAME --action winback")
        return
    print_table("Campaigns", ["name", "who", "start", "contacted", "control", "status"], [
        [r["name"], r["segment"], r["start_date"], f"{r['contacted']:,}", f"{r['control']:,}",
         r["status"]] for r in rows
    ])  # fmt: skip


@campaign_app.command("close")
def close(name: NameArg, db: DbOption = None) -> None:
    """Mark a campaign closed (measured; still reported, no longer followed)."""
    from clvtui.store.campaigns import campaign_row, set_status

    with user_errors():
        database = open_database(db, write=True, create=False)
        set_status(database, int(campaign_row(database, name)["id"]), "closed")
    typer.echo(f"Campaign {name!r} closed")
