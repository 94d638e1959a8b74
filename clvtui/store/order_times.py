"""Each order's time as a number, kept in the orders part of the column snapshot.

Why: the fit turned 2.9 M stored text timestamps into instants on every run at a million
customers (decoding the text column ~0.3 s of CPU, parsing it ~0.4 s) though they change only
with imports and undos. The orders part keeps, beside the text ``ordered_at``, ``ordered_us``
(microseconds since the epoch, UTC: exactly what the fit's ``strptime`` gives), written with
the part; the fit casts it to a datetime for free, and ``cohorts`` and ``plan`` take each
order's UTC day from it (``store.coded_purchases``). Other readers keep reading the text.
"""

from __future__ import annotations

import polars as pl

from clvtui.core.timefmt import TIMESTAMP_FORMAT

TIME = "ordered_us"
INSTANT = pl.Datetime("us", "UTC")


def parsed(ordered_at: pl.Series) -> pl.Series:
    """The instants of stored text timestamps as ``TIME`` (null where one does not parse).

    A leap second ("…T23:59:60Z") parses into the next day: counted as not parsed, so that
    every kept time falls on the day its text names (``cohorts`` and ``plan`` take the day)."""
    instants = ordered_at.str.strptime(INSTANT, TIMESTAMP_FORMAT, strict=False)
    kept = pl.when(ordered_at.str.slice(17, 2) != "60").then(instants.dt.epoch("us"))
    return pl.select(kept.alias(TIME)).to_series()


def with_times(orders: pl.DataFrame) -> pl.DataFrame:
    """``orders`` with ``TIME`` (parsed when absent), or without it when a time did not parse:
    a reader then parses the text itself (and fails as it always did), never reads a null."""
    if TIME not in orders.columns:
        orders = orders.with_columns(parsed(orders.get_column("ordered_at")))
    if orders.get_column(TIME).null_count() > orders.get_column("ordered_at").null_count():
        return orders.drop(TIME)
    return orders
