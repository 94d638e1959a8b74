"""Orders out of SQLite into polars, for the model.

Only three plain columns (text key, text timestamp, integer minor units) are read, as JSON
chunks by ``store.frames.read_table``: ~1.0 s at 2.8 M orders (row tuples through ``sqlite3``:
3.2 s). Timestamps are parsed by polars in one vectorised pass. Keys become people through the
few ``customer_links`` rows (a replace in polars, skipped when nobody is linked), not a join
in SQL per order.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import polars as pl
import sqlite_utils

from clvtui.core.timefmt import TIMESTAMP_FORMAT
from clvtui.errors import NoDataError
from clvtui.store import column_snapshot
from clvtui.store.customer_ranks import CODE, IDS
from clvtui.store.frames import read_table, snapshot
from clvtui.store.identity import LINK_SCHEMA, all_links, to_people
from clvtui.store.order_times import INSTANT, TIME

_PURCHASE_COLUMNS = {
    "customer_key": ("customer_key", pl.Utf8),
    "ordered_at": ("ordered_at", pl.Utf8),
    "amount": ("amount_minor - refunded_minor", pl.Int64),
}
_PURCHASES = "is_purchase = 1 AND customer_key IS NOT NULL"
_SNAPSHOT_PURCHASES = (pl.col("is_purchase") == 1) & pl.col("customer_key").is_not_null()
_SNAPSHOT_COLUMNS = {
    "customer_key": pl.col("customer_key"),
    "ordered_at": pl.col("ordered_at"),
    "amount": pl.col("amount_minor") - pl.col("refunded_minor"),
    "currency": pl.col("currency"),
}
# with the codes: the text keys are the sorted ids gathered by code, not 2.9 M texts decoded
_CODED_PURCHASES = (pl.col("is_purchase") == 1) & pl.col(CODE).is_not_null()  # null: no key
_CODED_COLUMNS = {k: v for k, v in _SNAPSHOT_COLUMNS.items() if k != "customer_key"} | {
    CODE: pl.col(CODE)
}
NO_PURCHASES = "no purchases with a customer in the database; import orders first"


def _until_text(until: date | datetime | str | None) -> str | None:
    """Orders up to and including the day ``until`` (UTC)."""
    if until is None:
        return None
    if isinstance(until, datetime):
        until = until.date()
    day = until if isinstance(until, str) else until.isoformat()
    return f"{day[:10]}T23:59:59Z"


def _single_logged_currency(db: sqlite_utils.Database) -> list[str]:
    """``[code]`` when the imports log says every order is in one currency, else ``[]``.

    Each live import records its orders' currencies, so their union holds every order's;
    when it is one code, the purchases are in it (or there are none, which the caller checks)
    without the full scan of the orders ``purchase_currencies`` makes (~0.5 s at 3 M orders).
    Imports logged before currencies were recorded (NULL) make the log incomplete: ``[]``.
    """
    rows = db.conn.execute("SELECT currencies FROM imports WHERE undone_at IS NULL").fetchall()
    if not rows or any(text is None for (text,) in rows):
        return []
    codes = {c for (text,) in rows for c in text.split(",") if c}
    return sorted(codes) if len(codes) == 1 else []


def purchase_currencies(db: sqlite_utils.Database) -> list[str]:
    rows = db.conn.execute(f"SELECT DISTINCT currency FROM orders WHERE {_PURCHASES}").fetchall()
    return sorted(r[0] for r in rows)


def held_currencies(db: sqlite_utils.Database) -> list[str]:
    """Currencies of the orders the live imports brought (cheap: no scan of the orders)."""
    rows = db.conn.execute(
        "SELECT currencies FROM imports WHERE undone_at IS NULL AND currencies IS NOT NULL"
    ).fetchall()
    return sorted({c for (text,) in rows for c in text.split(",") if c})


def currency_purchases(
    db: sqlite_utils.Database, until: str | None = None, currencies: list[str] | None = None
) -> dict[str, int]:
    """Purchases (with a customer) per currency, most first; one scan per currency."""
    counts = {}
    for currency in purchase_currencies(db) if currencies is None else currencies:
        where = f"{_PURCHASES} AND currency = ?" + (" AND ordered_at <= ?" if until else "")
        args = [currency, until] if until else [currency]
        counts[currency] = db.conn.execute(
            f"SELECT count(*) FROM orders WHERE {where}", args
        ).fetchone()[0]
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def purchases_frame(
    db: sqlite_utils.Database,
    *,
    until: date | datetime | str | None = None,
    currency: str | None = None,
) -> pl.DataFrame:
    """Purchases with a customer in one currency: customer_id (the person), ordered_at (UTC),
    amount (net, major), currency.

    Only ``is_purchase = 1`` orders with a customer count, in ``currency`` — by default the
    currency with the most purchases (amounts in different currencies cannot be compared
    without exchange rates, so "most revenue" across currencies would mean nothing; ¥1,000 is
    not more than $50). Amounts in different currencies are never summed.
    """
    return coded_purchases(db, until=until, currency=currency, coded=False)[0]


def coded_purchases(
    db: sqlite_utils.Database,
    *,
    until: date | datetime | str | None = None,
    currency: str | None = None,
    coded: bool = True,
) -> tuple[pl.DataFrame, pl.Series | None]:
    """:func:`purchases_frame`, and (``coded``) each purchase's ``customer_code`` with the
    sorted ids it numbers (``customer_ranks``) when the snapshot has them and nobody is linked
    (a person is then their key): the summary sorts 4-byte codes, not 2.9 M text ids (~1.8 s
    of CPU at a million customers). Else ``(frame, None)``, the frame as purchases_frame's."""
    from clvtui.core.money import minor_exponent

    limit = _until_text(until)
    column_snapshot.prepare(db, column_snapshot.ORDERS)
    with snapshot(db):  # the currency choice and the read see the same orders
        links = all_links(db)
        ids = _ranked_ids(db) if coded and links.height == 0 else None
        found = _snapshot_read(db, ids is not None, currency, limit)
        chosen, raw = found if found is not None else _sql_purchases(db, currency, limit)
    if ids is not None and CODE in raw.columns:  # 0.07 s of CPU where decoding them took 0.4
        raw = raw.with_columns(ids.gather(raw.get_column(CODE)).alias("customer_key"))
    scale = 10 ** minor_exponent(chosen)
    at = pl.col("ordered_at")
    frame = raw.select(
        to_people(raw, links),
        at.str.strptime(INSTANT, TIMESTAMP_FORMAT) if raw.schema["ordered_at"] == pl.Utf8 else at,
        pl.col("amount").cast(pl.Float64) / scale,
        pl.lit(chosen).alias("currency"),
        *([CODE] if CODE in raw.columns else []),
    )
    return frame, ids if CODE in frame.columns else None


