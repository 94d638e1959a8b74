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

Layout: a 4-byte length, a JSON header (column order, part sizes), then two Parquet files —
customers in ranking order (highest CLV first) and patterns.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from typing import Any

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
_JOIN_CHUNK = 250_000  # customers per pattern join (see _pattern_numbers)
# the key part of ``source:key`` (str.find + slice: ~3x faster than splitn at a million ids)
_KEY = pl.col("customer_id").str.slice(pl.col("customer_id").str.find(":", literal=True) + 1)


def ranking_bytes(frame: pl.DataFrame, meta: dict[str, Any] | None = None) -> bytes:
    """The frame (any columns; a ``customer_id`` one if e-mails are to be shared) as a blob;
    ``meta`` (JSON values) goes into its header (see :func:`blob_header`)."""
    shared = [c for c in PATTERN_COLUMNS if c in frame.columns]
    patterns = frame.select(shared).unique().sort(shared, nulls_last=True)
    people = frame
    if shared:
        people = frame.drop(shared).with_columns(_pattern_numbers(frame.select(shared), patterns))
    if "email" in people.columns and "customer_id" in people.columns:
        people = people.with_columns(_email_is_key=(pl.col("email") == _KEY).fill_null(False))
        people = people.with_columns(
            email=pl.when(pl.col("_email_is_key")).then(None).otherwise(pl.col("email"))
        )
    first, second = _parquet(people), _parquet(patterns)
    header = json.dumps({"columns": frame.columns, "people": len(first), **(meta or {})}).encode()
    return len(header).to_bytes(4, "little") + header + first + second


def blob_header(head: bytes) -> dict[str, Any] | None:
    """The header of a blob from its first bytes (None if ``head`` is too short for it): its
    columns, and what the writer put in ``meta``."""
    size = int.from_bytes(head[:4], "little")
    if len(head) < 4 + size:
        return None
    header: dict[str, Any] = json.loads(head[4 : 4 + size])
    return header


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
    start = 4 + size
    people_part = io.BytesIO(blob[start : start + header["people"]])
    shared = [c for c in want if c in PATTERN_COLUMNS]
    own = [c for c in want if c not in PATTERN_COLUMNS]
    read = list(own)
    if "email" in own:
        read += [c for c in ("customer_id", "_email_is_key") if c not in read]
    if shared:
        read.append("_pattern")
    people = pl.read_parquet(people_part, columns=read)
    if "email" in own:
        people = people.with_columns(
            email=pl.when(pl.col("_email_is_key")).then(_KEY).otherwise(pl.col("email"))
        )
    if shared:
        patterns = pl.read_parquet(io.BytesIO(blob[start + header["people"] :]), columns=shared)
        people = people.with_columns(patterns[people["_pattern"]].get_columns())
    return people.select(want)


def _parquet(frame: pl.DataFrame) -> bytes:
    import pyarrow.parquet as pq  # only a fit writes blobs; keep it off other commands' start

    split = [c for c in _SPLIT if c in frame.columns]
    plain = [c for c in _PLAIN if c in frame.columns]
    buffer = io.BytesIO()
    pq.write_table(
        frame.to_arrow(),
        buffer,
        compression="zstd",
        use_dictionary=[c for c in frame.columns if c not in split and c not in plain],
        use_byte_stream_split=split,
        column_encoding={c: "DELTA_BYTE_ARRAY" for c in plain} or None,
        dictionary_pagesize_limit=8 << 20,  # spend and ages at a million customers fit one
        write_statistics=False,  # nobody filters the blob by page
    )
    return buffer.getvalue()
