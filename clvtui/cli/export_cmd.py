"""``clvtui export``: customer lists (a tier, the win-back list, everyone) as CSV or Excel."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from clvtui.cli.app import DbOption, JsonOption, app, fail, user_errors
from clvtui.cli.common import RunOption, TierOption, emit, open_existing, tier_name
from clvtui.wording import plural

TOOL_NAMES = ("klaviyo", "mailchimp", "meta", "google-ads", "shopify")  # insights.tool_exports
ToolOption = Annotated[
    str | None,
    typer.Option(
        "--for",
        help="Write the import columns of a marketing tool: klaviyo, mailchimp, meta, "
        "google-ads or shopify (a .csv; e-mails normalised; see docs/commands.md).",
        show_default=False,
    ),
]


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
    action: Annotated[
        str | None,
        typer.Option(
            "--action",
            help="One next-best action's customers (see clvtui actions), with max spend and "
            "contact date.",
            show_default=False,
        ),
    ] = None,
    db: DbOption = None,
    json: JsonOption = False,
    run: RunOption = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace FILE if it exists (refused otherwise).")
    ] = False,
    tool: ToolOption = None,
) -> None:
    """Export customers with contact, CLV and interval, P(alive), P(order in 30/90 days), next
    order window."""
    if sum([tier is not None, at_risk, all_, action is not None]) != 1:
        raise fail("choose exactly one of --tier NAME, --at-risk, --all, --action NAME")
    if output.suffix.lower() not in (".csv", ".xlsx"):
        raise fail(f"{output}: export to a .csv or .xlsx file")
    from clvtui.services.exporting import check_tool_target, export_customers

    name = tier_name(tier) if tier is not None else None
    chosen = action_name(action) if action is not None else None
    with user_errors():
        check_tool_target(output, tool)
        done = export_customers(
            open_existing(db), output, tier=name, at_risk=at_risk, run_id=run, force=force,
            tool=tool, action=chosen,
        )  # fmt: skip
    if json:
        emit(done.to_json())
    else:
        echo_export(done)


def echo_export(done: Any) -> None:
    """One line: how many customers went where (and who a tool's file left out)."""
    where = f" for {done.tool}" if done.tool else ""
    typer.echo(f"Wrote {plural(done.rows, 'customer')} ({done.selection}){where} to {done.path}")
    if done.without_email:
        left = plural(done.without_email, "customer")
        typer.echo(f"left out {left} without a usable e-mail (or sharing one)")


def action_name(text: str) -> str:
    """The action the user named (checked before the database is opened)."""
    from clvtui.settings import ACTION_NAMES

    key = text.strip().lower()
    if key not in ACTION_NAMES:
        raise fail(f"unknown action {text!r}; use one of: {', '.join(ACTION_NAMES)}")
    return key
