"""The reader: UTF-16, record-aligned chunks whatever the quoting, bounded headers, and read
errors that are one line with a line number and never the file's content."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clvtui.errors import InputError
from clvtui.ingest import import_file
from clvtui.ingest.csvscan import first_record_end, last_record_end
from clvtui.ingest.read import ROW, open_table
from tests.ingest.conftest import fixture, orders

STORED = ("order_id", "customer_key", "ordered_at", "amount_minor", "currency", "status")


def _stored(db) -> dict[str, tuple]:
    return {k: tuple(v[c] for c in STORED) for k, v in orders(db).items()}


def _write_csv(path: Path, rows: list[list[str]], delimiter: str = ",") -> Path:
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator="\n").writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


def _error(call) -> str:
    with pytest.raises(InputError) as info:
        call()
    return str(info.value)


# --- UTF-16 ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "encoding", "delimiter"),
    [("unicode_orders_utf16le.txt", "utf-16-le", "\t"), ("unicode_orders_utf16be.csv",
                                                          "utf-16-be", ",")],
)  # fmt: skip
def test_utf16_imports_the_same_orders_as_its_utf8_twin(
    db, tmp_path, name: str, encoding: str, delimiter: str
) -> None:
    from clvtui.store import open_db

    twin = import_file(db, fixture("unicode_orders_utf8.csv"))
    other = open_db(tmp_path / "utf16.db")
    report = import_file(other, fixture(name))
    assert (report.encoding, report.delimiter) == (encoding, delimiter)
    assert (report.rows_read, report.orders_new, report.customers) == (4, 4, 3)
    assert _stored(other) == _stored(db) and len(_stored(db)) == twin.orders_new == 4
    assert _stored(other)["A-2"][3] == 123456  # 1,234.56 EUR in cents
    names = {r["name"] for r in other.query("SELECT name FROM customers")}
    assert names == {"Zoë Lefèvre", "José Müller", "李 小龍"}


def test_utf16_le_without_bom_and_be_with_bom(tmp_path) -> None:
    text = "customer\tdate\tamount\r\nzoë\t2024-01-02\t5.00\r\n"
    for encoding, bom in (("utf-16-le", ""), ("utf-16-be", "\ufeff")):
        path = tmp_path / f"{encoding}.txt"
        path.write_bytes((bom + text).encode(encoding))
        table = open_table(path)
        assert (table.encoding, table.delimiter, table.columns) == (
            encoding, "\t", ["customer", "date", "amount"])  # fmt: skip
        assert table.frame.collect().get_column("customer").to_list() == ["zoë"]


def test_binary_is_still_refused() -> None:
    assert "binary file, not a CSV" in _error(lambda: open_table(fixture("broken_binary.csv")))


# --- record-aligned chunks ------------------------------------------------------------------


def test_record_ends_respect_quotes() -> None:
    block = b'1,"a\nb"\n2,"c\n'
    assert first_record_end(block) == 8
    assert last_record_end(block, odd_before=False) == (8, True)
    # the same tail seen after an odd number of quotes: the first newline is inside quotes
    assert last_record_end(b'x"\n3,y\n', odd_before=True) == (7, False)
    assert last_record_end(b'no newline "', odd_before=False) == (None, True)


_cell = st.text(alphabet='ab ,"\n\r;é@', max_size=12)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(st.tuples(_cell, _cell), min_size=1, max_size=30),
    chunk=st.integers(min_value=1, max_value=200),
)
def test_chunked_read_equals_whole_read(tmp_path, rows, chunk) -> None:
    """Any quoting, any chunk size: the same records with the same row numbers."""
    data = [["id", "note", "other"]] + [[str(i), a, b] for i, (a, b) in enumerate(rows)]
    path = _write_csv(tmp_path / "notes.csv", data)
    whole = open_table(path)
    assert not whole.chunked
    pieces = open_table(path, chunk_bytes=chunk)
    assert pieces.chunked == (path.stat().st_size > chunk)
    expected = pl.concat(list(whole.batches()))
    got = pl.concat(list(pieces.batches()))
    assert got.get_column(ROW).to_list() == list(range(2, 2 + len(rows)))
    assert got.select("id", "note", "other").equals(expected.select("id", "note", "other"))


def test_a_quoted_field_with_many_line_breaks_across_chunks(tmp_path) -> None:
    """The case that hung: chunk boundaries inside a 20,000-line quoted field."""
    note = "\n".join(f"line {i}" for i in range(20_000))
    data = [["customer", "date", "amount", "note"], ["c1", "2024-01-02", "1.00", "x"],
            ["c2", "2024-01-03", "2.00", note], ["c3", "2024-01-04", "3.00", "y"]]  # fmt: skip
    path = _write_csv(tmp_path / "long.csv", data)
    table = open_table(path, chunk_bytes=4096)
    frames = list(table.batches(["customer", "note"]))
    got = pl.concat(frames)
    assert got.get_column("customer").to_list() == ["c1", "c2", "c3"]
    assert got.get_column(ROW).to_list() == [2, 3, 4]
    assert got.get_column("note")[1] == note


# --- bounded header -------------------------------------------------------------------------


def test_a_header_longer_than_1_mb_is_refused_at_once(tmp_path) -> None:
    path = tmp_path / "one_line.csv"
    path.write_bytes(b"a," * 3_000_000)  # 6 MB, no line break
    message = _error(lambda: open_table(path))
    assert message == (
        f"{path}: line 1: the header row is longer than 1 MB without a line break; "
        "expected a row of column names"
    )


def test_more_than_20000_columns_are_refused(tmp_path) -> None:
    path = tmp_path / "wide.csv"
    path.write_text(",".join(f"c{i}" for i in range(25_000)) + "\n" + "1," * 24_999 + "1\n")
    assert "line 1: the header row has more than 20,000 columns" in _error(lambda: open_table(path))


# --- read errors: one line, a line number, no content ---------------------------------------


def _with_emails(tmp_path: Path, bad_line: str) -> Path:
    lines = ["id,email,date,amount", "1,ann@example.com,2024-01-01,10.00",
             "2,bob@example.com,2024-01-02,10.00", bad_line]  # fmt: skip
    lines += [f"{i},c{i}@example.com,2024-02-01,5.00" for i in range(10, 40)]
    path = tmp_path / "shop.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("chunk_bytes", [None, 64])
def test_unbalanced_quote_is_one_line_without_content(db, tmp_path, monkeypatch, chunk_bytes):
    from clvtui.ingest import read

    if chunk_bytes:  # the large-file path: record-aligned pieces
        monkeypatch.setattr(read, "_CHUNK_BYTES", chunk_bytes)
    path = _with_emails(tmp_path, '9,"dan@example.com,2024-01-03,10.00')
    assert open_table(path).chunked == bool(chunk_bytes)
    message = _error(lambda: import_file(db, path))
    assert message == (
        f'{path}: line 4: a quoted field starts here and is never closed (an unbalanced ")'
    )
    assert db.execute("SELECT count(*) FROM orders").fetchone() == (0,)


@pytest.mark.parametrize("chunk_bytes", [None, 64])
def test_ragged_line_is_one_line_without_content(db, tmp_path, monkeypatch, chunk_bytes):
    from clvtui.ingest import read

    if chunk_bytes:
        monkeypatch.setattr(read, "_CHUNK_BYTES", chunk_bytes)
    path = _with_emails(tmp_path, "9,dan@example.com,2024-01-03,10.00,eve@example.com,x")
    message = _error(lambda: import_file(db, path))
    assert message == (
        f"{path}: line 4: 6 fields where the header has 4; expected one field per column "
        "(a stray comma, or a field that should have been quoted)"
    )


def test_damaged_workbook_is_one_line(db, tmp_path) -> None:
    path = tmp_path / "orders.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a zip file" * 10)
    message = _error(lambda: import_file(db, path))
    assert message.startswith(f"{path}: cannot read this workbook (") and "\n" not in message
    assert "Consider" not in message and "might want" not in message


@pytest.mark.parametrize(
    ("message", "line"),
    [('could not parse `"b@x.com,2024\n2,a` as dtype `str`\n\nYou might want to try:',
      "could not parse … as dtype …"),
     ("Cannot convert 'ann@x.com' in cell A2; see ann@x.com.",
      "Cannot convert … in cell A2; see …"),
     ("", "ValueError")],
)  # fmt: skip
def test_library_messages_are_cut_to_one_line_without_cells(message: str, line: str) -> None:
    from clvtui.ingest.read import one_line

    assert one_line(ValueError(message)) == line


def test_a_large_file_with_a_header_and_no_records(db, tmp_path, monkeypatch) -> None:
    """Read in pieces, a header followed by blank lines is "no data rows", not a crash."""
    from clvtui.ingest import read

    path = tmp_path / "empty.csv"
    path.write_text("customer,date,amount\n" + "\n" * 100)
    monkeypatch.setattr(read, "_CHUNK_BYTES", 16)
    table = open_table(path)
    assert table.chunked
    assert [b.columns for b in table.batches(["customer", "date"])] == [[ROW, "customer", "date"]]
    with pytest.raises(InputError, match="the file has a header but no data rows"):
        import_file(db, path)
