"""The ranking blob's writer: its fast paths store exactly what the plain way stores."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from clvtui.model.base import Rows
from clvtui.store.ranking_blob import (
    PATTERN_COLUMNS,
    KnownPatterns,
    _packed_patterns,
    _pattern_numbers,
    pattern_index,
    ranking_bytes,
    ranking_order,
    read_ranking,
)


def _scores(n: int = 3_000, seed: int = 7) -> pl.DataFrame:
    """Customers on a day grid whose predictions depend on (x, t_x, T) only, as a fit's do;
    some next-order windows are missing (NULL), as for customers the model gives none."""
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 6, n)
    T_days = rng.integers(30, 400, n)
    t_days = np.where(x > 0, (T_days * rng.random(n)).astype(np.int64), 0)
    t_x, T = t_days / 7.0, T_days / 7.0
    p_alive = 1.0 / (1.0 + np.exp(-(x - 0.01 * (T - t_x))))
    low = np.where(x > 2, T - t_x, np.nan)
    ids = [f"shopify:c{i:05d}@x.com" for i in range(n)]
    emails = [i.split(":", 1)[1] if k % 3 else f"other{k}@y.com" for k, i in enumerate(ids)]
    emails[5] = None
    return pl.DataFrame(
        {
            "customer_id": ids,
            "email": emails,
            "tier": rng.choice(["Profitable", "Not profitable"], n),
            "x": x,
            "t_x": t_x,
            "T": T,
            "p_alive": p_alive,
            "expected_orders": p_alive * x,
            "next_order_low": low,
            "next_order_high": low * 2,
            "p_order_30": p_alive / 3,
            "p_order_90": p_alive / 2,
            "clv": rng.gamma(2.0, 50.0, n).round(1),  # ties: the order must stay stable
        }
    ).with_columns(pl.col("next_order_low", "next_order_high").fill_nan(None))


def _plain_index(keys: pl.DataFrame) -> tuple[pl.DataFrame, pl.Series]:
    """The general way: unique rows of every pattern column, sorted, joined back."""
    patterns = keys.unique().sort(keys.columns, nulls_last=True)
    return patterns, _pattern_numbers(keys, patterns)


def test_packed_patterns_equal_the_general_unique_sort_and_join() -> None:
    keys = _scores().select(PATTERN_COLUMNS)
    assert _packed_patterns(keys) is not None  # the fast path applies
    patterns, numbers = pattern_index(keys)
    plain_patterns, plain_numbers = _plain_index(keys)
    assert 50 < patterns.height < keys.height  # customers do share patterns here
    assert_frame_equal(patterns, plain_patterns)
    assert numbers.dtype == pl.UInt32 and numbers.to_list() == plain_numbers.to_list()


def test_a_pattern_with_two_values_takes_the_general_path() -> None:
    """Two customers with the same (x, t_x, T) but P(alive) one bit apart are two patterns."""
    rows = _scores().select(PATTERN_COLUMNS).rows()
    twin = 1
    rows[twin] = (*rows[0][:3], float(np.nextafter(rows[0][3], 2.0)), *rows[0][4:])
    keys = pl.DataFrame(rows, schema=_scores().select(PATTERN_COLUMNS).schema, orient="row")
    assert _packed_patterns(keys) is None  # one (x, t_x, T), two patterns: not packed
    patterns, numbers = pattern_index(keys)
    plain_patterns, plain_numbers = _plain_index(keys)
    assert_frame_equal(patterns, plain_patterns)
    assert numbers.to_list() == plain_numbers.to_list()
    assert numbers[0] != numbers[twin]


def test_a_blob_written_in_an_order_is_the_blob_of_the_sorted_frame() -> None:
    """Same bytes: gathering each column into Arrow in ranking order (categories for text
    with few values, Arrow's take for ids and e-mails) is the sorted frame, written."""
    frame = _scores()
    order = frame.select(pl.arg_sort_by("clv", descending=True, maintain_order=True))
    ranked = frame.sort("clv", descending=True, maintain_order=True)
    meta = {"data_stamp": "s"}
    blob = ranking_bytes(frame, meta, order.to_series())
    assert blob == ranking_bytes(ranked, meta)
    assert_frame_equal(read_ranking(blob), ranked)
    assert (
        read_ranking(blob, ["email"])["email"][
            ranked["customer_id"].index_of("shopify:c00005@x.com")
        ]
        is None
    )


def test_people_written_in_row_groups_read_back_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    """Above ``_ROW_GROUP`` customers each file of the people part is several row groups
    (one in Arrow at a time); it reads back as the ranking, categories as text."""
    import io

    import pyarrow.parquet as pq

    from clvtui.store import ranking_blob
    from clvtui.store.ranking_blob import blob_header

    monkeypatch.setattr(ranking_blob, "_ROW_GROUP", 1_000)
    frame = _scores().with_columns(country=pl.Series(["DE", "US", None] * 1_000))
    frame = frame.with_columns(pl.col("country").cast(pl.Categorical))
    order = frame.select(pl.arg_sort_by("clv", descending=True, maintain_order=True))
    blob = ranking_bytes(frame, None, order.to_series())
    header = blob_header(blob)
    assert header is not None
    start = 4 + int.from_bytes(blob[:4], "little")  # after the header
    for names, size in header["parts"]:  # every part of the people's columns
        people = pq.ParquetFile(io.BytesIO(blob[start : start + size]))
        assert people.metadata.num_row_groups == 3, names
        start += size
    ranked = frame.sort("clv", descending=True, maintain_order=True)
    assert_frame_equal(read_ranking(blob), ranked.with_columns(pl.col("country").cast(pl.Utf8)))


def test_a_blob_written_before_the_parts_reads_as_before() -> None:
    """Runs stored by earlier builds hold the customers' columns in one Parquet file (header
    ``people``: its size): the same ranking reads back from them."""
    import io
    import json

    import pyarrow as pa
    import pyarrow.parquet as pq

    from clvtui.store.ranking_blob import _parquet, blob_header

    frame = _scores()
    order = frame.select(pl.arg_sort_by("clv", descending=True, maintain_order=True))
    blob = ranking_bytes(frame, {"data_stamp": "s"}, order.to_series())
    header = blob_header(blob)
    assert header is not None and len(header["parts"]) >= 2  # ids apart from the rest
    start = 4 + int.from_bytes(blob[:4], "little")
    tables = []
    for _, size in header["parts"]:
        tables.append(pq.read_table(io.BytesIO(blob[start : start + size])))
        start += size
    whole = pa.Table.from_arrays(
        [c for t in tables for c in t.columns], names=[n for t in tables for n in t.column_names]
    )
    people = _parquet(iter([whole])).to_pybytes()
    old = {"columns": header["columns"], "people": len(people), "data_stamp": "s"}
    head = json.dumps(old).encode()
    old_blob = len(head).to_bytes(4, "little") + head + people + blob[start:]
    ranked = frame.sort("clv", descending=True, maintain_order=True)
    assert_frame_equal(read_ranking(old_blob), ranked)
    assert_frame_equal(read_ranking(old_blob, ["x", "email"]), ranked.select("x", "email"))
    assert_frame_equal(read_ranking(blob, ["x", "email"]), ranked.select("x", "email"))


def _fit_rows(frame: pl.DataFrame) -> KnownPatterns:
    """The patterns as a fit collapses its customers (``Rows.collapse``), nothing trusted."""
    x, t_x, T = (frame[c].to_numpy() for c in ("x", "t_x", "T"))
    rows = Rows.collapse(x, t_x, T)
    assert rows.inverse is not None
    return KnownPatterns(rows.inverse, len(rows.x))


def test_the_fits_patterns_give_the_blob_found_without_them() -> None:
    """Handed the fit's collapsed rows and the scores' order, the blob is the same bytes as
    the one that sorts the CLVs and finds the patterns itself."""
    frame = _scores()
    known = _fit_rows(frame)
    trusted = KnownPatterns(known.number, known.count, frozenset({"p_alive", "p_order_30"}))
    keys = frame.select(PATTERN_COLUMNS)
    for given in (known, trusted):
        patterns, numbers = pattern_index(keys, given)
        assert_frame_equal(patterns, pattern_index(keys)[0])
        assert numbers.to_list() == given.number.tolist()
    order = ranking_order(frame["clv"].to_numpy())
    assert (
        order.to_list()
        == frame.select(pl.arg_sort_by("clv", descending=True, maintain_order=True))
        .to_series()
        .to_list()
    )
    assert ranking_bytes(frame, {"s": 1}, order, trusted) == ranking_bytes(frame, {"s": 1}, order)


def test_patterns_that_do_not_hold_are_found_again() -> None:
    """A fit's partition that puts two customers of different bits in one pattern (a time
    a few microseconds off the day, or a column it does not vouch for) is not used; one
    with a pattern nobody has is not either."""
    frame = _scores()
    known = _fit_rows(frame)
    keys = frame.select(PATTERN_COLUMNS)
    found = pattern_index(keys)
    # a t_x within the collapse's 1e-6 of its day: the fit's row, not the stored value
    shared = int(np.argmax(np.bincount(known.number)))  # a pattern of several customers
    first, mate = (int(i) for i in np.flatnonzero(known.number == shared)[:2])
    t_x = keys["t_x"].to_numpy().copy()
    t_x[mate] += 1e-9
    nudged = keys.with_columns(t_x=pl.Series(t_x))
    patterns, numbers = pattern_index(nudged, known)
    assert patterns.height == found[0].height + 1 and numbers[mate] != numbers[first]
    # a column not vouched for that differs inside a pattern is checked
    bumped = keys.with_columns(
        p_alive=pl.when(pl.int_range(keys.height) == mate)
        .then(pl.col("p_alive").map_batches(lambda s: np.nextafter(s.to_numpy(), 2.0)))
        .otherwise(pl.col("p_alive"))
    )
    assert pattern_index(bumped, known)[0].height == found[0].height + 1
    # one more pattern than the customers have: not this shop's collapse
    spare = KnownPatterns(known.number, known.count + 1)
    assert_frame_equal(pattern_index(keys, spare)[0], found[0])
