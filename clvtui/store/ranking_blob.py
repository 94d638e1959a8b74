"""A run's per-customer scores as one compressed blob (``run_frames``, format ``parquet-pair``).

Why a blob and not a row per customer: 1 M ``scores`` rows took ~185 MB (SQLite stores every
REAL in 9 bytes plus a key per row) and the ranking cache beside them another ~58 MB. The blob
holds the same values, every float64 bit kept, in ~35 MB:

- the columns that depend only on a customer's purchase pattern (x, t_x, T and what the model
  predicts from them: P(alive), expected orders, P(order), next-order window) are stored once
  per distinct pattern (~290k at a million customers), each customer pointing at its pattern;
- probabilities, expected orders and CLVs (nearly one value per customer): byte stream split,
  which lines up the exponent bytes so zstd finds them (~35 % smaller than dictionary pages);
  ids and e-mails: plain strings (a dictionary of a million unique strings costs its indices
  on top); an e-mail that is the key part of the customer id (``shopify:ann@x.com``) is not
  stored twice; everything else (names, counts, ages, tiers): dictionary pages.

Layout: a 4-byte length, a JSON header (column order, the parts' columns and sizes), then
Parquet files: the customers' columns in ranking order (highest CLV first), a few columns a
file (written on two threads), and the patterns. Blobs written before the parts hold the
customers in one file (header ``people``: its size); both are read.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

PATTERN_COLUMNS = (
    "x", "t_x", "T", "p_alive", "expected_orders", "next_order_low", "next_order_high",
    "p_order_30", "p_order_90",
)  # fmt: skip
_SPLIT = (
    "clv", "clv_low", "clv_high", "p_alive", "expected_orders", "expected_spend",
    "p_order_30", "p_order_90",
)  # fmt: skip
_PLAIN = ("customer_id", "email")
# text columns with a few distinct values whatever the shop's size (see _gathered)
_FEW_VALUES = ("tier", "risk", "country", "channel", "sources", "first_product", "discount_code")
_DAY_BITS = 21  # days since first order up to ~5,700 years: x keeps 21 bits
_DAY_LIMIT = 1 << _DAY_BITS
# customers per row group of the people part, each group's Arrow copy written as it is made.
# Large on purpose: every reader of a run (the TUI, export, rank) gets one polars chunk per
# group, and several chunks cost them ~140 MB more at a million customers (a sort or a gather
# joins them first), while smaller groups did not lower the fit's peak (it is in predicting)
_ROW_GROUP = 1 << 22
# customers' columns per Parquet file of the people part (besides the ids and e-mails): four
# files at a million customers, two written at a time, each ~0.3 s of one core
_PART_COLUMNS = 6
_JOIN_CHUNK = 250_000  # customers per pattern join (see _pattern_numbers)
# the key part of ``source:key`` (str.find + slice: ~3x faster than splitn at a million ids)
_KEY = pl.col("customer_id").str.slice(pl.col("customer_id").str.find(":", literal=True) + 1)


@dataclass(frozen=True)
class KnownPatterns:
    """Each customer's purchase pattern as a fit already found it (its collapsed rows'
    ``inverse``: ``count`` patterns numbered in (x, t_x, T) order), and the pattern columns
    it gathered through that index (one value per pattern by construction, so not checked).

    Why: finding the patterns again (``np.unique`` of a million keys) and checking all nine
    columns bit for bit took ~0.2 s of the fit's saving; the others (x, t_x, T, which the
    fit collapsed on whole days, and anything computed per customer) are still checked."""

    number: np.ndarray
    count: int
    exact: frozenset[str] = frozenset()


def ranking_order(clv: pl.Series | np.ndarray) -> pl.Series:
    """The ranking's order: row numbers by descending CLV, ties in row order."""
    frame = pl.DataFrame({"clv": clv})  # not a copy of the values
    return frame.select(pl.arg_sort_by("clv", descending=True, maintain_order=True)).to_series()


