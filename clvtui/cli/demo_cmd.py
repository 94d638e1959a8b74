"""``clvtui demo``: a simulated shop, written as a real export, imported, fitted and opened.

The demo never touches the user's own database: by default it lives in ``demo.db`` beside it
(same folder), and it is rebuilt from scratch on each run, so what you see is always the
simulation with its known parameters. The fit keeps the last 26 weeks as a holdout, so the
Model screen has a tracking chart to show. The demo assumes a 40 % margin, 3.00 per order
(net CLV) and 25.00 to acquire a customer (so the Budget screen has acquisition to weigh
against win-back); change them on the Model and Budget screens.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from clvtui.cli.app import DbOption, app, fail, given_db, user_errors

DEMO_MARGIN = 0.40
DEMO_COST_PER_ORDER = 3.0
DEMO_ACQUISITION_COST = 25.0
DEMO_HOLDOUT_WEEKS = 26


def demo_db_path() -> Path:
    """``demo.db`` beside the user's default database (never the database itself)."""
    from clvtui.paths import default_db_path

    default = default_db_path()
    demo = default.with_name("demo.db")
    return demo if demo != default else default.with_name("clvtui-demo.db")


@app.command()
def demo(
    db: DbOption = None,
    customers: Annotated[
        int, typer.Option("--customers", min=100, help="How many customers to simulate.")
    ] = 5_000,
    fmt: Annotated[
        str, typer.Option("--format", help="Export format the demo shop is written in.")
    ] = "shopify",
    seed: Annotated[int, typer.Option("--seed", help="Random seed of the simulation.")] = 0,
    shape: Annotated[
        str,
        typer.Option(
            "--shape",
            help="standard, no-dropout (nobody leaves), regular (subscription-like), wholesale "
            "(one huge trade buyer), one-time (nobody came back) or one-day (one day of history).",
        ),
    ] = "standard",
    no_tui: Annotated[
        bool, typer.Option("--no-tui", help="Build the demo and print a summary; no UI.")
    ] = False,
) -> None:
    """Build a demo shop (simulated orders → export → import → fit) and open it.

    The database is [b]demo.db[/b] beside your default database unless --db is given; an
    existing demo database is rebuilt. A --db that already holds other orders is refused.
    """
    import time

    start = time.perf_counter()
    from clvtui.demo import SHAPES

    if shape not in SHAPES:
        raise fail(f"--shape must be one of {', '.join(SHAPES)} (got {shape!r})")
    db = given_db(db)
    path = db if db is not None else demo_db_path()
    with user_errors():
        summary = build_demo(
            path, customers=customers, fmt=fmt, seed=seed, fresh=db is None, shape=shape
        )
    elapsed = time.perf_counter() - start
    if no_tui:
        for line in summary:
            typer.echo(line)
        typer.echo(f"built in {elapsed:.1f} s: {path}")
        return
    from clvtui.tui import run_tui

    run_tui(path)


def build_demo(
    path: Path, *, customers: int, fmt: str, seed: int, fresh: bool, shape: str = "standard"
) -> list[str]:
    """Simulate, export, import and fit into ``path``; returns summary lines."""
    from clvtui.demo import DemoParams, demo_start_text, write_demo_export
    from clvtui.ingest import FORMATS, import_file
    from clvtui.pipeline import fit_run
    from clvtui.store import open_db
    from clvtui.store.saved_settings import load_settings, save_settings
    from clvtui.store.status import database_status

    if fmt not in FORMATS:
        raise fail(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    path = Path(path)
    if path.exists():
        if not fresh:
            status = database_status(open_db(path))
            if status.orders:
                raise fail(
                    f"{path} already holds {status.orders:,} orders; "
                    "give the demo a new file with --db"
                )
        else:  # our own demo.db: rebuild it from scratch
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
    params = DemoParams(n_customers=customers)
    suffix = ".xlsx" if fmt == "online-retail" else ".csv"
    export = path.with_name(f"{path.stem}-{fmt}-export{suffix}")
    write_demo_export(export, fmt, params, seed, shape)  # whole, 0600 (see its docstring)
    conn = open_db(path)
    save_settings(
        conn,
        load_settings(conn).with_changes(
            margin=DEMO_MARGIN,
            cost_per_order=DEMO_COST_PER_ORDER,
            acquisition_cost=DEMO_ACQUISITION_COST,
        ),
    )
    report = import_file(conn, export, fmt=fmt).to_json()
    result = fit_run(conn, holdout_weeks=DEMO_HOLDOUT_WEEKS)
    equity = result.report["customer_equity"]  # the run just stored: no need to read it back
    checked = (
        f"{DEMO_HOLDOUT_WEEKS}-week holdout check"
        if result.report.get("holdout")
        else "no holdout check possible"
    )
    return [
        f"demo shop: {customers:,} simulated customers, {demo_start_text(params)} ({fmt} export"
        + (f", {shape} shape)" if shape != "standard" else ")"),
        f"imported {report.get('orders_new', 0):,} orders from {export.name}",
        f"fit #{result.run_id}: customer equity {equity['value']:,.0f} "
        f"{equity['currency'] or ''} (net CLV, {DEMO_MARGIN:.0%} margin), "
        f"{checked}",
    ]
