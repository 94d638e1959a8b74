"""What the insight commands share: the ``--run`` option, the database opener and the
plain-text rendering (money, tables), so every command prints numbers the same way."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from clvtui.cli.app import emit_json, fail, open_database

RunOption = Annotated[
    int | None, typer.Option("--run", help="Run id (default: the latest fit).", show_default=False)
]

TierOption = Annotated[
    str | None,
    typer.Option(
        "--tier",
        help="Only this tier: 'Highly profitable' (or high), 'Profitable', 'Not profitable' "
        "(or not).",
        show_default=False,
    ),
]


def open_existing(db: Path | None) -> Any:
    """The user's database, read-only: these commands read a fit and never write the file."""
    return open_database(db, write=False)


def money(value: float | None, currency: str = "") -> str:
    if value is None:
        return "–"
    return f"{value:,.2f}" + (f" {currency}" if currency else "")


#: Width of a table written to a pipe or file: wide enough that no row is ever wrapped.
PIPE_WIDTH = 100_000


def print_table(title: str, headers: list[str], rows: list[list[Any]]) -> None:
    """A plain table. Nothing is ever cut: on a terminal long cells wrap (customer ids, tier
    names) instead of ending in "…"; into a pipe or file every row is one full line, so a
    customer id can be copied, grepped or pasted into a mail tool whole."""
    import sys

    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from clvtui.wording import printable

    table = Table(title=title, title_justify="left", box=None, header_style="bold")
    for i, h in enumerate(headers):
        table.add_column(h, justify="left" if i == 0 else "right", overflow="fold")
    for row in rows:
        # Text, not markup: an id such as "[red]x" is shown as typed; control characters escaped
        table.add_row(*(Text("–" if v is None else printable(v)) for v in row))
    if sys.stdout.isatty():
        Console().print(table)
    else:
        Console(width=PIPE_WIDTH, soft_wrap=True).print(table, crop=False)


def kind_label(value_kind: str) -> str:
    """Say whether the numbers are profit or revenue, so nobody mistakes one for the other."""
    from clvtui.wording import clv_label_long

    return clv_label_long(value_kind)


def emit(doc: dict[str, Any]) -> None:
    """``--json`` output made JSON-safe (NaN/inf, dates) by the core's one rule."""
    from clvtui.insights.jsonsafe import json_ready

    emit_json(json_ready(doc))


def tier_name(text: str) -> str:
    """The canonical tier for what the user typed (full name or a short alias)."""
    from clvtui.insights.segments import TIERS

    aliases = {"high": TIERS[0], "highly": TIERS[0], "profitable": TIERS[1], "not": TIERS[2]}
    key = text.strip().lower()
    for name in TIERS:
        if key == name.lower():
            return name
    if key in aliases:
        return aliases[key]
    raise fail(f"unknown tier {text!r}; use one of: {', '.join(TIERS)}")