def ranking_bytes(
    frame: pl.DataFrame,
    meta: dict[str, Any] | None = None,
    order: pl.Series | None = None,
    known: KnownPatterns | None = None,
) -> bytes:
    """The frame (any columns; a ``customer_id`` one if e-mails are to be shared) as a blob;
    ``meta`` (JSON values) goes into its header (see :func:`blob_header`). ``order``: the row
    order to store the customers in (row numbers of ``frame``), so that the caller need not
    hold a sorted copy of every column: each column is gathered once, straight into Arrow.
    ``known``: the customers' patterns as the fit found them (else they are found here).

    The customers' columns are written as a few Parquet files (:func:`_column_parts`), two at
    a time on two threads while this one finds the patterns: one file was encoded on one
    core (~0.7 s at a million customers), and only the parts being written are in Arrow."""
    shared = [c for c in PATTERN_COLUMNS if c in frame.columns]
    people = frame.drop(shared)
    if order is None:
        order = pl.Series(np.arange(frame.height, dtype=np.uint32))
    *early, last = _column_parts(people.columns)
    with ThreadPoolExecutor(2) as pool:
        written = [pool.submit(_part, people, names, order) for names in early]
        patterns, extra = frame.select(shared), {}
        if shared:
            patterns, extra["_pattern"] = pattern_index(patterns, known)
        written.append(pool.submit(_part, people, last, order, extra))
        del extra
        second = _parquet(iter([patterns.to_arrow()]))
        parts = [future.result() for future in written]
    header = {
        "columns": frame.columns,
        "parts": [[names, len(data)] for names, data in parts],
        **(meta or {}),
    }
    head = json.dumps(header).encode()
    return b"".join([len(head).to_bytes(4, "little"), head, *(d for _, d in parts), second])


def _column_parts(columns: Sequence[str]) -> list[list[str]]:
    """The customers' columns in the Parquet files that hold them: ids and e-mails (the
    costliest to gather and encode: ~40 %), then the others ``_PART_COLUMNS`` at a time; the
    last part also gets each customer's pattern number. Always at least one part."""
    ids = [c for c in _PLAIN if c in columns]
    rest = [c for c in columns if c not in ids]
    groups = [rest[lo : lo + _PART_COLUMNS] for lo in range(0, len(rest), _PART_COLUMNS)]
    return [ids, *groups] if ids and groups else ([ids] if ids else groups or [[]])


def _part(
    people: pl.DataFrame,
    names: list[str],
    order: pl.Series,
    extra: dict[str, pl.Series] | None = None,
) -> tuple[list[str], Any]:
    """One Parquet file of the customers' part: ``names`` (and ``extra``) in ``order``; an
    e-mail that is the key part of its customer id is flagged, not stored."""
    columns = {name: people[name] for name in names} | (extra or {})
    if "email" in columns and "customer_id" in columns:
        is_key = _email_is_key(people)
        email = columns["email"]
        columns["email"] = pl.select(email=pl.when(is_key).then(None).otherwise(email))["email"]
        columns["_email_is_key"] = is_key
    return list(columns), _parquet(_people_groups(columns, order))


def _email_is_key(frame: pl.DataFrame) -> pl.Series:
    """Whether each e-mail is the key part of its customer id (then it is not stored)."""
    return frame.select(_is_key=(pl.col("email") == _KEY).fill_null(False))["_is_key"].alias(
        "_email_is_key"
    )


def _people_groups(columns: dict[str, pl.Series], order: pl.Series) -> Iterator[Any]:
    """Columns as Arrow tables of ``_ROW_GROUP`` customers each, in ``order``, each column
    gathered once straight into Arrow: no sorted copy of the frame, and only one row group
    at a time in Arrow (the whole sorted frame beside its Arrow twin was the fit's peak)."""
    import pyarrow as pa

    names = list(columns)
    sources = {name: _gather_source(column) for name, column in columns.items()}
    del columns
    height = len(order)
    for lo in range(0, max(height, 1), _ROW_GROUP):
        part = order.slice(lo, _ROW_GROUP)
        arrays = [_gathered(sources[name], part) for name in names]
        if lo + _ROW_GROUP >= height:  # the last group: its sources are not needed
            sources.clear()  # while it is written
        yield pa.Table.from_arrays(arrays, names=names)
        del arrays  # before the next group is made: one group in Arrow at a time


def _gather_source(column: pl.Series) -> pl.Series:
    """What a column is gathered from: text with few distinct values (tiers, countries) as
    category codes (~5x faster to gather than the strings, and written as Arrow dictionary
    arrays: 4 bytes a customer where plain text took 10-20), anything else as it is."""
    if column.dtype == pl.Utf8 and column.name in _FEW_VALUES:
        return column.cast(pl.Categorical)
    return column


