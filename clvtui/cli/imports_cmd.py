"""``clvtui imports`` (what was imported, when) and ``clvtui imports undo ID``.

Thin: the history and the undo live in ``clvtui.store.history``.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from clvtui.cli.app import DbOption, JsonOption, app, emit_json, open_database, user_errors
from clvtui.cli.common import open_existing
from clvtui.wording import plural

imports_app = typer.Typer(
    help="List the imports (id, file, format, when, orders new/updated, rejects); "
    "`imports undo ID` takes one back.",
    invoke_without_command=True,
)
app.add_typer(imports_app, name="imports")


@imports_app.callback()
def imports_command(ctx: typer.Context, db: DbOption = None, json_out: JsonOption = False) -> None:
    """List every import, oldest first (undone ones are marked)."""
    if ctx.invoked_subcommand is not None:
        return
    from clvtui.store.history import list_imports

    with user_errors():
        rows = list_imports(open_existing(db))
    if json_out:
        emit_json({"imports": rows})
        return
    if not rows:
        typer.echo("No imports yet: clvtui import FILE")
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Imports", title_justify="left", box=None, header_style="bold")
    table.add_column("id", justify="right")
    table.add_column("file", overflow="fold")  # a long name wraps, never loses its end
    for name in ("format", "imported (UTC)"):
        table.add_column(name)
    for name in ("new", "updated", "rejects"):
        table.add_column(name, justify="right")
    table.add_column("status")
    for r in rows:
        table.add_row(*(str(v) for v in _row(r)))
    Console().print(table)


def _row(r: dict[str, Any]) -> list[Any]:
    when = (r["finished_at"] or r["started_at"])[:16].replace("T", " ")
    return [
        r["id"], r["file"], r["format"], when, f"{r['orders_new']:,}",
        f"{r['orders_updated']:,}", f"{r['rows_rejected']:,}",
        "undone" if r["undone_at"] else ("unfinished" if not r["finished_at"] else "ok"),
    ]  # fmt: skip


@imports_app.command("undo")
def undo_command(
    import_id: Annotated[int, typer.Argument(help="The import's id (see clvtui imports).")],
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Take one import back exactly: remove the orders, customers and links it added, put back the orders and customers it updated, drop its rejects — all at once or not at all.

    Refused, with the reason, when a later import built on it (changed its orders or customers, linked someone to a customer it added, or has orders of such a customer): undo the later import first, newest first. Fitted runs are kept; undo names the runs that used the data, so you can fit again.
    """  # noqa: E501  (Typer re-wraps help text; line breaks would show)
    from clvtui.store.history import undo_import

    with user_errors():
        result = undo_import(open_database(db, write=True, create=False), import_id)
    if json_out:
        emit_json(result)
        return
    typer.echo(
        f"Undid import {result['import_id']} ({result['file']}): "
        f"{_n(result['orders_removed'], 'order')} removed, "
        f"{_n(result['orders_restored'], 'order')} restored, "
        f"{_n(result['customers_removed'], 'customer')} removed, "
        f"{_n(result['customers_restored'], 'customer')} restored, "
        f"{_n(result['links_removed'], 'link')} removed"
    )
    runs = result["runs_using_it"]
    if runs:
        typer.echo(
            f"note: {_n(len(runs), 'fitted run')} ({', '.join(map(str, runs))}) used this "
            "import's data; they are kept as they were — run clvtui fit for a fit without it"
        )


def _n(count: int, noun: str) -> str:
    return plural(count, noun)
