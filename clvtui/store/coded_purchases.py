"""A run's purchases with integer customer codes, out of the column snapshot (``cohorts``,
``plan``, the Cohorts screen).

Why: those read every purchase up to as-of, and as customer-id texts that is 2.9 M strings at
a million customers to decode (0.35 s), hash and sort (0.7 s) and hold (~300 MB). The orders
part of the snapshot keeps each order's customer code (``store.customer_ranks``: 4 bytes an
order, numbering the sorted distinct keys), so the orders are read as numbers and only the
run's scored customers — a million ids, once each — are looked up among the keys. Each
order's UTC day is all the cohorts use of its time: parsed as a date, not a timestamp.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
import polars as pl
import sqlite_utils

from clvtui.errors import NoDataError
from clvtui.store import column_snapshot
from clvtui.store.customer_ranks import CODE, IDS
from clvtui.store.frames import snapshot
from clvtui.store.identity import all_links, to_people
from clvtui.store.order_times import TIME
from clvtui.store.reads import (
    NO_PURCHASES,
    _choose_code,
    _single_logged_currency,
    _until_text,
    most_held,
)

# ``store.reads.purchases_frame``'s UTC timestamp, to the day (the stored text is UTC: "…Z")
_DAY = pl.col("ordered_at").str.slice(0, 10).str.strptime(pl.Date, "%Y-%m-%d")
_DAY_US = 86_400_000_000  # microseconds in a UTC day


@dataclass(frozen=True)
class CodedPurchases:
    """``store.reads.purchases_frame``'s rows (same order) with the customer as a number."""

    frame: pl.DataFrame  # ordered_at (Date, the UTC day), amount (major units)
    codes: np.ndarray  # each purchase's customer: a row of ``people``
    people: pl.Series  # the customer ids (persons), sorted and distinct
    currency: str


def coded_purchases(
    db: sqlite_utils.Database,
    *,
    until: date | datetime | str | None = None,
    currency: str | None = None,
) -> CodedPurchases | None:
    """The purchases of ``purchases_frame(db, until=…, currency=…)``, coded; None when the
    snapshot holds no customer codes (not current, or an older layout on a read-only file):
    the caller reads the texts then."""
    from clvtui.core.money import minor_exponent

    limit = _until_text(until)
    column_snapshot.prepare(db, column_snapshot.ORDERS)
    with snapshot(db):  # the columns, the ids and the links of one moment
        if column_snapshot.ORDERS not in column_snapshot.current_parts(db.conn):
            return None
        codes = _column(db, CODE)
        bought = (_column(db, "is_purchase") == 1).fill_null(False) & codes.is_not_null()
        day, dated = _days(db, bought, limit, _kept_days(db))
        chosen, in_currency = _currency(db, bought, dated, currency)
        keep = dated if in_currency is None else dated & in_currency
        amount = (_column(db, "amount_minor") - _column(db, "refunded_minor")).filter(keep)
        ids = _column(db, IDS)
        links = all_links(db)
    if in_currency is not None:
        day = day.filter(in_currency.filter(dated))
    coded, people = _people(codes.filter(keep).to_numpy(), ids, links)
    scale = 10 ** minor_exponent(chosen)
    frame = pl.DataFrame([day, (amount.cast(pl.Float64) / scale).alias("amount")])
    return CodedPurchases(frame, coded, people.alias("customer_id"), chosen)


def prepare_purchases(db: sqlite_utils.Database) -> None:
    """Rebuild a stale orders part now if this connection may write (see
    ``column_snapshot.prepare``): before a second connection starts reading beside it."""
    column_snapshot.prepare(db, column_snapshot.ORDERS)


def _column(db: sqlite_utils.Database, name: str) -> pl.Series:
    """One column of the orders part (current: checked inside the caller's transaction)."""
    frame = column_snapshot.load(db, column_snapshot.ORDERS, [name])
    if frame is None:
        raise RuntimeError("the orders snapshot went stale inside a read transaction")
    return frame.to_series()


def _days(
    db: sqlite_utils.Database, bought: pl.Series, limit: str | None, kept: pl.Series | None
) -> tuple[pl.Series, pl.Series]:
    """The purchases' UTC days up to ``limit`` (inclusive), and which orders those are.
    ``kept``: every order's day from its kept time (:func:`_kept_days`: the texts' answers);
    without it the times are texts (2.9 M at a million customers: ~200 MB decoded at once),
    streamed batch by batch out of the stored Arrow file into days and the limit's test."""
    last = None if limit is None else _day_of(limit[:10])
    if kept is not None and (limit is None or last is not None):
        day = kept.alias("ordered_at")
        dated = bought if last is None else bought & (day <= last).fill_null(False)
        return day.filter(dated), dated
    (blob,) = db.conn.execute(
        "SELECT data FROM column_snapshots WHERE part = ? AND name = 'ordered_at'",
        (column_snapshot.ORDERS,),
    ).fetchone()
    at = pl.col("ordered_at")
    inside = pl.lit(True) if limit is None else (at <= limit).fill_null(False)
    read = pl.scan_ipc(io.BytesIO(blob)).select(_DAY, inside.alias("inside"))
    days = read.collect(engine="streaming").rechunk()
    dated = bought & days.get_column("inside")
    return days.get_column("ordered_at").filter(dated), dated


def _kept_days(db: sqlite_utils.Database) -> pl.Series | None:
    """Every order's UTC day from the times the orders part keeps (``store.order_times``), or
    None when it keeps none (an older file, or a time the stored format does not parse).

    Exact: a kept time is one ``TIMESTAMP_FORMAT`` parsed (no leap second), so it falls on
    the day its text's first ten characters name and no later than that day's end; for an
    as-of day L, ``text <= L + "T23:59:59Z"`` then holds exactly when ``day <= L``."""
    if not column_snapshot.holds(db, column_snapshot.ORDERS, TIME):
        return None
    times = _column(db, TIME)
    return (times // _DAY_US).cast(pl.Int32).cast(pl.Date).alias("ordered_at")


def _day_of(text: str) -> date | None:
    """The day ``text`` names when it is one written as ISO does (the kept days' test is
    exact only then), else None: the limit is compared as text."""
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return None
    return day if day.isoformat() == text else None


def _currency(
    db: sqlite_utils.Database, bought: pl.Series, dated: pl.Series, wanted: str | None
) -> tuple[str, pl.Series | None]:
    """The run's currency as ``purchases_frame`` chooses it, and which orders are in it (None:
    every purchase is — the imports log names one currency, or the purchases hold one)."""
    logged = _single_logged_currency(db)
    if logged:
        if not bought.any():
            raise NoDataError(NO_PURCHASES)
        return _choose_code(logged, wanted), None
    held = _column(db, "currency")
    currencies = sorted(held.filter(bought).unique().to_list())
    if not currencies:
        raise NoDataError(NO_PURCHASES)
    chosen = most_held(currencies, held.filter(dated), wanted)
    return chosen, None if currencies == [chosen] else (held == chosen).fill_null(False)


def _people(
    codes: np.ndarray, keys: pl.Series, links: pl.DataFrame
) -> tuple[np.ndarray, pl.Series]:
    """The codes renumbered to persons when keys are linked (a million texts at most), as
    ``store.costs.coded_order_costs`` does; else as they are."""
    if not links.height:
        return codes, keys
    people = to_people(keys.to_frame("customer_key"), links)
    persons = people.unique().sort()
    numbers = pl.int_range(0, persons.len(), dtype=pl.UInt32, eager=True)
    return people.replace_strict(persons, numbers).to_numpy()[codes], persons
