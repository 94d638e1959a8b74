"""``clvtui runs``: the fits in the database and their size; ``runs prune`` drops old ones'
per-customer scores while every run's summary, tiers and segment totals stay."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from clvtui.cli.app import DbOption, JsonOption, app, fail, user_errors
from clvtui.cli.common import emit, open_existing, print_table
from clvtui.wording import plural

runs_app = typer.Typer(
    help="List fits with their size on disk; prune old fits' per-customer scores.",
    no_args_is_help=False,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(runs_app, name="runs")


def megabytes(n: int) -> str:
    return f"{n / 1e6:,.1f} MB"


@runs_app.callback(invoke_without_command=True)
def runs(ctx: typer.Context, db: DbOption = None, json: JsonOption = False) -> None:
    """Every fit, newest first: id, created, as-of, model, customers, equity, size on disk."""
    ctx.obj = {"db": db}
    if ctx.invoked_subcommand is not None:
        return
    from clvtui.store.run_storage import file_space, runs_overview

    with user_errors():
        conn = open_existing(db)
        rows = runs_overview(conn)
        space = file_space(conn)
    if json:
        emit({"runs": rows, **space})
        return
    if not rows:
        typer.echo("No fits yet: import orders, then run clvtui fit.")
        return
    typer.echo(
        f"Database {megabytes(space['file_bytes'])}, of which {megabytes(space['free_bytes'])} "
        "free (reused by the next fits)."
    )
    print_table(
        "Fits (size: its per-customer scores on disk)",
        ["run", "created", "as of", "model", "customers", "equity", "size"],
        [_row(r) for r in rows],
    )


def _row(r: dict[str, Any]) -> list[Any]:
    created = str(r["created_at"]).replace("T", " ")[:16]
    kind = "" if r["value_kind"] == "net" else " (revenue)"
    size = "pruned" if r["pruned_at"] else megabytes(r["size_bytes"])
    return [
        r["id"],
        created,
        str(r["as_of"])[:10],
        r["model"],
        f"{r['n_customers']:,}",
        _equity(r["customer_equity"], r["currency"] or "") + kind,
        size,
    ]


def _equity(value: float | None, currency: str) -> str:
    return "–" if value is None else f"{value:,.0f} {currency}".rstrip()


@runs_app.command("prune")
def prune(
    ctx: typer.Context,
    keep: Annotated[
        int, typer.Option("--keep", help="How many of the newest fits keep their customers.")
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would be dropped; change nothing.")
    ] = False,
    vacuum: Annotated[
        bool,
        typer.Option(
            "--vacuum",
            help="Then shrink the file (rewrites it: needs free disk as large as the database).",
        ),
    ] = False,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Drop old fits' per-customer scores; keep every fit's summary, tiers and segment totals.

    Trends keep every fit. A pruned fit's customers (rank, export, segments --run N) are
    refused with a message; `clvtui moved` needs the latest two fits, so keep at least 2 to
    use it. The space freed is reused by the next fits; --vacuum returns it to the disk.
    """
    from clvtui.store.run_storage import prune_runs
    from clvtui.store.run_storage import vacuum as vacuum_file

    if keep < 1:
        raise fail(f"--keep must be at least 1 (got {keep}): the latest fit is what you work on")
    if db is None and isinstance(ctx.obj, dict):
        db = ctx.obj.get("db")
    from clvtui.cli.app import open_database

    with user_errors():
        conn = open_database(db, write=True, create=False)
        result = prune_runs(conn, keep, dry_run=dry_run)
        if vacuum and not dry_run:
            result["vacuum"] = vacuum_file(conn)
    if json:
        emit(result)
        return
    _report(result)


def _report(result: dict[str, Any]) -> None:
    gone = result["pruned"]
    verb = "Would drop" if result["dry_run"] else "Dropped"
    if not gone:
        done = result["already_pruned_run_ids"]
        if done:
            listed = ", ".join(str(i) for i in done)
            typer.echo(f"Nothing to prune: the other fits (run {listed}) were pruned already.")
        else:
            n = len(result["kept_run_ids"])
            typer.echo(f"Nothing to prune: {n} fit{'s' if n != 1 else ''}, all kept.")
    else:
        ids = ", ".join(str(r["id"]) for r in gone)
        customers = sum(r["n_customers"] or 0 for r in gone)
        typer.echo(
            f"{verb} the per-customer scores of {plural(len(gone), 'fit')} "
            f"(run {ids}): {plural(customers, 'row')}, about {megabytes(result['bytes_freed'])}."
        )
    kept = ", ".join(str(i) for i in result["kept_run_ids"]) or "none"
    typer.echo(
        f"{'Would keep' if result['dry_run'] else 'Kept'} with their customers: run {kept}. "
        "Every fit keeps its summary, tiers and "
        "segment totals (clvtui trends)."
    )
    if result["keep"] == 1 and len(result["kept_run_ids"]) == 1 and result["pruned"]:
        typer.echo("note: clvtui moved compares the latest fit with the previous one: keep 2.")
    if result["dry_run"]:
        typer.echo("Nothing changed (--dry-run).")
    elif "vacuum" in result:
        v = result["vacuum"]
        typer.echo(
            f"Vacuumed: the file went from {megabytes(v['file_bytes_before'])} to "
            f"{megabytes(v['file_bytes_after'])}."
        )
    elif gone:
        typer.echo(
            f"{megabytes(result['free_bytes'])} are now free inside the database and are "
            "reused by the next fits; add --vacuum to give them back to the disk."
        )
