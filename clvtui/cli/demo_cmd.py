"""``clvtui demo``: a simulated shop, written as a real export, imported, fitted and opened.

Thin: the shop is built by ``clvtui.services.demo`` (which says where it lives and why).
"""

from __future__ import annotations

from typing import Annotated

import typer

from clvtui.cli.app import DbOption, app, given_db, user_errors


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
            help="standard (one 26-week cohort), steady (new customers all the time), "
            "no-dropout (nobody leaves), regular (subscription-like), wholesale (one huge trade "
            "buyer), one-time (nobody came back), one-day (one day of history) or seasonal.",
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
    from clvtui.services.demo import build_demo, check_shape, demo_db_path

    db = given_db(db)
    with user_errors():
        check_shape(shape)
        path = db if db is not None else demo_db_path()
        shop = build_demo(
            path, customers=customers, fmt=fmt, seed=seed, fresh=db is None, shape=shape
        )
    elapsed = time.perf_counter() - start
    if no_tui:
        for line in shop.summary():
            typer.echo(line)
        typer.echo(f"built in {elapsed:.1f} s: {path}")
        return
    from clvtui.tui import run_tui

    run_tui(path)