def _gathered(source: pl.Series, part: pl.Series) -> Any:
    """Rows ``part`` of a column's :func:`_gather_source`, as Arrow: few-valued text as a
    dictionary array (which the Parquet file stores as text: see :func:`_parquet`), other
    text as Arrow's own strings, one copy of the bytes: Parquet encoded polars' string views
    ~3x slower (0.39 s for a million ids, against 0.13 s plus 0.015 s for the copy), the
    file's bytes the same."""
    return source.gather(part).to_arrow()


def blob_header(head: bytes) -> dict[str, Any] | None:
    """The header of a blob from its first bytes (None if ``head`` is too short for it): its
    columns, and what the writer put in ``meta``."""
    size = int.from_bytes(head[:4], "little")
    if len(head) < 4 + size:
        return None
    header: dict[str, Any] = json.loads(head[4 : 4 + size])
    return header


def pattern_index(
    keys: pl.DataFrame, known: KnownPatterns | None = None
) -> tuple[pl.DataFrame, pl.Series]:
    """The distinct rows of ``keys`` (the pattern columns), sorted, and each row's number in
    them (UInt32).

    Given ``known`` patterns (the fit's), they are taken when the columns not gathered
    through them are one value per pattern, bit for bit; else found as below.

    Fast path: x, t_x and T on a day grid pack into one int64 per customer, and
    ``np.unique`` of those is the patterns in sorted order (~0.1 s at a million customers,
    where the unique rows of nine float columns, their sort and the join back took ~0.9 s).
    It holds only if every other column is one value per (x, t_x, T) — the model predicts
    per pattern — which is checked bit for bit; else the general path."""
    given = _given_patterns(keys, known) if known is not None else None
    if given is not None:
        return given
    fast = _packed_patterns(keys)
    if fast is not None:
        return fast
    shared = keys.columns
    patterns = keys.unique().sort(shared, nulls_last=True)
    return patterns, _pattern_numbers(keys, patterns)


def _packed_patterns(keys: pl.DataFrame) -> tuple[pl.DataFrame, pl.Series] | None:
    """:func:`pattern_index` by one int64 key per customer, or None where it does not apply."""
    if not {"x", "t_x", "T"} <= set(keys.columns) or keys.height == 0:
        return None
    if any(keys[c].has_nulls() for c in ("x", "t_x", "T")):
        return None
    x = keys["x"].to_numpy()
    if x.min() < 0 or x.max() >= 1 << (63 - 2 * _DAY_BITS):
        return None
    key = x.astype(np.int64, copy=True)
    for name in ("t_x", "T"):
        # whole days in weeks (d / 7): rounding is monotone, so the key sorts as the times
        # do, and two times in one day would show as a pattern with two values (checked)
        days = np.rint(keys[name].to_numpy() * 7.0)
        if not (days.min() >= 0 and days.max() < _DAY_LIMIT):  # NaN fails both
            return None
        key = (key << _DAY_BITS) | days.astype(np.int64)
    # not return_index: it forces a stable sort; any customer of a pattern will do (checked)
    distinct, inverse = np.unique(key, return_inverse=True)
    del key
    inverse = inverse.ravel()
    first = np.empty(len(distinct), dtype=np.int64)
    first[inverse] = np.arange(len(inverse))
    patterns = keys[first]
    numbers = pl.Series("_pattern", inverse, dtype=pl.UInt32)
    if not _same_bits(patterns, keys, numbers):
        return None
    return patterns, numbers


def _given_patterns(
    keys: pl.DataFrame, known: KnownPatterns
) -> tuple[pl.DataFrame, pl.Series] | None:
    """:func:`pattern_index` from ``known`` patterns, or None where they do not hold."""
    if len(known.number) != keys.height or keys.height == 0:
        return None
    first = np.full(known.count, -1, dtype=np.int64)
    first[known.number] = np.arange(keys.height)  # any customer of a pattern will do
    if first.min() < 0:  # a pattern without customers: not a collapse of these customers
        return None
    numbers = pl.Series("_pattern", known.number, dtype=pl.UInt32)
    patterns = keys[first]
    check = [c for c in keys.columns if c not in known.exact]
    if check and not _same_bits(patterns.select(check), keys.select(check), numbers):
        return None
    return patterns, numbers


