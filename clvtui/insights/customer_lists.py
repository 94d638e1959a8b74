"""Customer lists for the mailing tool or the spreadsheet: CSV or XLSX.

Names, e-mails and ids come from shop exports, i.e. from the customers themselves. A spreadsheet
runs a cell starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return as a formula (CSV
injection), so every *text* cell starting with one gets a leading ``'`` — the usual
neutralisation, visible and harmless. Numbers stay numbers.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import polars as pl

from clvtui.errors import ClvError
from clvtui.safewrite import atomic_write, check_target

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
XLSX_MAX_ROWS = 1_048_576
EXPORT_COLUMNS = (
    "customer_id",
    "email",
    "name",
    "sources",
    "tier",
    "risk",
    "clv",
    "clv_low",
    "clv_high",
    "p_alive",
    "p_order_30",
    "p_order_90",
    "next_order_from",
    "next_order_to",
)


def neutralise(text: str | None) -> str | None:
    """Prefix ``'`` to a cell a spreadsheet would run as a formula."""
    if text is not None and text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def neutralise_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """Neutralise every text column (vectorised: 1 M rows in well under a second). Only the
    columns holding such a cell are rewritten: a rewrite copies the column's text twice (the
    prefixed copy and the choice), ~90 MB of the export's peak at a million customers when
    no cell needed it."""
    pattern = "^[=+\\-@\\t\\r]"
    text = [c for c, dtype in frame.schema.items() if dtype == pl.Utf8]
    if not text:
        return frame
    found = frame.select(pl.col(c).str.contains(pattern).any() for c in text).row(0)
    return frame.with_columns(
        pl.when(pl.col(c).str.contains(pattern))
        .then(pl.lit("'") + pl.col(c))
        .otherwise(pl.col(c))
        .alias(c)
        for c, hit in zip(text, found, strict=True)
        if hit
    )


def export_frame(scored: pl.DataFrame, as_of: dt.date) -> pl.DataFrame:
    """The export columns: identity, contact, CLV with its interval, P(alive), P(an order in the
    next 30 / 90 days), next-order window.

    The next-order window is turned from weeks after the run's as-of date into calendar dates,
    which is what a campaign planner needs; empty when the customer is unlikely to order again.
    Money is rounded to cents and probabilities to 4 decimals: a spreadsheet shows what was
    meant. Runs stored before P(order) existed export those columns empty.
    """
    return take_export_frame([scored], as_of)


def take_export_frame(held: list[pl.DataFrame], as_of: dt.date) -> pl.DataFrame:
    """:func:`export_frame` of the one frame in ``held``, taken out of it: when the caller
    keeps no other reference, each source column is freed as soon as its sorted copy is made
    (sorting the whole frame held a second copy of every column: the peak of ``export --all``,
    ~90 MB more at a million customers)."""
    frame = held.pop()
    start = pl.lit(as_of, dtype=pl.Date)

    def date_after(col: str) -> pl.Expr:
        return start + pl.duration(days=(pl.col(col) * 7.0).round(0).cast(pl.Int64))

    for col in ("email", "name", "sources"):
        if col not in frame.columns:
            frame = frame.with_columns(pl.lit(None, dtype=pl.Utf8).alias(col))
    for col in ("p_order_30", "p_order_90"):
        if col not in frame.columns:
            frame = frame.with_columns(pl.lit(None, dtype=pl.Float64).alias(col))
    made = {
        "next_order_from": date_after("next_order_low"),
        "next_order_to": date_after("next_order_high"),
        **{c: pl.col(c).round(2) for c in ("clv", "clv_low", "clv_high")},
        **{c: pl.col(c).round(4) for c in ("p_alive", "p_order_30", "p_order_90")},
    }
    by = pl.arg_sort_by([made["clv"], pl.col("customer_id")], descending=[True, False])
    order = frame.select(by).to_series()
    out = []
    for col in EXPORT_COLUMNS:
        expr = made.get(col, pl.col(col))
        out.append(frame.select(expr.alias(col)).to_series().gather(order))
        frame = frame.drop(expr.meta.root_names())  # freed here unless the caller holds it
    return pl.DataFrame(out)


