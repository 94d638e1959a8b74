"""The Typer application and the options every command shares.

Commands live in sibling ``*_cmd`` modules (registered by ``clvtui/cli/__init__.py``; the
insight commands share ``common``) and import heavy libraries (polars, statsmodels, textual)
inside their bodies, so that ``clvtui --help`` stays fast.
"""

from __future__ import annotations

import json
import sqlite3
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from clvtui import __version__
from clvtui.errors import ClvError

USAGE_EXIT = 2  # a mistyped command or option (click's code); 1 is for everything else


def _click_error(name: str) -> type[Exception]:
    """Click's exception class ``name``, found from Typer's ``BadParameter``: recent Typer
    versions carry their own copy of click, so ``import click`` would name other classes."""
    return next(c for c in typer.BadParameter.__mro__ if c.__name__ == name)


UsageError = _click_error("UsageError")
ClickException = _click_error("ClickException")


class OneLineErrors(TyperGroup):
    """The command group, with usage errors on ONE line (``error: … (see clvtui X --help)``)
    and exit code 2, instead of Rich's multi-line box: a shop owner reads one line, and a
    script can tell a typo (2) from a refused input or a failed command (1)."""

    def main(self, *args: Any, standalone_mode: bool = True, **kwargs: Any) -> Any:
        if not standalone_mode:
            return super().main(*args, standalone_mode=False, **kwargs)
        try:
            code = super().main(*args, standalone_mode=False, **kwargs)
        except UsageError as err:
            sys.stderr.write(f"error: {one_line_usage(err)}\n")
            sys.exit(USAGE_EXIT)
        except ClickException as err:
            sys.stderr.write(f"error: {' '.join(err.format_message().split())}\n")  # type: ignore[attr-defined]
            sys.exit(err.exit_code)  # type: ignore[attr-defined]
        except typer.Abort:
            sys.stderr.write("Aborted.\n")
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)


def one_line_usage(err: Exception) -> str:
    """Click's message, flattened, with where to look for the right usage."""
    message = " ".join(err.format_message().split())  # type: ignore[attr-defined]
    ctx = getattr(err, "ctx", None)
    where = ctx.command_path if ctx is not None else "clvtui"
    return f"{message} (see: {where} --help)"


app = typer.Typer(
    name="clvtui",
    cls=OneLineErrors,
    help="Customer lifetime value for small shops, offline: import orders, fit, act.",
    rich_markup_mode="rich",
    no_args_is_help=False,
    add_completion=False,
    pretty_exceptions_enable=False,
)

DbOption = Annotated[
    Path | None,
    typer.Option(
        "--db",
        help="SQLite database file. Default: $CLVTUI_DB, else clvtui.db in your user data folder.",
        show_default=False,
        readable=False,  # checked when opened, with a one-line message (not a usage error)
    ),
]
JsonOption = Annotated[
    bool, typer.Option("--json", help="Print one JSON document on stdout and nothing else.")
]


_global_db: Path | None = None  # ``clvtui --db FILE COMMAND``: set by ``root`` before COMMAND runs
_current_db: Path | None = None  # the database this command resolved (named in errors)


def given_db(db: Path | None) -> Path | None:
    """The ``--db`` the user gave: the command's own, else the one before the command
    (``clvtui --db FILE fit``); None when neither was given."""
    return db if db is not None else _global_db


def resolve_db(db: Path | None) -> Path:
    """The database path the user meant: ``given_db``, else ``$CLVTUI_DB`` or the per-user
    file. Remembered, so an error anywhere later can name the file."""
    global _current_db
    db = given_db(db)
    if db is None:
        from clvtui.paths import default_db_path

        db = default_db_path()
    _current_db = db
    return db


def open_database(db: Path | None, *, write: bool, create: bool = True) -> Any:
    """The user's database for one command: read-only unless the command writes.

    Read-only opens never change the file (nor migrate it), so reading works on a file in a
    read-only folder; a writer that has to wait for another one says so on a terminal.
    """
    from clvtui.store import open_db

    path = resolve_db(db)
    if not write:
        return open_db(path, readonly=True)
    return open_db(path, create=create, on_wait=_announce_wait)


def _announce_wait(path: Path) -> None:
    if sys.stderr.isatty():
        sys.stderr.write(f"waiting for another clvtui to finish writing to {path}…\n")
        sys.stderr.flush()


def emit_json(document: Any) -> None:
    """One JSON document on stdout: the whole contract of every ``--json`` flag."""
    sys.stdout.write(json.dumps(document, indent=2, default=str, allow_nan=False) + "\n")


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print ``error: message`` on stderr and return the Exit to raise."""
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn the core's user-facing errors, and every database or file-system error, into one
    line on stderr and exit code 1 (the wording is ``clvtui.store.failures.describe``'s)."""
    try:
        yield
    except ClvError as err:
        raise fail(str(err)) from None
    except (sqlite3.Error, OSError) as err:
        raise fail(explain(err)) from None


def explain(err: BaseException) -> str:
    """One line for a database or file error, naming the database this command uses."""
    from clvtui.store.failures import describe

    return describe(err, _current_db)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"clvtui {__version__}")
        raise typer.Exit()


@app.callback(invoke_without_command=True)
def root(
    ctx: typer.Context,
    db: DbOption = None,
    version: Annotated[
        bool | None,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = None,
) -> None:
    """Without a command, open the terminal UI on the database."""
    global _global_db
    _global_db = db
    if ctx.invoked_subcommand is not None:
        return
    from clvtui.tui import run_tui

    with user_errors():
        run_tui(resolve_db(db))
