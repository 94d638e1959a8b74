"""``services.products``' paths by customer codes: the run's kept codes meeting the buyers'
kept masks (no ids matched), and the best next products of a catalogue too big for masks.

Apart from ``services.products`` only for its size; the numbers are those of its other paths.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import polars as pl
import sqlite_utils

from clvtui.insights.products import ProductRules

if TYPE_CHECKING:
    from clvtui.services.products import RunLines


def coded_lines(
    db: sqlite_utils.Database,
    scored: pl.DataFrame,
    codes: tuple[np.ndarray, bytes],
    as_of: str,
) -> tuple[pl.DataFrame, None, str | None, None, list, list] | None:
    """:class:`RunLines`' fields after its run and currency, from the kept buyers' masks
    and the run's kept codes when both are current (each value row's buyer row by code: no
    ids matched), else None."""
    from clvtui.services.products import NO_LINES
    from clvtui.store.buyer_masks import coded_masks
    from clvtui.store.run_people import run_ids

    kept = coded_masks(db, as_of)
    if kept is None:
        return None
    shop, people = kept
    ids = run_ids(codes, people)
    if ids is None:
        return None
    buyer_row = np.full(people.len(), -1, dtype=np.int64)
    buyer_row[shop.code] = np.arange(shop.code.size)
    part, rows = shop.of_rows(buyer_row[codes[0]])
    values = scored.with_columns(ids).select("customer_id", "clv", "x", "tier", "risk")
    found = None if part.code.size else NO_LINES
    return values, None, found, None, [part], [rows]


def best_next_from_codes(
    data: RunLines, rules: ProductRules, wanted: pl.Series | None
) -> pl.DataFrame:
    """:func:`best_next_products` of a catalogue too big for bit masks, from the codes (rows
    in the shop's order of customers, as the mask path gives them)."""
    from clvtui.insights import coded_products as wide

    codes, ids = data.coded, data.values.get_column("customer_id")
    if codes is None:
        raise ValueError("no codes: the lines were given as a frame")
    shop = wide.shop_baskets(codes.order, codes.product, codes.customer, codes.ordered_at)
    pairs = wide.affinity(shop, rules.min_pair_customers)
    rows = np.arange(shop.code.size)
    if wanted is not None:  # the rows of the wanted ids, each once, in the shop's order
        row_of = np.full(ids.len(), -1, dtype=np.int64)
        row_of[shop.code] = rows
        asked = pl.DataFrame({"customer_id": wanted}).join(
            pl.DataFrame({"customer_id": ids, "at": np.arange(ids.len())}), on="customer_id"
        )
        rows = np.unique(row_of[asked.get_column("at").to_numpy()])
        rows = rows[rows >= 0]
    best = wide.best_next_products(shop, pairs, rows)
    named = ids.gather(shop.code[best.get_column("row").to_numpy()])
    return best.with_columns(customer_id=named).select(
        "customer_id", "next_product", "lift", "because"
    )
