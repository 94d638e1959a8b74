"""Acting on CLV from the shell: segments, budget, moved, trends, export, whatif, profile,
settings and ``spend import``. Thin: the numbers come from ``clvtui.insights``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from clvtui.cli.app import DbOption, JsonOption, app, emit_json, fail, resolve_db, user_errors

RunOption = Annotated[
    int | None, typer.Option("--run", help="Run id (default: the latest fit).", show_default=False)
]
spend_app = typer.Typer(help="Marketing spend (month, channel, amount) for actual CAC.")
app.add_typer(spend_app, name="spend")


def _open(db: Path | None) -> Any:
    from clvtui.store import open_db

    return open_db(resolve_db(db), create=False)


def _money(value: float | None, currency: str = "") -> str:
    if value is None:
        return "–"
    return f"{value:,.2f}" + (f" {currency}" if currency else "")


def _print_table(title: str, headers: list[str], rows: list[list[Any]]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, title_justify="left", box=None, header_style="bold")
    for i, h in enumerate(headers):
        table.add_column(h, justify="left" if i == 0 else "right")
    for row in rows:
        table.add_row(*("–" if v is None else str(v) for v in row))
    Console().print(table)


def _kind(value_kind: str) -> str:
    return (
        "net CLV (after margin and cost per order)"
        if value_kind == "net"
        else ("revenue CLV (no margin set: values are revenue, not profit)")
    )


def _emit(doc: dict[str, Any]) -> None:
    from clvtui.insights.jsonsafe import json_ready

    emit_json(json_ready(doc))


@app.command()
def segments(
    db: DbOption = None,
    json: JsonOption = False,
    run: RunOption = None,
    top: Annotated[int, typer.Option(help="How many slipping-away customers to list.")] = 20,
) -> None:
    """Profitability tiers × churn risk, allowable CPA per tier, and who is slipping away."""
    from clvtui.insights.acquisition import allowable_cpa
    from clvtui.insights.context import load_context
    from clvtui.insights.segments import risk_matrix, slipping_away, tier_rule, tier_table
    from clvtui.store import insights as store

    with user_errors():
        conn = _open(db)
        ctx = load_context(conn, ["spend", "orders", "T"], run_id=run)
        s, sc = ctx.settings, ctx.scored
        rule = tier_rule(sc, s)
        table = tier_table(sc).join(allowable_cpa(sc, s).drop("customers"), on="name", how="left")
        # contact and next-order window only for the listed few (reading them for all is slow)
        top_ids = slipping_away(sc, limit=top).select("customer_id", "tier", "risk")
        details = store.scores_for_ids(
            conn,
            ctx.run_id,
            top_ids["customer_id"].to_list(),
            ["next_order_low", "next_order_high"],
            customer_columns=("email", "name"),
        )
        listed = sc.join(top_ids.select("customer_id"), on="customer_id", how="semi")
        slipping = slipping_away(listed.join(details, on="customer_id", how="left"), limit=top)
    if json:
        _emit(
            {
                "run_id": ctx.run_id,
                "value_kind": s.value_kind,
                "currency": ctx.currency,
                "rule": rule.describe(),
                "cutoffs": rule.to_json(),
                "customer_equity": float(sc["clv"].sum()),
                "tiers": table.to_dicts(),
                "risk_matrix": risk_matrix(sc).to_dicts(),
                "slipping_away": slipping.to_dicts(),
            }
        )
        return
    cur = ctx.currency
    typer.echo(f"Run {ctx.run_id} (as of {ctx.as_of}) — {_kind(s.value_kind)}")
    typer.echo(f"Rule: {rule.describe()}")
    _print_table(
        "Tiers",
        ["tier", "customers", "CLV total", "CLV mean", "share", "allowable CPA", "payback"],
        [
            [
                r["name"],
                f"{r['customers']:,}",
                _money(r["clv_total"]),
                _money(r["clv_mean"]),
                f"{r['share_of_value']:.1%}",
                _money(r["allowable_cpa"]),
                None if r["payback_month"] is None else f"month {r['payback_month']}",
            ]
            for r in table.to_dicts()
        ],
    )
    typer.echo(f"Customer equity: {_money(float(sc['clv'].sum()), cur)}")
    _print_table(
        f"Valuable but slipping away (top {top}, by value at stake)",
        ["customer", "tier", "risk", "CLV", "P(alive)", "at stake", "next order (weeks)"],
        [
            [
                r["customer_id"],
                r["tier"],
                r["risk"],
                _money(r["clv"]),
                f"{r['p_alive']:.0%}",
                _money(r["value_at_stake"]),
                "–"
                if r["next_order_low"] is None
                else f"{r['next_order_low']:.0f}–{r['next_order_high']:.0f}",
            ]
            for r in slipping.to_dicts()
        ],
    )


@app.command()
def budget(
    total: Annotated[float, typer.Option("--total", help="Budget to split (shop currency).")],
    db: DbOption = None,
    json: JsonOption = False,
    run: RunOption = None,
) -> None:
    """Split a budget between win-back and look-alike acquisition (equal marginal returns)."""
    if total < 0:
        raise fail(f"the budget must be a positive amount (got {total:g})")
    from clvtui.ingest.money import minor_exponent
    from clvtui.insights.acquisition import actual_cac, allowable_cpa, overall_cac
    from clvtui.insights.budget import plan_budget
    from clvtui.insights.context import load_context
    from clvtui.store import insights as store

    with user_errors():
        conn = _open(db)
        ctx = load_context(conn, ["spend", "orders", "T"], run_id=run)
        cost, source = None, "setting acquisition_cost"
        spend = store.marketing_spend_frame(conn)
        if ctx.settings.acquisition_cost <= 0 and spend.height:
            cac = actual_cac(
                spend,
                store.cohort_channel_values(conn, ctx.run_id),
                minor_exponent(spend["currency"][0]),
            )
            cost, source = overall_cac(cac), "marketing spend ÷ new customers"
        plan = plan_budget(
            total,
            ctx.scored,
            allowable_cpa(ctx.scored, ctx.settings),
            ctx.settings,
            acquisition_cost=cost,
            acquisition_cost_source=source,
        )
    doc = plan.to_json() | {"run_id": ctx.run_id, "currency": ctx.currency}
    if json:
        _emit(doc)
        return
    typer.echo(
        f"Budget {_money(total, ctx.currency)} — values are {_kind(ctx.settings.value_kind)}"
    )
    _print_table(
        "Allocation (each unit goes where it returns most; stop below the target ratio)",
        ["target", "spend", "expected value", "ROI", "customers", "payback"],
        [
            [
                a["target"],
                _money(a["spend"]),
                _money(a["expected_value"]),
                None if a["roi"] is None else f"{a['roi']:.0%}",
                f"{a['customers']:,.1f}",
                None if a["payback_month"] is None else f"month {a['payback_month']}",
            ]
            for a in doc["allocations"]
        ],
    )
    if plan.unallocated:
        typer.echo(f"Unallocated: {_money(plan.unallocated)} — {plan.unallocated_reason}")
    for skip in plan.skipped:
        typer.echo(f"Skipped {skip['target']}: {skip['reason']}")
    typer.echo("Assumptions: " + ", ".join(f"{k}={v}" for k, v in doc["assumptions"].items()))


@app.command()
def moved(
    db: DbOption = None,
    json: JsonOption = False,
    run: RunOption = None,
    limit: Annotated[int, typer.Option(help="How many movers to list.")] = 50,
) -> None:
    """Customers whose tier or risk band changed since the previous run."""
    from clvtui.insights.trends import moved as compare
    from clvtui.store import insights as store

    with user_errors():
        conn = _open(db)
        rid = store.latest_run_id(conn) if run is None else run
        prev = store.previous_run_id(conn, rid)
        cols = ["customer_id", "tier", "risk", "clv"]
        now = store.scores_columns(conn, rid, cols)
        before = store.scores_columns(conn, prev, cols) if prev is not None else now.head(0)
        result = compare(before, now, run_id=rid, previous_run_id=prev)
    doc = result.to_json(limit=limit)
    if json:
        _emit(doc)
        return
    if prev is None:
        typer.echo(doc["notes"][0])
        return
    typer.echo(
        f"Run {rid} vs run {prev}: {doc['moved']:,} of {doc['customers_compared']:,} customers "
        f"moved; {doc['new_customers']:,} new"
    )
    _print_table(
        "Moves",
        ["from", "to", "customers"],
        [
            [
                f"{t['tier_before']} / {t['risk_before']}",
                f"{t['tier_now']} / {t['risk_now']}",
                f"{t['customers']:,}",
            ]
            for t in doc["transitions"]
        ],
    )


@app.command()
def trends(db: DbOption = None, json: JsonOption = False) -> None:
    """Tier sizes and values, and customer equity, for every run."""
    from clvtui.insights.trends import tier_trend
    from clvtui.store import insights as store

    with user_errors():
        frame = tier_trend(store.run_segments_frame(_open(db)))
    if json:
        _emit({"runs": frame.to_dicts()})
        return
    _print_table(
        "Tiers per run",
        ["run", "as of", "tier", "customers", "CLV total", "equity"],
        [
            [
                r["run_id"],
                r["as_of"],
                r["tier"],
                f"{r['customers']:,}",
                _money(r["clv_total"]),
                _money(r["customer_equity"]),
            ]
            for r in frame.to_dicts()
        ],
    )


def _tier_name(text: str) -> str:
    from clvtui.insights.segments import TIERS

    aliases = {"high": TIERS[0], "highly": TIERS[0], "profitable": TIERS[1], "not": TIERS[2]}
    key = text.strip().lower()
    for name in TIERS:
        if key == name.lower():
            return name
    if key in aliases:
        return aliases[key]
    raise fail(f"unknown tier {text!r}; use one of: {', '.join(TIERS)}")


@app.command()
def export(
    output: Annotated[Path, typer.Option("-o", "--output", help="FILE.csv or FILE.xlsx")],
    tier: Annotated[str | None, typer.Option(help="Export one tier.")] = None,
    at_risk: Annotated[
        bool, typer.Option("--at-risk", help="Valuable customers slipping away (win-back list).")
    ] = False,
    all_: Annotated[bool, typer.Option("--all", help="Every customer.")] = False,
    db: DbOption = None,
    json: JsonOption = False,
    run: RunOption = None,
) -> None:
    """Export customers with contact, CLV and interval, P(alive), next-order window."""
    if sum([tier is not None, at_risk, all_]) != 1:
        raise fail("choose exactly one of --tier NAME, --at-risk, --all")
    if output.suffix.lower() not in (".csv", ".xlsx"):
        raise fail(f"{output}: export to a .csv or .xlsx file")
    import polars as pl

    from clvtui.insights.context import load_context
    from clvtui.insights.export import export_frame, write_export
    from clvtui.insights.segments import slipping_away

    name = _tier_name(tier) if tier is not None else None
    with user_errors():
        ctx = load_context(
            _open(db),
            ["clv_low", "clv_high", "next_order_low", "next_order_high"],
            run_id=run,
            customer_columns=("email", "name"),
        )
        sc = ctx.scored
        if name is not None:
            sc = sc.filter(pl.col("tier") == name)
        elif at_risk:
            ids = slipping_away(sc, limit=None).select("customer_id")
            sc = sc.join(ids, on="customer_id", how="semi")
        path = write_export(export_frame(sc, ctx.as_of), output)
    selection = f"tier {name}" if name else ("at risk" if at_risk else "all")
    if json:
        _emit({"path": str(path), "rows": sc.height, "selection": selection, "run_id": ctx.run_id})
    else:
        typer.echo(f"Wrote {sc.height:,} customers ({selection}) to {path}")


@spend_app.command("import")
def spend_import(
    file: Annotated[Path, typer.Argument(help="CSV with month, channel, amount[, currency].")],
    currency: Annotated[str, typer.Option(help="Currency when the file has none.")] = "USD",
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Import marketing spend per month and channel (re-import replaces those months)."""
    from clvtui.insights.spend import read_spend
    from clvtui.store import insights as store
    from clvtui.store import open_db

    with user_errors():
        rows = read_spend(file, currency=currency)
        n = store.upsert_marketing_spend(open_db(resolve_db(db)), rows)
    doc = {
        "path": str(file),
        "rows": n,
        "months": sorted({r[0] for r in rows}),
        "channels": sorted({r[1] for r in rows}),
        "currency": rows[0][3],
    }
    if json:
        _emit(doc)
    else:
        typer.echo(
            f"Imported {n} spend rows ({doc['months'][0]} … {doc['months'][-1]}, "
            f"{len(doc['channels'])} channels)"
        )


