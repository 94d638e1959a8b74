"""Each order's customer as a number: the rank of its key among the orders' distinct keys.

Why: ``costs`` groups 2.8 M orders by a million customer ids and lists them in id order;
hashing, checking and sorting the ids took ~1.3 s of CPU per command. The orders part of the
column snapshot keeps, with the keys, ``customer_code`` (the key's rank: codes count up in id
order) and ``customer_ids`` (the distinct keys, sorted: code ``i`` names ``customer_ids[i]``).
The ranking is made once per snapshot write (import, undo, rebuild), not per command; the
readers that want text keep reading ``customer_key`` as before.
"""

from __future__ import annotations

import numpy as np
import polars as pl

CODE, IDS = "customer_code", "customer_ids"
#: what a write remakes from ``customer_key`` (never merged: an import's new keys re-rank)
DERIVED = (CODE, IDS)


def ranked(keys: pl.Series) -> tuple[pl.Series, pl.Series]:
    """(each row's code, UInt32, null where the key is; the distinct keys sorted), so that
    ``ids[code]`` is the row's key and codes follow id order (polars' string order, as
    ``customer_codes.by_customer`` sorts)."""
    ids = keys.drop_nulls().unique().sort().alias(IDS)
    numbers = pl.int_range(0, ids.len(), dtype=pl.UInt32, eager=True)
    codes = keys.replace_strict(ids, numbers, default=None, return_dtype=pl.UInt32)
    return codes.alias(CODE), ids


def extended(ids: pl.Series, keys: pl.Series) -> tuple[pl.Series, np.ndarray, pl.Series]:
    """An import's merge without re-ranking every order: (``ids`` with the new ones of
    ``keys`` put in their places, each old code's new code, ``keys``' codes). A few binary
    searches and integer look-ups, where :func:`ranked` hashes and sorts 2.9 M keys (2.7 s of
    CPU at a million customers). An id whose orders all changed key stays (costs lists only
    codes with orders)."""
    distinct = keys.drop_nulls().unique().sort()
    at = ids.search_sorted(distinct).to_numpy().astype(np.int64)
    known = np.zeros(len(at), dtype=bool)
    if ids.len():
        found = ids.gather(np.minimum(at, ids.len() - 1))
        known = (at < ids.len()) & (found == distinct).to_numpy()
    added, where = distinct.filter(pl.Series(~known)), at[~known]
    if added.len() == 0:  # only known customers: the ids and the stored codes stay as they are
        numbers = pl.Series(at, dtype=pl.UInt32)
        codes = keys.replace_strict(distinct, numbers, default=None, return_dtype=pl.UInt32)
        return ids, np.arange(ids.len()), codes.alias(CODE)
    lut = np.arange(ids.len()) + np.searchsorted(where, np.arange(ids.len()), side="right")
    source = np.empty(ids.len() + added.len(), dtype=np.int64)
    source[lut] = np.arange(ids.len())
    source[where + np.arange(added.len())] = ids.len() + np.arange(added.len())
    merged = pl.concat([ids, added.alias(IDS)]).gather(source)
    numbers = merged.search_sorted(distinct).cast(pl.UInt32)
    codes = keys.replace_strict(distinct, numbers, default=None, return_dtype=pl.UInt32)
    return merged, lut, codes.alias(CODE)


def merge_ready(
    old: pl.DataFrame, codes: pl.Series, ids: pl.Series, changed: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame, pl.Series]:
    """The stored orders ``old`` (their ``codes`` numbering ``ids``) and an import's
    ``changed`` orders, each with its ``customer_code`` in the ids they extend to (returned)."""
    ids, lut, new_codes = extended(ids, changed.get_column("customer_key"))
    renumbered = pl.Series(CODE, lut.astype(np.uint32)).gather(codes)  # 4 bytes an order
    return old.with_columns(renumbered), changed.with_columns(new_codes), ids
