"""``clvtui products``: which first products bring the best customers, what they buy next,
and which products go together."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from clvtui.cli.app import DbOption, JsonOption, app, user_errors
from clvtui.cli.common import RunOption, TierOption, emit, money, open_existing, print_table
from clvtui.wording import plural

if TYPE_CHECKING:
    from clvtui.services.products import ProductReport

MinOption = Annotated[
    int | None,
    typer.Option(
        "--min-customers",
        min=1,
        help="Customers an entry product needs to be shown (default 20).",
        show_default=False,
    ),
]


@app.command()
def products(
    tier: TierOption = None,
    min_customers: MinOption = None,
    db: DbOption = None,
    json: JsonOption = False,
    run: RunOption = None,
) -> None:
    """Entry products (value of the customers each first product brings), the product
    journey (first → second order) and products bought together (lift)."""
    from clvtui.cli.common import tier_name
    from clvtui.insights.products import ProductRules
    from clvtui.services.products import product_report, report_json

    name = tier_name(tier) if tier is not None else None
    rules = ProductRules() if min_customers is None else ProductRules(min_customers=min_customers)
    with user_errors():
        report = product_report(open_existing(db), run, tier=name, rules=rules)
    if json:
        emit(report_json(report))
        return
    if report.message is not None:
        typer.echo(report.message)
        return
    _print(report)


def _print(report: ProductReport) -> None:
    """The three tables, each with the sentence an owner reads first."""
    from clvtui.insights.products import lead_product, worth_sentence

    cur = report.currency
    scope = f" ({report.tier})" if report.tier else ""
    typer.echo(
        f"Run {report.run_id}{scope}: {plural(report.customers_with_lines, 'customer')} with lines"
    )
    entry = report.entry
    top = lead_product(entry)
    if top is not None:
        typer.echo(
            worth_sentence(top["product"], top["clv_ratio"], top["ratio_low"], top["ratio_high"])
        )
    print_table(
        f"Entry products (at least {report.rules.min_customers} customers; 90 % intervals)",
        ["first product", "customers", "mean CLV", "× average", "interval", "repeat rate"],
        [
            [
                r["product"], f"{r['customers']:,}", money(r["mean_clv"], cur),
                f"{r['clv_ratio']:.2f}×", f"{r['ratio_low']:.2f}–{r['ratio_high']:.2f}",
                f"{r['repeat_rate']:.0%} ({r['repeat_low']:.0%}–{r['repeat_high']:.0%})",
            ]
            for r in entry.iter_rows(named=True)
        ],
    )  # fmt: skip
    days = report.median_days_to_second
    typer.echo(
        f"{plural(report.second_order_customers, 'customer')} placed a second order"
        + (f"; median {days:.0f} days after the first" if days is not None else "")
    )
    print_table(
        "Product journey (first order → second order)",
        ["first", "second", "customers", "share"],
        [[r["first"], r["second"], f"{r['customers']:,}", f"{r['share']:.1%}"]
         for r in report.journey.iter_rows(named=True)],
    )  # fmt: skip
    print_table(
        f"Bought together (at least {report.rules.min_pair_customers} customers; lift > 1 ="
        " more than chance)",
        ["product", "with", "customers", "support", "lift"],
        [[r["product_a"], r["product_b"], f"{r['customers']:,}", f"{r['support']:.1%}",
          f"{r['lift']:.2f}"] for r in report.pairs.iter_rows(named=True)],
    )  # fmt: skip