def _snapshot_read(
    db: sqlite_utils.Database, coded: bool, wanted: str | None, limit: str | None
) -> tuple[str, pl.DataFrame] | None:
    """The chosen currency and its purchases out of the column snapshot (None: not current),
    their times as instants when the part keeps them (``order_times``), else as text. When the
    imports log says one currency, the purchases are all in it: one filter (purchase, customer,
    as-of) and no currency column read; else every purchase's currency decides."""
    timed = column_snapshot.holds(db, column_snapshot.ORDERS, TIME) and _limit_us(limit) != -1
    columns = dict(_CODED_COLUMNS if coded else _SNAPSHOT_COLUMNS)
    where = _CODED_PURCHASES if coded else _SNAPSHOT_PURCHASES
    if timed:
        columns["ordered_at"] = pl.col(TIME).cast(INSTANT)
    single = _single_logged_currency(db)
    if single:
        dated = where if limit is None else where & _at_most(limit, timed)
        del columns["currency"]
        stored = column_snapshot.read_orders(db, columns, dated)
        if stored is None:
            return None
        if stored.height:  # else: none at all, or none by as-of: the scan below says which
            return _choose_code(single, wanted), stored
        columns["currency"] = _SNAPSHOT_COLUMNS["currency"]
    stored = column_snapshot.read_orders(db, columns, where)
    return None if stored is None else _snapshot_purchases(stored, wanted, limit)


