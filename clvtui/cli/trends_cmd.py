"""``clvtui moved`` and ``clvtui trends``: how the segments change from run to run."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from clvtui.cli.app import DbOption, JsonOption, app, user_errors
from clvtui.cli.common import RunOption, emit, money, open_existing, print_table


@app.command()
def moved(
    db: DbOption = None,
    json: JsonOption = False,
    run: RunOption = None,
    limit: Annotated[int, typer.Option(help="How many movers to list.")] = 50,
) -> None:
    """Customers whose tier or risk band changed since the previous run."""
    from clvtui.insights.trends import moved as compare
    from clvtui.store import run_scores as store

    with user_errors():
        conn = open_existing(db)
        rid = store.latest_run_id(conn) if run is None else run
        prev = store.previous_run_id(conn, rid)
        _refuse_pruned(conn, rid, prev)
        cols = ["customer_id", "tier", "risk", "clv"]
        now = store.scores_columns(conn, rid, [*cols, "p_order_30", "p_order_90"])
        before = store.scores_columns(conn, prev, cols) if prev is not None else now.head(0)
        result = compare(before, now, run_id=rid, previous_run_id=prev)
    doc = result.to_json(limit=limit)
    if json:
        emit(doc)
        return
    if prev is None:
        typer.echo(doc["notes"][0])
        return
    typer.echo(
        f"Run {rid} vs run {prev}: {doc['moved']:,} of {doc['customers_compared']:,} customers "
        f"moved; {doc['new_customers']:,} new"
    )
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


def _refuse_pruned(conn: Any, run_id: int, previous: int | None) -> None:
    """``moved`` compares two fits customer by customer: say so when one was pruned."""
    from clvtui.errors import NoDataError
    from clvtui.store.run_storage import ensure_scores, pruned_at

    ensure_scores(conn, run_id)
    when = None if previous is None else pruned_at(conn, previous)
    if when is not None:
        raise NoDataError(
            f"run {previous}, the fit before run {run_id}, was pruned on {when[:10]} "
            "(clvtui runs prune): moved needs both fits' per-customer scores. It works again "
            "after the next fit; keep 2 fits when pruning to always have it"
        )


@app.command()
def trends(db: DbOption = None, json: JsonOption = False) -> None:
    """Tier sizes and values, and customer equity, for every run."""
    from clvtui.insights.trends import tier_trend
    from clvtui.store import run_scores as store

    with user_errors():
        frame = tier_trend(store.run_segments_frame(open_existing(db)))
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
