"""Each order's customer as a number: the rank of its key among the orders' distinct keys.

Why: ``costs`` groups 2.8 M orders by a million customer ids and lists them in id order;
hashing, checking and sorting the ids took ~1.3 s of CPU per command. The orders part of the
column snapshot keeps, with the keys, ``customer_code`` (the key's rank: codes count up in id
order) and ``customer_ids`` (the distinct keys, sorted: code ``i`` names ``customer_ids[i]``).
The ranking is made once per snapshot write (import, undo, rebuild), not per command; the
readers that want text keep reading ``customer_key`` as before.
"""

from __future__ import annotations

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
