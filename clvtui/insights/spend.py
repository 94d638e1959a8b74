"""Reading a marketing-spend sheet: month, channel, amount (optional currency).

Kept strict — a budget decision rests on these figures — so a bad row is an error naming the
file, row and column, and nothing is stored (the store writes all rows in one transaction).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from pathlib import Path

from clvtui.errors import InputError

REQUIRED = ("month", "channel", "amount")
AMOUNT_ALIASES = ("amount", "spend", "cost")
_MONTH = re.compile(r"^\s*(\d{4})[-/.](\d{1,2})(?:[-/.]\d{1,2})?\s*$")


def parse_month(text: str) -> str | None:
    """'2024-03', '2024/3', '2024-03-01' → '2024-03' (None when not a month)."""
    m = _MONTH.match(text or "")
    if not m or not 1 <= int(m.group(2)) <= 12:
        return None
    return f"{m.group(1)}-{int(m.group(2)):02d}"


def read_spend(path: str | Path, *, currency: str = "USD") -> list[tuple[str, str, int, str, str]]:
    """Rows (month, channel, amount_minor, currency, path) of a spend CSV, or InputError."""
    path = Path(path)
    header, reader = _open_spend(path)
    cols = _spend_columns(path, header)
    rows: list[tuple[str, str, int, str, str]] = []
    seen: dict[tuple[str, str], int] = {}
    for line_no, raw in enumerate(reader, start=2):
        if not any(cell.strip() for cell in raw):
            continue
        row = _spend_row(path, line_no, raw, cols, currency)
        key = (row[0], row[1].lower())
        if key in seen:
            raise InputError(
                f"{path}: row {line_no}: {row[0]} / {row[1]} already given on row {seen[key]}"
            )
        seen[key] = line_no
        rows.append(row)
    if not rows:
        raise InputError(f"{path}: no spend rows under the header")
    currencies = sorted({r[3] for r in rows})
    if len(currencies) > 1:
        raise InputError(f"{path}: mixes currencies ({', '.join(currencies)}); use one per file")
    return rows


def _open_spend(path: Path) -> tuple[list[str], Iterator[list[str]]]:
    """The header and a reader of the data rows, in whichever delimiter the file uses."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as err:
        raise InputError(f"{path}: cannot read the file ({err})") from None
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(text.splitlines(), dialect)
    header = next(reader, None)
    if not header:
        raise InputError(f"{path}: the file is empty; expected columns month, channel, amount")
    return header, reader


def _spend_columns(path: Path, header: list[str]) -> tuple[int, int, int, int | None, str]:
    """Positions of month, channel, amount and (optional) currency, and the amount's name."""
    names = [h.strip().lower() for h in header]
    amount_col = next((a for a in AMOUNT_ALIASES if a in names), None)
    missing = [c for c in ("month", "channel") if c not in names]
    if amount_col is None:
        missing.append("amount")
    if missing or amount_col is None:
        raise InputError(
            f"{path}: missing column(s) {', '.join(missing)}; "
            f"expected month, channel, amount (found {', '.join(header)})"
        )
    i_month, i_channel, i_amount = (names.index(c) for c in ("month", "channel", amount_col))
    i_currency = names.index("currency") if "currency" in names else None
    return i_month, i_channel, i_amount, i_currency, amount_col


def _spend_row(
    path: Path, line_no: int, raw: list[str], cols: tuple[int, int, int, int | None, str],
    currency: str,
) -> tuple[str, str, int, str, str]:  # fmt: skip
    """One data row checked cell by cell; the error names the row and the column."""
    from clvtui.core.money import minor_exponent, parse_money

    i_month, i_channel, i_amount, i_currency, amount_col = cols

    def cell(i: int) -> str:
        return raw[i].strip() if i < len(raw) else ""

    month = parse_month(cell(i_month))
    if month is None:
        raise InputError(
            f"{path}: row {line_no}, column month: expected a month like 2024-03, "
            f"got {cell(i_month)!r}"
        )
    channel = cell(i_channel)
    if not channel:
        raise InputError(f"{path}: row {line_no}, column channel: empty")
    cur = (cell(i_currency) if i_currency is not None else "") or currency
    cur = cur.upper()
    try:
        minor = parse_money(cell(i_amount), scale=minor_exponent(cur))
    except ValueError:
        minor = None
    if minor is None or minor < 0:
        raise InputError(
            f"{path}: row {line_no}, column {amount_col}: expected an amount ≥ 0 like "
            f"1234.56, got {cell(i_amount)!r}"
        )
    return month, channel, minor, cur, str(path)
