"""``clvtui import PATH``: a shop export into the database, with a report of what happened.

Heavy libraries (polars, via clvtui.ingest) are imported inside the command so ``clvtui --help``
stays fast. Human output goes to stdout; ``--json`` prints exactly one document there; the
progress bar is drawn on stderr only when stderr is a terminal.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from clvtui.cli.app import (
    DbOption,
    JsonOption,
    app,
    emit_json,
    fail,
    open_database,
    resolve_db,
    user_errors,
)
from clvtui.core.memory import polars_frees_at_once as _return_freed_memory

FORMAT_CHOICES = "auto|shopify|woocommerce|etsy|square|stripe|paypal|online-retail|generic"


@app.command("import")
def import_command(
    # readable=False: an unreadable file is our one-line error (exit 1), not a usage box
    path: Annotated[
        Path, typer.Argument(help="The export file (CSV, TSV or .xlsx).", readable=False)
    ],
    db: DbOption = None,
    fmt: Annotated[
        str, typer.Option("--format", help=f"Source format: {FORMAT_CHOICES}.")
    ] = "auto",
    mapping: Annotated[
        list[str] | None,
        typer.Option(
            "--map",
            help="FIELD=COLUMN: take FIELD (order_id, customer_id, email, ordered_at, amount, "
            "currency, status, …) from COLUMN. Repeatable. --map currency=EUR sets a currency.",
        ),
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Detect, map and count, show a few orders; write nothing."),
    ] = False,
    timezone: Annotated[
        str | None,
        typer.Option(
            "--timezone",
            help="IANA zone (e.g. Europe/Berlin) of times that carry none: WooCommerce site "
            "time, most generic CSVs. Default: UTC (UCI Online Retail: Europe/London).",
        ),
    ] = None,
    json_out: JsonOption = False,
) -> None:
    """Import a shop export (Shopify, WooCommerce, Etsy, Square, Stripe, PayPal, UCI, CSV)."""
    overrides: dict[str, str] = {}
    for item in mapping or []:
        field, sep, column = item.partition("=")
        if not sep or not field.strip() or not column.strip():
            raise fail(f"--map {item!r}: expected FIELD=COLUMN, e.g. --map amount=Total")
        overrides[field.strip()] = column.strip()
    _return_freed_memory()
    with user_errors():
        from clvtui.services.importing import check_export, import_orders, preview_import

        check_export(path)  # before polars loads and before any database is created
        database: Any = None
        if not dry_run:
            # an existing file is checked (and migrated) before the export is read; a new one
            # is only created once the export has parsed, so a bad file leaves no empty database
            target = resolve_db(db)
            database = open_database(db, write=True) if target.exists() else target
        job = preview_import if dry_run else import_orders
        with _progress(enabled=not json_out) as progress:
            report = job(
                database, path, fmt=fmt, mapping=overrides, timezone=timezone, progress=progress
            )
    if json_out:
        emit_json(report.to_json())
    else:
        _print_report(report)


class _progress:
    """A rich progress bar on stderr when it is a terminal; otherwise no callback at all."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self._bar: Any = None
        self._task: Any = None

    def __enter__(self) -> Any:
        if not self.enabled:
            return None
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        self._bar = Progress(
            TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed:,}"),
            TimeElapsedColumn(), console=Console(stderr=True), transient=True,
        )  # fmt: skip
        self._bar.start()
        self._task = self._bar.add_task("reading", total=None)
        return self._update

    def _update(self, done: int, total: int | None) -> None:
        description = "reading" if total is None else "writing orders"
        self._bar.update(self._task, completed=done, total=total, description=description)

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()


def _print_report(report: Any) -> None:
    """The human summary: format, mapping, counts, rejects, identity coverage.

    A dry run says what *would* happen: nothing is written, so nothing is "kept".
    """
    from clvtui.core.money import format_minor
    from clvtui.wording import plural

    echo = typer.echo
    r = report
    would = r.dry_run
    echo(f"{'Would import' if would else 'Imported'} {r.path}")
    echo(f"  format:     {r.format} ({r.title}); encoding {r.encoding}, "
         f"delimiter {r.delimiter!r}, decimal mark {r.decimal!r}")  # fmt: skip
    echo("  mapping:    " + ", ".join(f"{f} ← {c!r}" for f, c in r.mapping.items()))
    echo(f"  rows read:  {r.rows_read:,}  →  {plural(r.orders, 'order')} "
         f"({plural(r.purchases, 'purchase')})")  # fmt: skip
    if would:
        echo("  (dry run: nothing was written; without --dry-run these orders would be stored)")
    else:
        echo(f"  orders:     {r.orders_new:,} new, {r.orders_updated:,} updated, "
             f"{r.orders_unchanged:,} unchanged  (import #{r.import_id})")  # fmt: skip
        if r.lines_new or r.orders_relined:
            echo(f"  lines:      {plural(r.lines_new, 'order line')} stored"
                 + (f" ({plural(r.orders_relined, 'order')} with changed lines)"
                    if r.orders_relined else ""))  # fmt: skip
    echo(
        f"  customers:  {r.customers:,} in file"
        + ("" if would else f", {r.customers_new:,} new")
        + (f", {r.customers_linked:,} linked to the same person by e-mail"
           if r.customers_linked else "")
    )  # fmt: skip
    echo("  statuses:   " + ", ".join(f"{s} {n:,}" for s, n in r.statuses.items()))
    echo("  currencies: " + ", ".join(f"{c} {n:,}" for c, n in r.currencies.items()))
    if r.currency_warning:
        echo(f"  warning:    {r.currency_warning}")
    if r.first_order_at:
        echo(f"  period:     {r.first_order_at} … {r.last_order_at}")
    if r.without_identity:
        share = f"{r.revenue_without_identity_share:.1%}"
        kept = "would be kept" if would else "kept"
        echo(f"  no identity: {plural(r.without_identity, 'order')} ({share} of purchase "
             f"revenue) — {kept}, never merged")  # fmt: skip
    for reason, n in r.skipped.items():
        echo(f"  skipped:    {plural(n, 'row')} — {reason}")
    if r.rows_rejected:
        where = "would be kept in the rejects table" if would else "kept in the rejects table"
        echo(f"  rejected:   {plural(r.rows_rejected, 'row')} ({where}):")
        for item in r.reject_reasons:
            rows = ", ".join(str(x) for x in item["example_rows"])
            label = "row" if len(item["example_rows"]) == 1 else "rows"
            echo(
                f"    {item['count']:,} × {item['reason']}"
                + (f"  ({label} {rows})" if rows else "")
            )
    for note in r.notes:
        echo(f"  note:       {note}")
    if r.sample_orders:
        echo("  first orders:")
    for order in r.sample_orders:
        money = format_minor(order["amount_minor"], order["currency"])
        echo(f"    {order['order_id']}  {order['ordered_at']}  {order['customer_id']}  "
             f"{money}  {order['status']}")  # fmt: skip
