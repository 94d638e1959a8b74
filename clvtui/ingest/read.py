"""Open an export as a table of text: encoding, delimiter, Excel workbooks.

Everything is read as ``Utf8`` (no type inference): ids like ``'0123`` must stay text and money
must be parsed exactly by :mod:`clvtui.core.money`. UTF-8 (with or without BOM) is tried first
and cp1252 second, because PayPal and Excel re-saves "usually send cp1252". The delimiter is
sniffed from the header line, since EU Excel writes ``;``.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from clvtui.errors import InputError
from clvtui.ingest.csvscan import (
    EXCEL_SUFFIXES,
    NO_LINE_TO_BLAME,
    check_input,
    diagnose,
    header_columns,
    header_line,
    record_pieces,
    sniff_utf16,
)

ROW = "_row"  # file row number of each record: the header is row 1, the first record row 2
_SNIFF_BYTES = 64 * 1024
_FULL_CHECK_BYTES = 32 * 1024 * 1024
_CHUNK_BYTES = 32 * 1024 * 1024


@dataclass
class Table:
    """A readable export: its header and a lazy frame of text columns (plus ``_row``)."""

    path: Path
    columns: list[str]
    frame: pl.LazyFrame
    encoding: str = "utf-8"
    delimiter: str = ","
    sheets: list[str] = field(default_factory=list)
    chunked: bool = False  # read the file from disk in record-aligned chunks (large UTF-8 CSV)
    chunk_bytes: int = _CHUNK_BYTES
    ragged: bool = False  # surplus (empty) fields past the header are dropped
    # a workbook's sheets are stacked and ``_row`` counts on across them: (sheet, its first _row)
    sheet_starts: list[tuple[str, int]] = field(default_factory=list)

    def locate(self, row: int) -> tuple[str | None, int]:
        """Where a record is, for people: (sheet, row within that sheet) in a workbook,
        (None, row) in a CSV."""
        where = None
        for name, first in self.sheet_starts:
            if row >= first:
                where = (name, row - first + 2)
        return where if where is not None else (None, row)

    def batches(self, columns: list[str] | None = None) -> Iterator[pl.DataFrame]:
        """The rows (``_row`` plus ``columns``, default all) in frames of bounded size.

        Chunked reading keeps peak memory near the size of the *selected* columns: polars'
        own CSV scan holds the whole file in memory while parsing (1.2 GB for a 640 MB
        export, measured), whatever the projection.
        """
        wanted = list(self.columns) if columns is None else list(dict.fromkeys(columns))
        if not self.chunked:
            yield self.frame.select([ROW, *wanted]).collect()
            return
        yield from _csv_chunks(
            self.path, self.delimiter, wanted, self.chunk_bytes, ragged=self.ragged
        )

    def raw_rows(self, rows: list[int]) -> dict[int, str]:
        """The original text of some records (for rejects), rebuilt from their fields."""
        if not rows:
            return {}
        picked = pl.concat(b.filter(pl.col(ROW).cast(pl.Int64).is_in(rows)) for b in self.batches())
        out: dict[int, str] = {}
        for record in picked.iter_rows(named=True):
            values = [record[c] for c in self.columns]
            buf = io.StringIO()
            csv.writer(buf, delimiter=self.delimiter, lineterminator="").writerow(
                ["" if v is None else v for v in values]
            )
            out[int(record[ROW])] = buf.getvalue()
        return out


def open_table(
    path: str | Path,
    *,
    encoding: str | None = None,
    chunk_bytes: int | None = None,
    ragged: bool = False,
) -> Table:
    """Open ``path`` (CSV/TSV/semicolon text or an Excel workbook) or raise InputError.

    ``encoding`` forces one (the importer retries with cp1252 when a non-UTF-8 byte shows up
    late in a file too large to check up front). ``chunk_bytes`` sizes the pieces large
    UTF-8 files are read in (default ~32 MB; tests use a few hundred bytes). ``ragged``: drop
    the surplus fields of records longer than the header — only after :func:`diagnose` found
    every surplus field empty (Excel pads blank rows with as many commas as its widest row).
    """
    path = check_input(path)
    chunk_bytes = chunk_bytes or _CHUNK_BYTES
    if path.suffix.lower() in EXCEL_SUFFIXES:
        return _open_excel(path)
    with path.open("rb") as fh:
        head = fh.read(_SNIFF_BYTES)
    utf16 = sniff_utf16(head)
    if utf16 and not encoding:
        encoding = utf16
    blank = head.decode(utf16, errors="ignore").strip("\ufeff \r\n\t") if utf16 else (
        head.strip(b"\xef\xbb\xbf \r\n\t")
    )  # fmt: skip
    if not blank:
        raise InputError(f"{path}: the file is empty; expected a CSV export with a header row")
    if head.startswith(b"PK\x03\x04"):
        return _open_excel(path)
    if b"\x00" in head and not utf16:
        raise InputError(
            f"{path}: this is a binary file, not a CSV export "
            "(expected text with a header row, or an .xlsx workbook)"
        )
    encoding = encoding or _encoding(path, head)
    line = header_line(path, encoding)
    delimiter = _delimiter(line)
    columns = header_columns(path, line, delimiter)
    if len([c for c in columns if c]) < 2:
        raise InputError(
            f"{path}: line 1: could not find a header row with column names; expected names "
            f"separated by commas, semicolons or tabs"
        )
    frame, names, in_memory = _scan(path, encoding, delimiter, len(columns), ragged)
    chunked = not in_memory and path.stat().st_size > chunk_bytes
    return Table(
        path, names, frame, encoding=encoding, delimiter=delimiter, chunked=chunked,
        chunk_bytes=chunk_bytes, ragged=ragged,
    )  # fmt: skip


def _scan(
    path: Path, encoding: str, delimiter: str, n_columns: int, ragged: bool
) -> tuple[pl.LazyFrame, list[str], bool]:
    """The lazy CSV frame (every cell text, a row number first), its column names, and whether
    the file was re-encoded to UTF-8 in memory (then it is not read in chunks)."""
    source: str | Path | bytes = path
    if encoding != "utf-8":
        source = path.read_bytes().decode(encoding, errors="replace").lstrip("\ufeff")
        source = source.encode("utf-8")
    options: dict[str, Any] = {
        "separator": delimiter,
        "infer_schema": False,
        "row_index_name": ROW,
        "row_index_offset": 2,
        "missing_columns": "insert",
        "truncate_ragged_lines": ragged,
    }
    try:
        if isinstance(source, bytes):
            frame = pl.read_csv(source, **options).lazy()
        else:
            frame = pl.scan_csv(source, **options)
        names = frame.collect_schema().names()[1:]
    except pl.exceptions.PolarsError as err:
        raise InputError(diagnose(path, encoding, delimiter, n_columns)) from err
    return frame, names, isinstance(source, bytes)


def unreadable(table: Table) -> InputError:
    """The one-line error for a file the CSV parser gave up on (found by a second pass)."""
    if table.sheets:
        return InputError(f"{table.path}: cannot read this workbook")
    return InputError(diagnose(table.path, table.encoding, table.delimiter, len(table.columns)))


def only_empty_surplus(table: Table) -> bool:
    """True when the parser stopped only at records whose fields past the header are all
    empty (blank rows Excel padded to its widest row): reading them ragged loses nothing."""
    if table.sheets or table.ragged:
        return False
    why = diagnose(table.path, table.encoding, table.delimiter, len(table.columns))
    return why.endswith(NO_LINE_TO_BLAME)


def _csv_chunks(
    path: Path, delimiter: str, columns: list[str], chunk_bytes: int, *, ragged: bool = False
) -> Iterator[pl.DataFrame]:
    """Parse a CSV in pieces of about ``chunk_bytes`` cut at record ends, each with the
    header (see :mod:`clvtui.ingest.csvscan`: linear whatever the quoting)."""
    offset = 2
    with path.open("rb") as fh:
        for header, piece in record_pieces(fh, path, chunk_bytes):
            frame = pl.read_csv(
                header + piece, separator=delimiter, infer_schema=False, columns=columns,
                row_index_name=ROW, row_index_offset=offset, truncate_ragged_lines=ragged,
            )  # fmt: skip
            offset += frame.height
            yield frame
    if offset == 2:  # no records at all: one empty batch keeps the columns for the caller
        yield pl.DataFrame(schema={ROW: pl.UInt32, **dict.fromkeys(columns, pl.Utf8)})


def _encoding(path: Path, head: bytes) -> str:
    """utf-8 (BOM or not) if the whole file decodes, else cp1252 (PayPal, Excel)."""
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as err:
        if err.start < len(head) - 4:  # not just a character cut at the sniff boundary
            return "cp1252"
    if path.stat().st_size <= _SNIFF_BYTES or path.stat().st_size > _FULL_CHECK_BYTES:
        return "utf-8"  # large files: polars fails on a bad byte and the importer retries
    with path.open("rb") as fh:
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            for chunk in iter(lambda: fh.read(1 << 22), b""):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "cp1252"
    return "utf-8"


def _delimiter(line: str) -> str:
    """The most frequent of , ; tab | outside quotes in the header line."""
    outside = []
    quoted = False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        elif not quoted:
            outside.append(ch)
    counts = {d: outside.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def one_line(err: BaseException) -> str:
    """A library's message cut to its first line, without advice on options users cannot
    set ("Consider setting …", "You might want to try …") and without quoted file content."""
    # quoted spans (which may hold cells, over several lines) go first, then all but line 1
    text = re.sub(r"`[^`]*`?|'[^']*'?|\"[^\"]*\"?|\S+@\S+", "…", str(err)).strip()
    text = text.splitlines()[0] if text else type(err).__name__
    return text[:160].rstrip(" .:")


def _open_excel(path: Path) -> Table:
    """All sheets of a workbook (Online Retail II has two) stacked, every cell as text."""
    import fastexcel

    try:
        reader = fastexcel.read_excel(path)
    except Exception as err:  # fastexcel raises its own error types per file problem
        raise InputError(
            f"{path}: cannot read this workbook ({one_line(err)}); expected an .xlsx file "
            "saved by Excel or LibreOffice"
        ) from err
    frames: list[pl.DataFrame] = []
    columns: list[str] = []
    starts: list[tuple[str, int]] = []
    for name in reader.sheet_names:
        try:
            sheet = reader.load_sheet(name, dtypes="string").to_polars()
        except Exception as err:  # a damaged sheet: one line, not a traceback
            raise InputError(f"{path}: sheet '{name}': cannot read it ({one_line(err)})") from err
        if sheet.height == 0:
            continue
        if not columns:
            columns = [str(c) for c in sheet.columns]
        if [str(c) for c in sheet.columns] != columns:
            continue  # a notes/summary sheet with another layout
        starts.append((name, 2 + sum(f.height for f in frames)))
        frames.append(sheet.rename(dict(zip(sheet.columns, columns, strict=True))))
    if not frames:
        raise InputError(f"{path}: the workbook has no sheet with a header row and data")
    stacked = pl.concat(frames).with_row_index(ROW, offset=2)
    stacked = stacked.with_columns(pl.col(ROW).cast(pl.UInt32), pl.exclude(ROW).cast(pl.Utf8))
    return Table(
        path, columns, stacked.lazy(), sheets=list(reader.sheet_names), sheet_starts=starts
    )
