"""The import report: what an import found and did, every data row accounted for.

Built from the normalised frame before anything is written (a dry run stops here), then
completed with the store's counts. Reject examples are masked: the report is printed and shared.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, cast

import polars as pl

from clvtui.ingest.formats import SPECS
from clvtui.ingest.normalise import Normalised
from clvtui.ingest.privacy import mask_reasons
from clvtui.ingest.read import ROW, Table

SAMPLE_ORDERS = 5


@dataclass
class ImportReport:
    """What an import found and did; ``to_json()`` is the ``clvtui import --json`` document."""

    path: str
    format: str
    title: str
    encoding: str
    delimiter: str
    decimal: str
    mapping: dict[str, str]
    rows_read: int
    orders: int
    purchases: int
    orders_new: int = 0
    orders_updated: int = 0
    orders_unchanged: int = 0
    rows_rejected: int = 0
    rows_skipped: int = 0
    reject_reasons: list[dict[str, Any]] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)
    customers: int = 0
    customers_new: int = 0
    customers_linked: int = 0
    without_identity: int = 0
    revenue_without_identity_share: float = 0.0
    currencies: dict[str, int] = field(default_factory=dict)
    statuses: dict[str, int] = field(default_factory=dict)
    first_order_at: str | None = None
    last_order_at: str | None = None
    refunds_applied: int = 0
    lines_new: int = 0  # order lines written (new orders, or orders whose lines changed)
    orders_relined: int = 0  # stored orders whose lines this import replaced
    database_currencies: list[str] = field(default_factory=list)
    currency_warning: str | None = None
    notes: list[str] = field(default_factory=list)
    sample_orders: list[dict[str, Any]] = field(default_factory=list)
    import_id: int | None = None
    dry_run: bool = False
    columns: list[str] = field(default_factory=list)  # the file's header, to map from

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (the CLI's ``--json`` document)."""
        return asdict(self)


def build_report(
    table: Table, name: str, columns: dict[str, str], rows_read: int, result: Normalised,
    dry_run: bool,
) -> ImportReport:  # fmt: skip
    orders = result.orders
    # Aggregations as expressions (no filtered copies of a multi-million-row frame).
    bought = pl.col("is_purchase") == 1
    net = pl.col("amount_minor") - pl.col("refunded_minor")
    currencies = dict(orders.group_by("currency").len().sort("len", descending=True).iter_rows())
    n_purchases = int(orders.select(bought.sum()).item() or 0)
    share = 0.0
    if n_purchases:
        main = bought & (pl.col("currency") == next(iter(currencies)))
        total, unknown = orders.select(
            net.filter(main).sum().alias("total"),
            net.filter(main & pl.col("customer_id").is_null()).sum().alias("unknown"),
        ).row(0)
        share = round((unknown or 0) / total, 6) if total else 0.0
    notes = list(result.notes)
    if len(currencies) > 1:
        notes.append(
            f"mixed currencies ({', '.join(currencies)}): each order keeps its own currency; "
            "they are never summed together"
        )
    report = ImportReport(
        path=str(table.path),
        format=name,
        title=SPECS[name].title,
        encoding=table.encoding,
        delimiter=table.delimiter,
        decimal=result.decimal,
        mapping=columns,
        rows_read=rows_read,
        orders=orders.height,
        purchases=n_purchases,
        rows_rejected=result.rejects.height,
        rows_skipped=sum(result.skipped.values()),
        reject_reasons=_reasons(_located_frame(table, result.rejects)),  # masked examples
        skipped=result.skipped,
        customers=orders.get_column("customer_id").n_unique()
        - (1 if orders.get_column("customer_id").null_count() else 0),
        without_identity=orders.get_column("customer_id").null_count(),
        revenue_without_identity_share=share,
        currencies=currencies,
        statuses=dict(orders.group_by("status").len().sort("len", descending=True).iter_rows()),
        # stored text timestamps (TIMESTAMP_FORMAT) sort as the times they name
        first_order_at=cast(str | None, orders.get_column("ordered_at").min()),
        last_order_at=cast(str | None, orders.get_column("ordered_at").max()),
        notes=notes,
        dry_run=dry_run,
        columns=list(table.columns),
    )
    if dry_run:
        report.sample_orders = orders.drop(ROW).head(SAMPLE_ORDERS).to_dicts()
    return report


def _reasons(rejects: pl.DataFrame, top: int = 10) -> list[dict[str, Any]]:
    """Reject reasons grouped by kind (the text before ', got …'), commonest first.

    The example reasons quote a cell masked (:mod:`clvtui.ingest.privacy`): the report is
    printed and shared. The rejects table keeps the full reason beside the raw row.
    """
    if rejects.height == 0:
        return []
    kinds = mask_reasons(rejects).with_columns(kind=pl.col("reason").str.replace(r", got '.*$", ""))
    grouped = (
        kinds.group_by("kind")
        .agg(
            pl.len().alias("count"),
            pl.col(ROW).sort().head(3).alias("rows"),
            pl.col("reason").first().alias("example"),
        )
        .sort(["count", "kind"], descending=[True, False])
        .head(top)
    )
    return [
        {"reason": k, "count": n, "example_rows": rows, "example": ex}
        for k, n, rows, ex in grouped.iter_rows()
    ]


def reject_rows(
    table: Table, result: Normalised, raw: dict[int, str]
) -> list[tuple[int, str, str | None]]:
    rejects = result.rejects.sort(ROW)
    return [(*located(table, row, reason), raw.get(row)) for row, reason in rejects.iter_rows()]


def _located_frame(table: Table, rejects: pl.DataFrame) -> pl.DataFrame:
    """``located`` over a frame of rejects (a no-op for CSV files)."""
    if not table.sheet_starts or rejects.height == 0:
        return rejects
    rows = [located(table, row, reason) for row, reason in rejects.iter_rows()]
    return pl.DataFrame(rows, schema=rejects.schema, orient="row")


def located(table: Table, row: int, reason: str) -> tuple[int, str]:
    """A reject as people find it: in a workbook, the row within its sheet, named in the reason."""
    sheet, local = table.locate(row)
    return local, reason if sheet is None else f"sheet '{sheet}': {reason}"


def warn_currencies(report: ImportReport, held: list[str]) -> None:
    """Say when the file brings a currency the database does not hold yet (fits are per
    currency: nothing gets stuck, but the user should know which customers a fit covers)."""
    report.database_currencies = held
    new = [c for c in report.currencies if c not in held]
    if held and new:
        report.currency_warning = (
            f"this file's orders are in {', '.join(new)} but the database holds "
            f"{', '.join(held)}; a fit uses one currency — the one with the most purchases, or "
            f"the one you name with clvtui fit --currency {new[0]}"
        )


def mapping_hint(columns: dict[str, str]) -> str:
    used = ", ".join(f"{f}={c}" for f, c in columns.items())
    return f"\n  columns used: {used}"
