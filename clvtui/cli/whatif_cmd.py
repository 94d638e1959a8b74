"""``clvtui whatif``: customer equity under other economics, without refitting."""

from __future__ import annotations

from typing import Annotated

import typer

from clvtui.cli.app import DbOption, JsonOption, app, user_errors
from clvtui.cli.common import RunOption, emit, kind_label, money, open_existing, print_table
from clvtui.wording import plural


def _share(key: str, text: str | None) -> float | None:
    """'35%' or '0.35' → 0.35 for the what-if options (validated by Settings)."""
    if text is None:
        return None
    from clvtui.settings import parse_value

    return parse_value(key, text)


@app.command()
def whatif(
    margin: Annotated[str | None, typer.Option(help="Gross margin, e.g. 35% or 0.35.")] = None,
    discount_rate: Annotated[
        str | None, typer.Option("--discount-rate", help="Annual discount rate, e.g. 12%.")
    ] = None,
    cost_per_order: Annotated[
        float | None, typer.Option("--cost-per-order", help="Cost of serving one order.")
    ] = None,
    retention_uplift: Annotated[
        str | None,
        typer.Option("--retention-uplift", help="Share of would-be churners kept, e.g. 10%."),
    ] = None,
    db: DbOption = None,
    json: JsonOption = False,
    run: RunOption = None,
) -> None:
    """Customer equity and tiers under other economics, without refitting."""
    from clvtui.errors import SettingsError
    from clvtui.services.whatif import what_if_run

    with user_errors():
        m = _share("margin", margin)
        rate = _share("annual_discount_rate", discount_rate)
        uplift = 0.0
        if retention_uplift is not None:
            text = retention_uplift.strip()
            try:
                uplift = float(text[:-1]) / 100 if text.endswith("%") else float(text)
            except ValueError:
                raise SettingsError(
                    f"retention uplift must be a share like 10% (got {retention_uplift!r})"
                ) from None
        answer = what_if_run(
            open_existing(db),
            run,
            margin=m,
            discount_rate=rate,
            cost_per_order=cost_per_order,
            retention_uplift=uplift,
        )
    result, doc = answer.result, answer.to_json()
    if json:
        emit(doc)
        return
    typer.echo(
        f"Customer equity: {money(result.equity_before)} → {money(result.equity_after)} "
        f"({kind_label(result.value_kind)}); "
        f"{plural(result.customers_changing_tier, 'customer')} change tier"
    )
    after = {r["name"]: r for r in doc["tiers_after"]}
    print_table(
        "Tiers before → after",
        ["tier", "customers", "CLV total"],
        [
            [
                r["name"],
                f"{r['customers']:,} → {after[r['name']]['customers']:,}",
                f"{money(r['clv_total'])} → {money(after[r['name']]['clv_total'])}",
            ]
            for r in doc["tiers_before"]
        ],
    )
    typer.echo(f"Rule: {result.rule}")
    for note in result.notes:
        typer.echo(f"Note: {note}")