def _same_bits(patterns: pl.DataFrame, keys: pl.DataFrame, numbers: pl.Series) -> bool:
    """Whether every row of ``keys`` is its pattern's row, bit for bit (nulls included)."""
    for name in keys.columns:
        mine, theirs = keys[name], patterns[name].gather(numbers)
        if not mine.is_null().equals(theirs.is_null()):
            return False
        a, b = mine.to_numpy(), theirs.to_numpy()
        if a.dtype.kind == "f":
            a, b = a.view(np.uint64), b.view(np.uint64)
        if not np.array_equal(a, b):
            return False
    return True


def _pattern_numbers(keys: pl.DataFrame, patterns: pl.DataFrame) -> pl.Series:
    """Each customer's row in ``patterns``, found by joining only the pattern columns, a
    quarter million customers at a time: one join over a million customers' frame copied
    every column and built its hash table at once, the peak memory of a whole fit."""
    table = patterns.with_row_index("_pattern")
    parts = [
        keys.slice(lo, _JOIN_CHUNK).join(
            table, on=keys.columns, how="left", nulls_equal=True, maintain_order="left"
        )["_pattern"]
        for lo in range(0, max(keys.height, 1), _JOIN_CHUNK)
    ]
    return pl.concat(parts) if len(parts) > 1 else parts[0]


def read_ranking(blob: bytes, columns: Sequence[str] | None = None) -> pl.DataFrame:
    """The stored frame, or only ``columns`` of it (the others are never decompressed)."""
    size = int.from_bytes(blob[:4], "little")
    header = json.loads(blob[4 : 4 + size])
    want = list(header["columns"] if columns is None else columns)
    shared = [c for c in want if c in PATTERN_COLUMNS]
    own = [c for c in want if c not in PATTERN_COLUMNS]
    read = list(own)
    if "email" in own:
        read += [c for c in ("customer_id", "_email_is_key") if c not in read]
    if shared:
        read.append("_pattern")
    people, end = _read_people(blob, 4 + size, header, read)
    if "email" in own:
        people = people.with_columns(
            email=pl.when(pl.col("_email_is_key")).then(_KEY).otherwise(pl.col("email"))
        )
    if shared:
        patterns = pl.read_parquet(io.BytesIO(blob[end:]), columns=shared)
        people = people.with_columns(patterns[people["_pattern"]].get_columns())
    return people.select(want)


def _read_people(
    blob: bytes, start: int, header: dict[str, Any], read: list[str]
) -> tuple[pl.DataFrame, int]:
    """Columns ``read`` of the customers' part, and where the patterns' part starts: the
    part is one Parquet file (``people``: its size) in blobs written before the parts."""
    if "parts" not in header:
        end = start + header["people"]
        return pl.read_parquet(io.BytesIO(blob[start:end]), columns=read), end
    frames: list[pl.DataFrame] = []
    for names, size in header["parts"]:
        mine = [c for c in read if c in names]
        if mine or (not read and not frames):  # no column wanted: the first part's height
            part = io.BytesIO(blob[start : start + size])
            frames.append(pl.read_parquet(part, columns=mine))
        start += size
    return pl.concat(frames, how="horizontal") if len(frames) > 1 else frames[0], start


def _parquet(groups: Iterator[Any]) -> Any:
    """Arrow tables as one Parquet file (an Arrow buffer), a row group each, every column
    encoded as suits it (see the module's text)."""
    import pyarrow as pa
    import pyarrow.parquet as pq  # only a fit writes blobs; keep it off other commands' start

    first = next(groups)
    columns = first.column_names
    split = [c for c in _SPLIT if c in columns]
    plain = [c for c in _PLAIN if c in columns]
    buffer = pa.BufferOutputStream()  # its bytes handed on as they are, not copied
    with pq.ParquetWriter(
        buffer,
        first.schema,
        compression="zstd",
        use_dictionary=[c for c in columns if c not in split and c not in plain],
        use_byte_stream_split=split,
        column_encoding={c: "DELTA_BYTE_ARRAY" for c in plain} or None,
        dictionary_pagesize_limit=8 << 20,  # spend and ages at a million customers fit one
        write_statistics=False,  # nobody filters the blob by page
        # no Arrow schema in the file: the few-valued text given as dictionary arrays is read
        # back as the plain text it is (with it, as categories), every other column as before
        store_schema=False,
    ) as writer:
        writer.write_table(first)
        del first
        for group in groups:
            writer.write_table(group)
            del group  # else held while the next group is made
    return buffer.getvalue()
