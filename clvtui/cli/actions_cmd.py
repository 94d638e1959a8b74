"""``clvtui actions``: the next-best action for every tier × risk cell, and what it may cost."""

from __future__ import annotations

from typing import Any

import typer

from clvtui.cli.app import DbOption, JsonOption, app, user_errors
from clvtui.cli.common import (
    RunOption,
    TierOption,
    emit,
    kind_label,
    money,
    open_existing,
    print_table,
    tier_name,
)


@app.command()
def actions(
    db: DbOption = None,
    json: JsonOption = False,
    run: RunOption = None,
    tier: TierOption = None,
) -> None:
    """Next-best action per tier × risk cell: customers, value at stake, the most worth
    spending per customer, timing, and how to export each list."""
    from clvtui.services.actions import actions_view

    name = tier_name(tier) if tier is not None else None
    with user_errors():
        view = actions_view(open_existing(db), run, tier=name)
    if json:
        emit(view.to_json())
        return
    cur = view.currency
    typer.echo(f"Run {view.run_id} (as of {view.as_of}) — {kind_label(view.value_kind)}")
    print_table(
        "Rule table (clvtui settings --set action_…=NAME)",
        ["tier", "risk", "action", "customers", "value at stake", "max spend each"],
        [_cell_row(c) for c in view.cells],
    )
    print_table(
        f"Actions ({view.customers:,} customers; max spend = CLV ÷ {view.ltv_cac_ratio:g}, "
        f"value at stake ÷ {view.ltv_cac_ratio:g} for win-backs, in {cur or 'shop currency'})",
        ["action", "customers", "value at stake", "max spend each", "in all", "timing", "list"],
        [_action_row(a) for a in view.actions],
    )


def _cell_row(c: dict[str, Any]) -> list[Any]:
    return [
        c["tier"], c["risk"] or "one order, active", c["action"], f"{c['customers']:,}",
        money(c["value_at_stake"]), money(c["max_spend_each"]),
    ]  # fmt: skip


def _action_row(a: dict[str, Any]) -> list[Any]:
    timing = a["timing"]
    if a["contact_median"] is not None and timing != "now":
        timing = f"{timing} (median {a['contact_median']})"
    return [
        a["action"], f"{a['customers']:,}", money(a["value_at_stake"]),
        money(a["max_spend_each"]), money(a["max_spend_total"]), timing, a["export"],
    ]  # fmt: skip