def _at_most(limit: str, timed: bool) -> pl.Expr:
    """``ordered_at <= limit`` on the text, or the same comparison on the kept instants."""
    return pl.col(TIME) <= _limit_us(limit) if timed else pl.col("ordered_at") <= limit


def _limit_us(limit: str | None) -> int | None:
    """The instant of a stored-format text limit in µs since the epoch (None: no limit; -1:
    not a stored-format time, so only the text compares as before)."""
    if limit is None:
        return None
    try:
        instant = datetime.strptime(limit, TIMESTAMP_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return -1
    if instant.strftime(TIMESTAMP_FORMAT) != limit:  # "2024-3-4…" parses, yet sorts as text
        return -1
    return int(instant.timestamp()) * 1_000_000


def _ranked_ids(db: sqlite_utils.Database) -> pl.Series | None:
    """The sorted ids the snapshot's ``customer_code`` numbers, when its orders part is
    current (of the coded layout); else None: the text keys are read."""
    if column_snapshot.ORDERS not in column_snapshot.current_parts(db.conn):
        return None
    stored = column_snapshot.load(db, column_snapshot.ORDERS, [IDS])
    return None if stored is None else stored.to_series()


def _sql_purchases(
    db: sqlite_utils.Database, currency: str | None, limit: str | None
) -> tuple[str, pl.DataFrame]:
    """The chosen currency and its purchases (customer_key, ordered_at text, amount minor)."""
    single = _single_logged_currency(db)
    currencies = single or purchase_currencies(db)
    if not currencies:
        raise NoDataError(NO_PURCHASES)
    chosen = _choose(db, currencies, currency, limit)
    where = _PURCHASES + " AND currency = ?" + (" AND ordered_at <= ?" if limit else "")
    params = (chosen, limit) if limit else (chosen,)
    raw = read_table(db, "orders", _PURCHASE_COLUMNS, where=where, params=params)
    if single and raw.height == 0 and not purchase_currencies(db):
        raise NoDataError(NO_PURCHASES)  # what the scan would have said
    return chosen, raw


def _snapshot_purchases(
    bought: pl.DataFrame, currency: str | None, limit: str | None
) -> tuple[str, pl.DataFrame]:
    """What :func:`_sql_purchases` returns, from every purchase out of the column snapshot."""
    currencies = sorted(bought.get_column("currency").unique().to_list())
    if not currencies:
        raise NoDataError(NO_PURCHASES)
    dated = bought
    if limit is not None and bought.schema["ordered_at"] == pl.Utf8:
        dated = bought.filter(pl.col("ordered_at") <= limit)
    elif limit is not None:  # the kept instants (``_snapshot_read`` read them for a valid limit)
        dated = bought.filter(pl.col("ordered_at").dt.epoch("us") <= _limit_us(limit))
    chosen = most_held(currencies, dated.get_column("currency"), currency)
    if currencies != [chosen]:  # else every purchase is in it: no copy
        dated = dated.filter(pl.col("currency") == chosen)
    return chosen, dated.drop("currency")


def most_held(currencies: list[str], dated: pl.Series, wanted: str | None) -> str:
    """The currency a run reports in: the one asked for, the only one, else the one most
    purchases up to as-of are in (ties by code; a currency none of them is in comes last).
    ``dated``: the currency of each purchase up to as-of."""
    if wanted is not None or len(currencies) == 1:
        return _choose_code(currencies, wanted)
    order = dated.value_counts().sort(["count", dated.name], descending=[True, False])
    return next(c for c in [*order.get_column(dated.name), *currencies] if c in currencies)


def _choose_code(currencies: list[str], wanted: str | None) -> str:
    if wanted is None:
        return currencies[0]
    code = wanted.strip().upper()
    if code not in currencies:
        raise NoDataError(f"no purchases in {code}; the database holds {', '.join(currencies)}")
    return code


def _choose(
    db: sqlite_utils.Database, currencies: list[str], wanted: str | None, limit: str | None
) -> str:
    if wanted is not None or len(currencies) == 1:
        return _choose_code(currencies, wanted)
    return next(iter(currency_purchases(db, limit, currencies)))


def fitted_currency(fitted: pl.DataFrame) -> str | None:
    """The currency of a one-currency purchases frame (None: no purchases). Its column is one
    literal (``coded_purchases``): taken as a scalar, not made into 2.9 M texts (~46 MB at a
    million customers) by reading it as a column."""
    if fitted.height == 0:
        return None
    code = fitted.select(pl.first("currency")).item()
    return None if code is None else str(code)


def left_out(
    db: sqlite_utils.Database,
    fitted: pl.DataFrame,
    *,
    until: date | datetime | str | None = None,
) -> list[dict[str, object]]:
    """What a one-currency fit leaves out: per other currency, its purchases, net revenue
    (major units) and customers — all of them, and those with no purchase in the fitted
    currency at all. Reads only the other currencies' purchases."""
    from clvtui.core.money import minor_exponent

    chosen = fitted_currency(fitted)
    if held_currencies(db) == [chosen]:
        return []  # one currency (known from the imports log): no scan of the orders
    limit = _until_text(until)
    where = _PURCHASES + " AND currency <> ?" + (" AND ordered_at <= ?" if limit else "")
    columns = _PURCHASE_COLUMNS | {"currency": ("currency", pl.Utf8)}
    column_snapshot.prepare(db, column_snapshot.ORDERS)
    with snapshot(db):
        other = column_snapshot.read_orders(
            db, _SNAPSHOT_COLUMNS, _SNAPSHOT_PURCHASES & _other_than(chosen, limit)
        )
        if other is None:
            params = (chosen, limit) if limit else (chosen,)
            other = read_table(db, "orders", columns, where=where, params=params)
        links = all_links(db) if other.height else pl.DataFrame(schema=LINK_SCHEMA)
    if other.height == 0:
        return []
    other = other.with_columns(to_people(other, links))
    inside = fitted.get_column("customer_id").unique().implode()
    out = []
    for (code,), part in sorted(other.group_by("currency")):
        people = part.get_column("customer_id").unique()
        out.append(
            {
                "currency": code,
                "purchases": part.height,
                "revenue": int(part.get_column("amount").sum()) / 10 ** minor_exponent(code),
                "customers": people.len(),
                "customers_only_in_it": int((~people.is_in(inside)).sum()),
            }
        )
    return sorted(out, key=lambda d: (-int(d["purchases"]), str(d["currency"])))


def _other_than(chosen: str | None, limit: str | None) -> pl.Expr:
    """``currency <> chosen AND ordered_at <= limit`` as SQL means it (``<> NULL``: no row)."""
    other = pl.col("currency") != pl.lit(chosen, pl.Utf8)
    return other if limit is None else other & (pl.col("ordered_at") <= limit)


def currency_report(
    db: sqlite_utils.Database,
    fitted: pl.DataFrame,
    *,
    until: date | datetime | str | None = None,
    named: bool = False,
) -> dict[str, Any]:
    """The ``currencies`` entry of a fit report: the currency fitted, how it was chosen, what
    each other currency held and was left out, and a warning line per left-out currency."""
    chosen = fitted_currency(fitted)
    others = left_out(db, fitted, until=until)
    warnings = []
    from clvtui.core.money import minor_exponent

    for o in others:
        code, only, people = o["currency"], o["customers_only_in_it"], o["customers"]
        who = f"{people:,} customer{'' if people == 1 else 's'}"
        if only == people:
            who += f" who bought only in {code}"
        elif only:
            who += f" ({only:,} of them bought only in {code})"
        amount = f"{o['revenue']:,.{minor_exponent(str(code))}f} {code}"
        warnings.append(
            f"left out {code}: {o['purchases']:,} purchase{'' if o['purchases'] == 1 else 's'}"
            f" ({amount}) by {who} — this run is in {chosen}; fit them with "
            f"clvtui fit --currency {code}"
        )
    return {
        "currency": chosen,
        "chosen_by": "--currency" if named else "most purchases",
        "left_out": others,
        "warnings": warnings,
    }
