"""Record boundaries in CSV bytes, found in one pass, and read errors people can act on.

A newline ends a record only outside quotes. The reader cuts large files into pieces at such
newlines; it must never recount quotes from the start of a buffer for each candidate newline
(a quoted field with a million line breaks made that quadratic: > 150 s on 69 MB). Here every
byte is looked at a bounded number of times: the quote parity at the start of each new block
is carried over, and a block is scanned backwards, from quote to quote, only until the last
newline outside quotes.

Read errors are one line with the line number and the kind of problem. They never quote the
file's content, which holds customers' names and e-mails. This module needs only the standard
library, so the CLI can refuse a hopeless file before loading polars (:func:`preflight`).
"""

from __future__ import annotations

import codecs
import csv
import itertools
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from clvtui.errors import InputError

QUOTE = b'"'
NEWLINE = b"\n"
EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xlsb", ".xls", ".ods"}
HEADER_MAX_BYTES = 1 << 20  # a header line longer than this is not an export's header
MAX_COLUMNS = 20_000


def last_record_end(block: bytes, odd_before: bool) -> tuple[int | None, bool]:
    """(index just after the last newline outside quotes in ``block``, or None; whether the
    quotes in ``block[that index:]`` are odd) given the quote parity before ``block``.

    Walks back from the end one quote at a time (between two quotes the parity is the same,
    so one ``rfind`` answers for the whole stretch): a quoted note of a million lines costs
    two steps, and every step is C-speed ``rfind``/``count`` over bytes not seen before.
    """
    total = block.count(QUOTE)
    before_end = total  # quotes in block[:end]
    end = len(block)
    while True:
        quote = block.rfind(QUOTE, 0, end)
        if (odd_before + before_end) % 2 == 0:  # block[quote + 1:end] is outside quotes
            nl = block.rfind(NEWLINE, quote + 1, end)
            if nl >= 0:
                return nl + 1, (total - before_end) % 2 == 1
        if quote < 0:
            return None, (odd_before + total) % 2 == 1
        end = quote
        before_end -= 1


def first_record_end(block: bytes) -> int | None:
    """Index just after the first newline outside quotes in ``block``, else None."""
    before = 0
    start = 0
    while True:
        quote = block.find(QUOTE, start)
        stop = len(block) if quote < 0 else quote
        if before % 2 == 0:
            nl = block.find(NEWLINE, start, stop)
            if nl >= 0:
                return nl + 1
        if quote < 0:
            return None
        before += 1
        start = quote + 1


def record_pieces(fh: BinaryIO, path: Path, chunk_bytes: int) -> Iterator[tuple[bytes, bytes]]:
    """(header bytes, a run of whole records) pieces of about ``chunk_bytes`` from ``fh``.

    A record longer than a chunk is carried into the next piece. Quotes left open at the end
    (or a stray quote inside an unquoted field) leave the rest as one piece for the parser,
    whose failure :func:`diagnose` then explains.
    """
    header, rest = _header(fh, path, chunk_bytes)
    carry = bytearray()
    odd = False  # quote parity of the carried bytes
    for block in itertools.chain([rest], iter(lambda: fh.read(chunk_bytes), b"")):
        if not block:
            continue
        cut, odd_tail = last_record_end(block, odd)
        if cut is None:  # the carried record goes on past this block
            carry += block
            odd = odd_tail
            continue
        piece = bytes(carry) + block[:cut]
        carry = bytearray(block[cut:])
        odd = odd_tail
        if not piece.isspace():  # (strip() would copy the piece)
            yield header, piece
    if carry and not carry.isspace():  # the rest, even with quotes unbalanced: parser decides
        yield header, bytes(carry)


def _header(fh: BinaryIO, path: Path, chunk_bytes: int) -> tuple[bytes, bytes]:
    """(the header record without BOM, the bytes read after it)."""
    buf = bytearray()
    while True:
        block = fh.read(chunk_bytes)
        buf += block
        if buf.startswith(codecs.BOM_UTF8):
            del buf[:3]
        end = first_record_end(bytes(buf[: HEADER_MAX_BYTES + 1]))
        if end is not None:
            return bytes(buf[:end]), bytes(buf[end:])
        if not block or len(buf) > HEADER_MAX_BYTES:
            raise InputError(f"{path}: line 1: could not find the end of the header row")


def check_input(path: str | Path) -> Path:
    """The export's path, or InputError saying plainly why it cannot be read.

    Called before any database is opened, so a mistyped name creates nothing.
    """
    path = Path(path)
    if path.is_dir():
        raise InputError(f"{path}: is a folder; expected an export file (CSV, TSV or .xlsx)")
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if not path.is_file():
        raise InputError(f"{path}: not a regular file; expected an export file")
    if not os.access(path, os.R_OK):
        raise InputError(f"{path}: permission denied; the file cannot be read")
    return path