@spend_app.command("cac")
def spend_cac(db: DbOption = None, json: JsonOption = False, run: RunOption = None) -> None:
    """Actual CAC per acquisition month and channel, beside the cohort's predicted CLV."""
    from clvtui.ingest.money import minor_exponent
    from clvtui.insights.acquisition import actual_cac
    from clvtui.store import insights as store

    with user_errors():
        conn = _open(db)
        spend = store.marketing_spend_frame(conn)
        if not spend.height:
            raise fail("no marketing spend yet: clvtui spend import FILE")
        rid = store.latest_run_id(conn) if run is None else run
        table = actual_cac(
            spend, store.cohort_channel_values(conn, rid), minor_exponent(spend["currency"][0])
        )
    if json:
        _emit({"run_id": rid, "cac": table.to_dicts()})
        return
    _print_table(
        "Actual CAC per cohort and channel",
        ["month", "channel", "spend", "new customers", "CAC", "CLV mean", "CLV : CAC"],
        [
            [
                r["month"],
                r["channel"],
                _money(r["spend"]),
                r["new_customers"],
                _money(r["cac"]),
                _money(r["clv_mean"]),
                None if r["ltv_cac"] is None else f"{r['ltv_cac']:.1f}",
            ]
            for r in table.to_dicts()
        ],
    )


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
    from clvtui.insights.context import load_context
    from clvtui.insights.whatif import what_if

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
        ctx = load_context(_open(db), ["expected_spend", "expected_orders"], run_id=run)
        result = what_if(
            ctx.scored,
            ctx.run_settings,
            margin=m,
            discount_rate=rate,
            cost_per_order=cost_per_order,
            retention_uplift=uplift,
            tier_settings=ctx.settings,
        )
    doc = result.to_json() | {"run_id": ctx.run_id, "currency": ctx.currency}
    if json:
        _emit(doc)
        return
    typer.echo(
        f"Customer equity: {_money(result.equity_before)} → {_money(result.equity_after)} "
        f"({_kind(result.value_kind)}); {result.customers_changing_tier:,} customers change tier"
    )
    after = {r["name"]: r for r in doc["tiers_after"]}
    _print_table(
        "Tiers before → after",
        ["tier", "customers", "CLV total"],
        [
            [
                r["name"],
                f"{r['customers']:,} → {after[r['name']]['customers']:,}",
                f"{_money(r['clv_total'])} → {_money(after[r['name']]['clv_total'])}",
            ]
            for r in doc["tiers_before"]
        ],
    )
    typer.echo(f"Rule: {result.rule}")
    for note in result.notes:
        typer.echo(f"Note: {note}")


