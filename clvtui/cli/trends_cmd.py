"""``clvtui moved`` and ``clvtui trends``: how the segments change from run to run."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from clvtui.cli.app import DbOption, JsonOption, app, fail, user_errors
from clvtui.cli.common import RunOption, emit, money, open_existing, print_table
from clvtui.wording import plural


@app.command()
def moved(
    db: DbOption = None,
    json: JsonOption = False,
    run: RunOption = None,
    limit: Annotated[
        int, typer.Option(help="How many movers to list (largest CLV change first).")
    ] = 20,
) -> None:
    """Customers whose tier or risk band changed since the fit before, by as-of date."""
    from clvtui.services.trends import moved_since_previous, scored_date

    if limit < 0:
        raise fail(f"--limit must be 0 or more (got {limit})")
    with user_errors():
        database = open_existing(db)
        result = moved_since_previous(database, run)
        rid, prev = result.run_id, result.previous_run_id
        as_of = scored_date(database, rid)
        prev_as_of = scored_date(database, prev) if prev is not None else None
    doc = {**result.to_json(limit=limit), "as_of": as_of, "previous_as_of": prev_as_of}
    if json:
        emit(doc)
        return
    if prev is None:
        typer.echo(doc["notes"][0])
        return
    typer.echo(
        f"Run {rid} vs run {prev} (as of {as_of} vs {prev_as_of}): {doc['moved']:,} of "
        f"{plural(doc['customers_compared'], 'customer')} moved; {doc['new_customers']:,} new"
    )
    _print_moves(doc, limit)


def _print_moves(doc: dict[str, Any], limit: int) -> None:
    print_table(
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
    movers = doc["customers"]
    if not movers:
        return
    shown = f"top {len(movers)} of {doc['moved']:,}" if doc["moved"] > len(movers) else "all"
    print_table(
        f"Movers ({shown}, largest CLV change first; --limit N for more)",
        ["customer", "from", "to", "CLV before", "CLV now", "change", "P(order 90d)"],
        [
            [
                m["customer_id"],
                f"{m['tier_before']} / {m['risk_before']}",
                f"{m['tier_now']} / {m['risk_now']}",
                money(m["clv_before"]),
                money(m["clv_now"]),
                f"{m['clv_change']:+,.2f}",
                "–" if m.get("p_order_90") is None else f"{m['p_order_90']:.0%}",
            ]
            for m in movers
        ],
    )


@app.command()
def trends(db: DbOption = None, json: JsonOption = False) -> None:
    """Tier sizes and values, and customer equity, for every run."""
    from clvtui.services.trends import tier_history

    with user_errors():
        frame = tier_history(open_existing(db))
    if json:
        emit({"runs": frame.to_dicts()})
        return
    print_table(
        "Tiers per run",
        ["run", "as of", "tier", "customers", "CLV total", "equity"],
        [
            [
                r["run_id"],
                r["as_of"],
                r["tier"],
                f"{r['customers']:,}",
                money(r["clv_total"]),
                money(r["customer_equity"]),
            ]
            for r in frame.to_dicts()
        ],
    )