def sniff_utf16(head: bytes) -> str | None:
    """'utf-16-le' / 'utf-16-be' when the file is UTF-16 (BOM, or the zero bytes of mostly
    ASCII text on one side), else None. Excel's "Unicode Text" save is UTF-16 LE with BOM."""
    if head.startswith(codecs.BOM_UTF16_LE) and not head.startswith(codecs.BOM_UTF32_LE):
        return "utf-16-le"
    if head.startswith(codecs.BOM_UTF16_BE):
        return "utf-16-be"
    sample = head[: 4096 - 4096 % 2]
    half = len(sample) // 2
    if half < 2:
        return None
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    if odd >= 0.4 * half and even <= 0.05 * half:
        return "utf-16-le"
    if even >= 0.4 * half and odd <= 0.05 * half:
        return "utf-16-be"
    return None


def preflight(path: str | Path) -> Path:
    """The checks that need neither polars nor the database, for the CLI to run first.

    A missing file, a folder, an unreadable file, or a text file whose header row is over
    1 MB or 20,000 columns is refused in a fraction of a second (``clvtui import`` loads
    polars only after this), and nothing is created. The full checks run again in
    :func:`clvtui.ingest.read.open_table`.
    """
    path = check_input(path)
    if path.suffix.lower() in EXCEL_SUFFIXES:
        return path
    with path.open("rb") as fh:
        head = fh.read(4096)
    utf16 = sniff_utf16(head)
    if head.startswith(b"PK\x03\x04") or (b"\x00" in head and not utf16):
        return path  # a workbook, or binary: open_table says which
    line = header_line(path, utf16 or "latin-1")  # any 8-bit decoding finds the line break
    header_columns(path, line, max(",;\t|", key=line.count))
    return path


def header_line(path: Path, encoding: str) -> str:
    """The file's first line (decoded), refusing one longer than HEADER_MAX_BYTES at once.

    Reads at most HEADER_MAX_BYTES + a little, whatever the file size (a 50 MB one-line file
    used to be parsed whole: 13.5 GB and 6 minutes before being refused).
    """
    with path.open("rb") as fh:
        head = fh.read(HEADER_MAX_BYTES + 4)
    text = head.decode(encoding, errors="ignore").lstrip("\ufeff")
    cut = text.find("\n")
    if cut < 0 and len(head) > HEADER_MAX_BYTES:
        raise InputError(
            f"{path}: line 1: the header row is longer than 1 MB without a line break; "
            "expected a row of column names"
        )
    return (text if cut < 0 else text[:cut]).rstrip("\r")


def header_columns(path: Path, line: str, delimiter: str) -> list[str]:
    """Column names of the header line; refuses more than MAX_COLUMNS."""
    if line.count(delimiter) >= MAX_COLUMNS:
        raise InputError(
            f"{path}: line 1: the header row has more than {MAX_COLUMNS:,} columns; "
            "expected a row of column names"
        )
    columns = next(csv.reader([line], delimiter=delimiter), [])
    return [c.strip().strip('"') for c in columns]


def diagnose(path: Path, encoding: str, delimiter: str, n_columns: int) -> str:
    """One line saying where and how the file stops being CSV (after the parser failed).

    Streams the file once through Python's csv module: a record with more fields than the
    header, or a quoted field still open at the end of the file. Never quotes content.
    """
    limit = csv.field_size_limit()
    csv.field_size_limit(sys.maxsize)
    try:
        with path.open(encoding=encoding, errors="replace", newline="") as fh:
            reader = csv.reader(fh, delimiter=delimiter, strict=True)
            start = 1
            try:
                for record in reader:
                    if len(record) > n_columns and any(record[n_columns:]):
                        return (
                            f"{path}: line {start}: {len(record)} fields where the header has "
                            f"{n_columns}; expected one field per column (a stray "
                            f"{_name(delimiter)}, or a field that should have been quoted)"
                        )
                    start = reader.line_num + 1
            except csv.Error as err:
                if "end of data" in str(err) or "EOF" in str(err):
                    return (
                        f"{path}: line {start}: a quoted field starts here and is never closed "
                        '(an unbalanced ")'
                    )
                return (
                    f"{path}: line {reader.line_num}: malformed quoting; expected a field "
                    'either unquoted or wholly inside "…" (with "" for a quote)'
                )
    finally:
        csv.field_size_limit(limit)
    return f"{path}: cannot read the file as CSV {NO_LINE_TO_BLAME}"


NO_LINE_TO_BLAME = "(the parser stopped, but no line was to blame)"


def _name(delimiter: str) -> str:
    return {",": "comma", ";": "semicolon", "\t": "tab", "|": "bar"}.get(delimiter, delimiter)
