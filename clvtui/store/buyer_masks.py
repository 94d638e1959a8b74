"""Each buyer's products as bit masks — of their first order, their second and all their
orders — kept in the column snapshot (part ``buyers``), made once per orders stamp.

Why: ``products`` at a million customers read 2.9 M orders and 5 M lines and built these
masks on every command (~1.9 s of CPU, ~0.5 GB at its peak), yet they depend only on the
orders, the lines and the links, which change only through imports and undos. Those now make
the masks once (``column_snapshot.rebuild`` calls :func:`refresh` in their transaction), and
a command reads a million rows of three integers, an id and the gaps to second orders.

The masks are those of :func:`clvtui.core.order_masks.coded_shop_masks` over every person's
purchases; a run keeps its own people (``ShopMasks.of_people``). A run whose as-of date leaves
an order out, a shop of more than 63 products (no masks), or a snapshot not current: the
reader gets None and the caller reads the lines as before.
"""

from __future__ import annotations

import io
from dataclasses import replace

import numpy as np
import polars as pl
import sqlite_utils

from clvtui.core.order_masks import ShopMasks, coded_shop_masks
from clvtui.store import column_snapshot
from clvtui.store.customer_ranks import CODE, IDS
from clvtui.store.frames import snapshot
from clvtui.store.identity import all_links
from clvtui.store.order_lines import from_codes, stored_codes

BUYERS = "buyers"  # the part's name in ``column_snapshots``
_LAYOUT = "/buyers1"  # after the orders' stamp: a part of another layout is stale
_MASKS = ("first", "second", "everything")  # UInt64, one row per buyer


def refresh(db: sqlite_utils.Database) -> None:
    """Make the buyers' masks when stale and the orders and lines parts are current, inside
    the caller's write transaction (none kept: more products than a mask holds)."""
    conn = db.conn
    if is_current(db) or not column_snapshot.current_parts(conn) >= column_snapshot.PARTS:
        return
    conn.execute("DELETE FROM column_snapshots WHERE part = ?", (BUYERS,))
    stamp = column_snapshot.order_stamp(conn) + _LAYOUT
    for column in _built(db) or []:
        buffer = io.BytesIO()
        column.to_frame().write_ipc(buffer, compression="lz4")
        conn.execute(
            "INSERT INTO column_snapshots (part, name, stamp, row_count, data)"
            " VALUES (?, ?, ?, ?, ?)",
            (BUYERS, column.name, stamp, column.len(), buffer.getbuffer()),
        )


def _built(db: sqlite_utils.Database) -> list[pl.Series] | None:
    """The part's columns: customer_id, the three masks, gap_days (of those with a second
    order), products (bit i's name) and last_at (the latest purchase's time; null when some
    purchase has none: every as-of date would leave it out)."""
    coded = stored_codes(db, None)
    if coded is None:
        return None
    lines, orders, counted, ids = coded
    links = all_links(db)
    codes = from_codes(lines, orders, counted, ids, links, None)
    del lines
    shop = coded_shop_masks(
        codes.order, codes.product, codes.customer, codes.ordered_at, codes.people
    )
    if shop is None:
        return None
    times = orders.get_column("ordered_at").filter(counted)
    last = None if times.null_count() else times.max()
    # unlinked, a buyer's code is their row of the orders part's sorted ids (customer_ranks)
    kept_code = [] if links.height else [pl.Series(CODE, shop.code, dtype=pl.UInt32)]
    return [
        shop.customer_id.alias("customer_id"),
        *(pl.Series(name, getattr(shop, name), dtype=pl.UInt64) for name in _MASKS),
        shop.gap_days.alias("gap_days"),
        pl.Series("products", shop.products, dtype=pl.Utf8),
        pl.Series("last_at", [last], dtype=pl.Utf8),
        *kept_code,
    ]


def stored_masks(db: sqlite_utils.Database, as_of: str) -> ShopMasks | None:
    """Every buyer's masks (rows as :func:`coded_shop_masks` orders them, ``code`` their
    row) when kept for the orders of now and no purchase is later than ``as_of`` (UTC text),
    else None."""
    with snapshot(db):
        named = _kept(db, as_of, "customer_id")
    return None if named is None else _masks(named, named["customer_id"])


def coded_masks(db: sqlite_utils.Database, as_of: str) -> tuple[ShopMasks, pl.Series] | None:
    """:func:`stored_masks` with ``code`` each buyer's row of the orders part's sorted ids,
    and those ids (read in one snapshot). The buyers' ids are gathered from them, not decoded
    (a million texts). None also when the part keeps no codes (linked customers, an older
    write): :func:`stored_masks` then."""
    with snapshot(db):
        named = _kept(db, as_of, CODE)
        ids = column_snapshot.load(db, column_snapshot.ORDERS, [IDS])
    if named is None or ids is None:
        return None
    people, code = ids.to_series(), named[CODE].to_numpy().astype(np.int64)
    if code.size and int(code.max()) >= people.len():
        return None
    shop = _masks(named, people.gather(code))
    return replace(shop, code=code), people


def _kept(db: sqlite_utils.Database, as_of: str, key: str) -> dict[str, pl.Series] | None:
    """The part's columns (``key`` and the masks'), inside the caller's snapshot, when kept
    for the orders of now and no purchase is later than ``as_of``."""
    if not is_current(db):
        return None
    last = _column(db, "last_at")
    if last is None or last.null_count() or str(last[0]) > as_of:
        return None
    named = {n: _column(db, n) for n in (key, *_MASKS, "gap_days", "products")}
    found = {name: column for name, column in named.items() if column is not None}
    return found if len(found) == len(named) else None


def _masks(c: dict[str, pl.Series], ids: pl.Series) -> ShopMasks:
    first, second, everything = (c[name].to_numpy() for name in _MASKS)
    rows = np.arange(ids.len(), dtype=np.int64)
    return ShopMasks(
        c["products"].to_list(), ids.alias("customer_id"), first, second, everything,
        c["gap_days"], rows,
    )  # fmt: skip


def is_current(db: sqlite_utils.Database) -> bool:
    """Whether the masks kept are those of the orders, lines and links of now."""
    if column_snapshot.ORDERS not in column_snapshot.current_parts(db.conn):
        return False  # also: no column_snapshots table (a database from before it)
    sql = "SELECT 1 FROM column_snapshots WHERE part = ? AND stamp = ? LIMIT 1"
    stamp = column_snapshot.order_stamp(db.conn) + _LAYOUT
    return db.conn.execute(sql, (BUYERS, stamp)).fetchone() is not None


def _column(db: sqlite_utils.Database, name: str) -> pl.Series | None:
    sql = "SELECT data FROM column_snapshots WHERE part = ? AND name = ? AND stamp = ?"
    stamp = column_snapshot.order_stamp(db.conn) + _LAYOUT
    row = db.conn.execute(sql, (BUYERS, name, stamp)).fetchone()
    return None if row is None else pl.read_ipc(row[0]).to_series().rechunk()