def check_export_target(path: str | Path, *, force: bool = False) -> Path:
    """Refuse a wrong suffix, a link, a missing folder or (without ``force``) an existing file
    — before the caller spends time reading a million customers."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise ClvError(f"{path}: export to a .csv or .xlsx file (got {suffix or 'no suffix'!r})")
    return check_target(path, force=force)


def write_export(frame: pl.DataFrame, path: str | Path, *, force: bool = False) -> Path:
    """Write ``frame`` (already neutralised here) as .csv or .xlsx, chosen by the suffix.

    The file appears whole or not at all, user-only (0600); an existing file is replaced only
    with ``force`` (see ``clvtui.safewrite``).
    """
    path = check_export_target(path, force=force)
    safe = neutralise_frame(frame)
    if path.suffix.lower() == ".xlsx" and safe.height + 1 > XLSX_MAX_ROWS:
        raise ClvError(
            f"{safe.height:,} customers do not fit in one XLSX sheet ({XLSX_MAX_ROWS - 1:,} "
            "rows at most); export to .csv instead"
        )
    with atomic_write(path, force=force) as partial:
        if path.suffix.lower() == ".csv":
            safe.write_csv(partial.path)
        else:
            _write_xlsx(safe, partial.path, partial.scratch())
    return path


def _write_xlsx(frame: pl.DataFrame, path: Path, scratch: Path) -> None:
    """xlsxwriter with explicit cell types: strings are never parsed as formulas.

    ``constant_memory`` streams rows to a temp file, and ``tmpdir`` puts that file (tens of MB
    of e-mails at 100k customers) in ``scratch``, a user-only folder beside the target that
    is removed with the partial file — not in the system temp folder. (``in_memory`` would
    hold the whole sheet's XML in memory: see the README's export notes.)
    """
    import xlsxwriter

    book = xlsxwriter.Workbook(
        str(path),
        {"constant_memory": True, "strings_to_formulas": False, "tmpdir": str(scratch)},
    )
    try:
        sheet = book.add_worksheet("customers")
        bold = book.add_format({"bold": True})
        money = book.add_format({"num_format": "#,##0.00"})
        share = book.add_format({"num_format": "0.0%"})
        day = book.add_format({"num_format": "yyyy-mm-dd"})
        for c, name in enumerate(frame.columns):
            sheet.write_string(0, c, name, bold)
        formats = {
            name: share if name in ("p_alive", "p_order_30", "p_order_90") else money
            for name, dtype in frame.schema.items()
            if dtype.is_float()
        }
        columns = [(c, name, frame.schema[name]) for c, name in enumerate(frame.columns)]
        for r, row in enumerate(frame.iter_rows(), start=1):
            for c, name, dtype in columns:
                value = row[c]
                if value is None:
                    continue
                if dtype == pl.Utf8:
                    sheet.write_string(r, c, value)
                elif dtype == pl.Date:
                    sheet.write_datetime(r, c, dt.datetime.combine(value, dt.time()), day)
                elif dtype.is_numeric():
                    sheet.write_number(r, c, value, formats.get(name))
                else:
                    sheet.write_string(r, c, str(value))
        sheet.freeze_panes(1, 0)
    finally:
        _close(book)


def _close(book: Any) -> None:
    """Close the workbook; xlsxwriter wraps a failed write (disk full, file too large) in its
    own error, turned back into the OSError it was so the caller reports it in one line."""
    from xlsxwriter.exceptions import FileCreateError

    try:
        book.close()
    except FileCreateError as err:
        cause = err.__context__
        if isinstance(cause, OSError):
            raise OSError(cause.errno, cause.strerror) from err
        raise ClvError(f"cannot write the XLSX file: {err}") from err
