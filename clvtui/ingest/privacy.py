"""Cells quoted in reject reasons, masked so no message shows personal data.

Rejects say what was wrong with a cell (``got '31.02.2024'``). In the import report, the
``--json`` document and error messages that text reaches terminals, logs and bug reports; a
misaligned row can put an e-mail, a phone number or a name into the date or amount column.
So every cell quoted there goes through :func:`mask_cell` (the rejects table in the shop's own
database keeps the full reason next to the raw row, which is what it is for). The rule,
simplest that is safe:

- cut to 40 characters;
- anything with an ``@`` is an e-mail: ``jane@example.com`` → ``j***@example.com`` (the
  domain stays: it tells a typo in the column apart from a shifted row);
- seven or more digits that are neither a date nor an amount with decimals (``+1 555-010-9999``)
  are a phone number: only the last two digits are kept (``***99``);
- every word is cut to its first letter (``Jane Doe`` → ``J*** D***``), except single
  letters and upper-case codes of up to four letters (``EUR``, ``PST``, ``AM``), which are
  not personal and help read a date or an amount.

Digits and punctuation — dates and amounts, which is what the complaint is about — are shown.
"""

from __future__ import annotations

import re

import polars as pl

MAX_SHOWN = 40
_GOT = r"^(?P<head>.*, got ')(?P<cell>.*)'$"
_PARTS = re.compile(r"(?P<email>\S*@\S*)|(?P<run>\+?\d[\d\s().\-/]{5,}\d)|(?P<word>[^\W\d_]+)")
_DATE = re.compile(r"\s*\d{1,4}[./\-]\d{1,2}[./\-]\d{1,4}([T\s].*)?")
_AMOUNT = re.compile(r".*\d[.,]\d{1,3}\s*")


def mask_cell(text: str) -> str:
    """The cell as it may appear in a message (see the module docstring for the rule)."""
    cut = text[:MAX_SHOWN] + ("…" if len(text) > MAX_SHOWN else "")
    return _PARTS.sub(_mask_part, cut)


def _mask_part(match: re.Match[str]) -> str:
    part = match.group(0)
    if match.group("email") is not None:
        local, _, domain = part.partition("@")
        return f"{local[:1]}***@{domain}"
    if match.group("run") is not None:  # 7+ digits neither a date nor an amount: a phone
        digits = "".join(ch for ch in part if ch.isdigit())
        if len(digits) < 7 or _DATE.fullmatch(part) or _AMOUNT.fullmatch(part):
            return part
        return "***" + digits[-2:]
    keep = len(part) == 1 or (part.isascii() and part.isupper() and len(part) <= 4)
    return part if keep else part[0] + "***"


def mask_reasons(rejects: pl.DataFrame) -> pl.DataFrame:
    """``rejects`` with the cell quoted at the end of each reason (``…, got 'x'``) masked.

    Each distinct cell is masked once, so even an all-bad million-row file costs little.
    """
    if rejects.height == 0:
        return rejects
    parts = rejects.get_column("reason").str.extract_groups(_GOT).struct.unnest()
    cells = parts.get_column("cell")
    distinct = cells.drop_nulls().unique().to_list()
    if not distinct:
        return rejects
    masked = cells.replace_strict(
        {c: mask_cell(c) for c in distinct}, default=None, return_dtype=pl.Utf8
    )
    reason = pl.Series("reason", parts.get_column("head")) + masked + "'"
    return rejects.with_columns(
        pl.when(cells.is_not_null()).then(reason).otherwise(pl.col("reason")).alias("reason")
    )
