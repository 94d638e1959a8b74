"""What a spreadsheet leaves in a CSV after a shop owner opened and saved it.

Excel writes rows of bare separators (``,,,,,,,``) where cells were cleared, and owners add a
totals row at the bottom (``Total,,,1234.50``). Neither is an order: blank rows are skipped
and counted; a totals row is rejected with a reason that says so, instead of a puzzling
"column 'Date' is empty".
"""

from __future__ import annotations

import re
from typing import Any

import polars as pl

from clvtui.core.money import minor_exponent, money_series
from clvtui.ingest.normalise import Normalised
from clvtui.ingest.read import ROW

BLANK_ROWS = "blank rows (only separators)"
#: Labels of a totals row, in the languages of the exports we read.
TOTAL_LABEL = r"(?i)^\s*(grand\s+|sub\s*)?(totals?|sum|summe|gesamt(summe)?|total général|totale)\b"
#: A cell that is nothing but such a label ("TOTAL", "Grand total:"): no customer is called that.
TOTAL_CELL = TOTAL_LABEL + r"\s*:?\s*$"


def drop_blank(cleaned: pl.DataFrame) -> tuple[pl.DataFrame, int]:
    """The rows with at least one mapped cell filled, and how many had none."""
    fields = [c for c in cleaned.columns if c != ROW]
    if not fields or cleaned.height == 0:
        return cleaned, 0
    blank = pl.all_horizontal([pl.col(f).is_null() for f in fields])
    n = int(cleaned.select(blank.sum()).item() or 0)
    return (cleaned.filter(~blank), n) if n else (cleaned, 0)


def last_row(cleaned: pl.DataFrame) -> dict[str, Any] | None:
    """The last row of a batch as a dict (the file's last data row, once all are read)."""
    return cleaned.row(cleaned.height - 1, named=True) if cleaned.height else None


def totals_reason(
    row: dict[str, Any] | None, rejects: pl.DataFrame, orders: pl.DataFrame, decimal: str
) -> tuple[int, str] | None:
    """(row, reason) when the file's last row is a rejected totals row, else None.

    A totals row has no order id or no date, and either a label like "Total" in one of its
    cells or an amount equal to the sum of the orders' amounts.
    """
    if row is None or row[ROW] not in set(rejects.get_column(ROW).to_list()):
        return None
    has_id = "order_id" not in row or row["order_id"] is not None
    if row.get("ordered_at") is not None and has_id:
        return None
    label = next(
        (v for k, v in row.items() if k != ROW and isinstance(v, str) and re.match(TOTAL_LABEL, v)),
        None,
    )
    if label is not None:
        return row[ROW], f"a totals row (labelled '{label.strip()}'), not an order"
    amount = row.get("amount")
    currencies = orders.get_column("currency").unique().to_list() if orders.height else []
    if amount is None or len(currencies) != 1:
        return None
    units = money_series(pl.Series([amount]), decimal=decimal, scale=3)[0]
    total = int(orders.get_column("amount_minor").sum()) * 10 ** (3 - minor_exponent(currencies[0]))
    if units is not None and units == total:
        return row[ROW], "a totals row (its amount is the sum of the orders above), not an order"
    return None


def labelled_totals_order(row: dict[str, Any] | None, orders: pl.DataFrame) -> str | None:
    """The label when the file's last row became an order only because it has a date and an
    amount, while its customer or order cell is just "TOTAL" (a footer typed by the owner)."""
    if row is None or not orders.height:
        return None
    cells = (row.get("customer_id"), row.get("order_id"), row.get("email"))
    label = next((c for c in cells if isinstance(c, str) and re.match(TOTAL_CELL, c)), None)
    if label is None or row[ROW] not in set(orders.get_column(ROW).to_list()):
        return None
    return label.strip()


def set_aside(result: Normalised, blank: int, last: dict[str, Any] | None) -> Normalised:
    """``result`` with blank rows counted as skipped and a trailing totals row named."""
    if blank:
        result.skipped[BLANK_ROWS] = blank
    label = labelled_totals_order(last, result.orders)
    if label is not None and last is not None:
        row = last[ROW]
        result.orders = result.orders.filter(pl.col(ROW) != row)
        reject = pl.DataFrame(
            {ROW: [row], "reason": [f"a totals row (labelled '{label}'), not an order"]},
            schema=result.rejects.schema,
        )
        result.rejects = pl.concat([result.rejects, reject])
        return result
    totals = totals_reason(last, result.rejects, result.orders, result.decimal)
    if totals is not None:
        row, reason = totals
        result.rejects = result.rejects.with_columns(
            reason=pl.when(pl.col(ROW) == row).then(pl.lit(reason)).otherwise(pl.col("reason"))
        )
    return result
