"""``clvtui cohorts`` and ``clvtui plan``: cohort value over time, and the revenue-target
planner. Thin: the numbers come from ``services.cohorts`` and ``services.plan``."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from clvtui.cli.app import DbOption, JsonOption, app, user_errors
from clvtui.cli.common import RunOption, emit, kind_label, money, open_existing, print_table

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
        f"Cohorts of fit #{result.run_id} as of {table.as_of} — cumulative "
        f"{kind_label(table.value_kind)} per acquired customer ({result.currency}); "
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
        row.append(
            f"~{r['horizon_value']:,.2f} ({r['horizon_low']:,.2f}–{r['horizon_high']:,.2f})"
        )
        row.append("–" if r["payback"] is None else f"{unit}{r['payback']}")
        rows.append(row)
    print_table(f"Cohort value by acquisition {table.unit}", headers, rows)
    for note in table.notes:
        typer.echo(f"Note: {note}")
