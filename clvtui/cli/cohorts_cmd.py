"""``clvtui cohorts`` and ``clvtui plan``: cohort value over time, and the revenue-target
planner. Thin: the numbers come from ``services.cohorts`` and ``services.plan``."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from clvtui.cli.app import DbOption, JsonOption, app, user_errors
from clvtui.cli.common import RunOption, emit, money, open_existing, print_table
from clvtui.wording import value_basis

SHOWN_OFFSETS = 13  # periods 0..12 in the text table; --json has every one


def cell_text(cell: dict[str, Any] | None) -> str:
    """An actual value plain, an expected one with ``~`` in front (the model's, not the orders')."""
    if cell is None:
        return ""
    text = f"{cell['value']:,.2f}"
    return text if cell["kind"] == "actual" else "~" + text


@app.command()
def cohorts(
    by: Annotated[
        str | None,
        typer.Option(help="Split by channel, first_product, discount_code or country."),
    ] = None,
    db: DbOption = None,
    json: JsonOption = False,
    run: RunOption = None,
) -> None:
    """Cumulative value per acquired customer by acquisition month: actual, then expected."""
    from clvtui.services.cohorts import check_by, cohort_value

    with user_errors():
        result = cohort_value(open_existing(db), run, by=check_by(by))
    doc = result.to_json()
    if json:
        emit(doc)
        return
    table = result.table
    unit = "M" if table.unit == "month" else "W"
    typer.echo(
        f"Cohorts of fit #{result.run_id} as of {table.as_of} — cumulative value per acquired "
        f"customer, {value_basis(table.value_kind)}, {result.currency}; "
        "~ = expected by the model"
    )
    headers = ["group"] if table.by else []
    headers += ["cohort", "customers", "CAC"]
    headers += [f"{unit}{k}" for k in range(SHOWN_OFFSETS)]
    headers += ["at horizon (90 %)", "payback"]
    rows = []
    for r in doc["cohorts"]:
        cells = {c["offset"]: c for c in r["cells"]}
        row = [r["group"]] if table.by else []
        row += [r["label"], f"{r['customers']:,}", money(r["cac"])]
        row += [cell_text(cells.get(k)) for k in range(SHOWN_OFFSETS)]
        row.append(f"~{r['horizon_value']:,.2f} ({r['horizon_low']:,.2f}–{r['horizon_high']:,.2f})")
        row.append("–" if r["payback"] is None else f"{unit}{r['payback']}")
        rows.append(row)
    print_table(f"Cohort value by acquisition {table.unit}", headers, rows)
    for note in table.notes:
        typer.echo(f"Note: {note}")


def _share(text: str) -> float:
    """'10%' or '0.1' → 0.1."""
    from clvtui.errors import SettingsError

    raw = text.strip()
    try:
        return float(raw[:-1]) / 100 if raw.endswith("%") else float(raw)
    except ValueError:
        raise SettingsError(f"retention uplift must be a share like 10% (got {text!r})") from None


@app.command()
def plan(
    revenue_goal: Annotated[
        float, typer.Option("--revenue-goal", help="Revenue to reach (shop currency).")
    ],
    months: Annotated[int, typer.Option(help="Months after the fit's as-of date.")] = 12,
    retention_uplift: Annotated[
        str, typer.Option("--retention-uplift", help="Scenario: share of would-be churners kept.")
    ] = "10%",
    db: DbOption = None,
    json: JsonOption = False,
    run: RunOption = None,
) -> None:
    """How far the existing customers carry a revenue goal, and what the rest costs."""
    from clvtui.services.plan import check_goal, load_basis
    from clvtui.services.plan import plan as make_plan

    with user_errors():
        check_goal(revenue_goal, months)
        uplift = _share(retention_uplift)
        basis = load_basis(open_existing(db), run, uplift, keep_orders=False)
        result = make_plan(basis, revenue_goal, months)
    doc = result.to_json()
    if json:
        emit(doc)
        return
    _print_plan(doc, result.currency)


def _print_plan(doc: dict[str, Any], currency: str) -> None:
    base = doc["base"]
    typer.echo(
        f"Goal {money(doc['goal'], currency)} in {doc['months']} months. Existing customers: "
        f"~{money(base['revenue'])} revenue (90 %: {money(base['revenue_low'])}–"
        f"{money(base['revenue_high'])}); value {value_basis(doc['value_kind'])}: "
        f"~{money(base['net'])}"
    )
    print_table(
        "Expected revenue of the existing customers, month by month",
        ["month", "revenue", "90 % low", "90 % high", "net"],
        [[m["month"], money(m["revenue"]), money(m["revenue_low"]), money(m["revenue_high"]),
          money(m["net"])] for m in base["monthly"]],
    )  # fmt: skip
    print_table(
        "By tier (the whole plan)",
        ["tier", "customers", "revenue", "net"],
        [[t["tier"], f"{t['customers']:,}", money(t["revenue"]), money(t["net"])]
         for t in base["by_tier"]],
    )  # fmt: skip
    nc = doc["new_customer"]
    typer.echo(f"Gap to the goal: {money(doc['gap'])} (90 %: {money(doc['gap_low'])}–"
               f"{money(doc['gap_high'])})")  # fmt: skip
    typer.echo(
        f"A new customer brings ~{money(nc['value'])} within the plan (90 %: "
        f"{money(nc['low'])}–{money(nc['high'])}; {nc['cohorts']} recent cohorts, "
        f"{nc['customers']:,} customers)"
    )
    if doc["gap"] > 0:
        typer.echo(
            f"New customers needed: ~{doc['new_customers_needed']:,.0f} "
            f"({doc['new_customers_needed_low']:,.0f}–{doc['new_customers_needed_high']:,.0f}); "
            f"allowable CPA {money(doc['allowable_cpa'])}; implied budget "
            f"{money(doc['implied_budget'])}"
        )
    if doc["acquisition_cost"] is not None:
        typer.echo(f"Acquisition cost per customer: {money(doc['acquisition_cost'])} "
                   f"({doc['acquisition_cost_source']})")  # fmt: skip
    up = doc["retention_uplift"]
    typer.echo(
        f"With {up['retention_uplift']:.0%} retention uplift: ~{money(up['revenue'])} from "
        f"existing customers, gap {money(up['gap'])}, ~{up['new_customers_needed']:,.0f} new "
        "customers"
    )
    typer.echo(doc["verdict"])