@app.command()
def profile(
    tier: Annotated[str | None, typer.Option(help="Only this tier against all.")] = None,
    db: DbOption = None,
    json: JsonOption = False,
    run: RunOption = None,
) -> None:
    """The ideal customer: each tier against all, and what speeds up the second order."""
    import polars as pl

    from clvtui.insights.context import load_context
    from clvtui.insights.profile import ALL, build_profile, hazard_sample, time_to_repurchase
    from clvtui.store import insights as store

    name = _tier_name(tier) if tier is not None else None
    with user_errors():
        conn = _open(db)
        attrs = store.customer_attribute_names(conn)
        ctx = load_context(conn, ["spend", "orders", "T"], run_id=run, customer_columns=attrs)
        durations = None
        if attrs:  # the hazard model needs attributes; without them skip reading orders
            sample = hazard_sample(ctx.scored["customer_id"])
            until = str(ctx.run["calibration_end"])
            purchases = store.purchase_times(conn, sample.to_list(), until)
            durations = time_to_repurchase(purchases, ctx.as_of)
        result = build_profile(
            ctx.scored, ctx.as_of, attrs, durations, sampled_from=ctx.scored.height
        )
    if name is not None:
        result.numbers = result.numbers.filter(pl.col("group").is_in([name, ALL]))
        result.attributes = result.attributes.filter(pl.col("tier") == name)
    if json:
        _emit(result.to_json() | {"run_id": ctx.run_id, "tier": name})
        return
    _print_table(
        "Tier against all customers",
        ["group", "customers", "orders", "AOV", "tenure (weeks)", "CLV mean"],
        [
            [
                r["group"],
                f"{r['customers']:,}",
                None if r["orders_mean"] is None else f"{r['orders_mean']:.2f}",
                _money(r["aov"]),
                None if r["tenure_weeks_mean"] is None else f"{r['tenure_weeks_mean']:.1f}",
                _money(r["clv_mean"]),
            ]
            for r in result.numbers.to_dicts()
        ],
    )
    top = result.attributes.filter(pl.col("lift") >= 1.0).sort("lift", descending=True).head(15)
    _print_table(
        "Over-represented attributes (share in tier vs all, lift)",
        ["attribute", "level", "tier", "share", "all", "lift"],
        [
            [
                r["attribute"],
                r["level"],
                r["tier"],
                f"{r['share']:.1%}",
                f"{r['share_all']:.1%}",
                f"{r['lift']:.2f}",
            ]
            for r in top.to_dicts()
        ],
    )
    for h in result.hazard:
        typer.echo(h.reading())
    for note in result.notes:
        typer.echo(f"Note: {note}")


@app.command("settings")
def settings_cmd(
    set_: Annotated[
        list[str] | None, typer.Option("--set", help="key=value (e.g. margin=35%), repeatable.")
    ] = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Show the stored settings, or change some (validated before anything is stored)."""
    from clvtui.errors import SettingsError
    from clvtui.settings import parse_value
    from clvtui.store import open_db
    from clvtui.store.settings import load_settings, save_settings

    with user_errors():
        conn = open_db(resolve_db(db))
        current = load_settings(conn)
        if set_:
            changes: dict[str, Any] = {}
            for item in set_:
                key, sep, value = item.partition("=")
                if not sep:
                    raise SettingsError(f"--set needs key=value (got {item!r})")
                changes[key.strip()] = parse_value(key.strip(), value)
            current = current.with_changes(**changes)
            save_settings(conn, current)
    doc = current.to_mapping() | {"value_kind": current.value_kind}
    if json:
        _emit(doc)
        return
    _print_table("Settings", ["key", "value"], [[k, v] for k, v in doc.items()])
