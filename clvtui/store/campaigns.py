"""All SQL of campaigns: the campaign row, its members (contacted or control), and the
purchases members made after the start.

A campaign is written in one transaction (row and members together), so a campaign never
exists without its list. Members are people (``scores.customer_id``); their purchases are
found through every key of the person (``customer_links``), like the customer detail does.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl
import sqlite_utils

from clvtui.core.timefmt import now_text
from clvtui.errors import ClvError
from clvtui.store import column_snapshot
from clvtui.store.frames import read_frame
from clvtui.store.locking import write_transaction
from clvtui.store.order_times import TIME

MEMBER_SCHEMA = {
    "customer_id": pl.Utf8,
    "member_group": pl.Utf8,
    "clv": pl.Float64,
    "p_alive": pl.Float64,
}
CAMPAIGN_FIELDS = (
    "name", "action", "segment", "start_date", "run_id", "currency", "holdout_share", "seed",
    "cost_per_contact",
)  # fmt: skip


def has_campaigns(db: sqlite_utils.Database) -> bool:
    """False on a database made before campaigns existed and opened read-only (not migrated)."""
    return bool(db.table("campaigns").exists())


def create_campaign(db: sqlite_utils.Database, meta: dict[str, Any], members: pl.DataFrame) -> int:
    """Store the campaign ``meta`` (``CAMPAIGN_FIELDS``) and its ``members`` (``MEMBER_SCHEMA``)
    atomically; a name already taken is refused before anything is written."""
    with write_transaction(db, "campaign") as conn:
        if conn.execute("SELECT 1 FROM campaigns WHERE name = ?", [meta["name"]]).fetchone():
            raise ClvError(f"a campaign named {meta['name']!r} exists; choose another name")
        cur = conn.execute(
            f"INSERT INTO campaigns ({', '.join(CAMPAIGN_FIELDS)}, created_at) "
            f"VALUES ({', '.join('?' * (len(CAMPAIGN_FIELDS) + 1))})",
            [*(meta[f] for f in CAMPAIGN_FIELDS), now_text()],
        )
        campaign_id = int(cur.lastrowid or 0)
        conn.executemany(
            "INSERT INTO campaign_members (campaign_id, customer_id, member_group, clv, p_alive)"
            " VALUES (?, ?, ?, ?, ?)",
            ((campaign_id, *row) for row in members.select(*MEMBER_SCHEMA).iter_rows()),
        )
    return campaign_id


def campaign_row(db: sqlite_utils.Database, name: str) -> dict[str, Any]:
    """The campaign called ``name``, or a one-line error listing the names there are."""
    if has_campaigns(db):
        rows = list(db.table("campaigns").rows_where("name = ?", [name]))
        if rows:
            return dict(rows[0])
    names = [c["name"] for c in list_campaigns(db)]
    known = f"; there are: {', '.join(names)}" if names else "; there are none yet"
    raise ClvError(f"no campaign named {name!r}{known} (clvtui campaign new NAME …)")


def list_campaigns(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """Every campaign, newest first, with its group sizes."""
    if not has_campaigns(db):
        return []
    sql = (
        "SELECT c.*, "
        " (SELECT count(*) FROM campaign_members m WHERE m.campaign_id = c.id"
        "   AND m.member_group = 'contacted') AS contacted,"
        " (SELECT count(*) FROM campaign_members m WHERE m.campaign_id = c.id"
        "   AND m.member_group = 'control') AS control "
        "FROM campaigns c ORDER BY c.id DESC"
    )
    return [dict(r) for r in db.query(sql)]


def campaign_members(db: sqlite_utils.Database, campaign_id: int) -> pl.DataFrame:
    """The members of a campaign: customer_id, member_group, CLV and P(alive) at the start."""
    return read_frame(
        db,
        "SELECT customer_id, member_group, clv, p_alive FROM campaign_members "
        "WHERE campaign_id = ? ORDER BY customer_id",
        (campaign_id,),
        schema=MEMBER_SCHEMA,
    )


def member_purchases(
    db: sqlite_utils.Database, campaign_id: int, after_day: str, currency: str | None
) -> pl.DataFrame:
    """Purchases of the members after the day ``after_day`` (YYYY-MM-DD, exclusive):
    customer_id (the person), ordered_at (UTC text), amount_minor (net of refunds).
    Only ``currency`` is read when given: amounts in two currencies cannot be added."""
    money = " AND o.currency = ?" if currency else ""
    return read_frame(
        db,
        "SELECT k.customer_id, o.ordered_at, o.amount_minor - o.refunded_minor AS amount_minor "
        "FROM (SELECT customer_id, customer_id AS customer_key FROM campaign_members"
        "      WHERE campaign_id = ?"
        "      UNION ALL SELECT l.customer_id, l.customer_key FROM customer_links l"
        "      JOIN campaign_members m ON m.customer_id = l.customer_id"
        "      WHERE m.campaign_id = ?) k "
        "JOIN orders o ON o.customer_key = k.customer_key "
        f"WHERE o.is_purchase = 1 AND o.ordered_at > ?{money}",
        (campaign_id, campaign_id, f"{after_day}T23:59:59Z", *([currency] if currency else [])),
        schema={"customer_id": pl.Utf8, "ordered_at": pl.Utf8, "amount_minor": pl.Int64},
    )


def last_purchase_day(db: sqlite_utils.Database) -> str | None:
    """The day of the latest purchase in the database (how far the imported data reaches).

    From the column snapshot's kept order times when it is current (two columns decoded:
    ~0.05 s at 3 M orders), else a scan of every order (~1 s: no index leads with the time).
    The kept times are the stored UTC texts' instants, so their latest is the text's day."""
    kept = None
    if column_snapshot.holds(db, column_snapshot.ORDERS, TIME):
        kept = column_snapshot.load(db, column_snapshot.ORDERS, ["is_purchase", TIME])
    if kept is not None:
        latest = kept.filter(pl.col("is_purchase") == 1).select(pl.col(TIME).max()).item()
        if latest is None:
            return None
        instant = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=int(latest))
        return instant.date().isoformat()
    row = db.conn.execute("SELECT max(ordered_at) FROM orders WHERE is_purchase = 1").fetchone()
    return str(row[0])[:10] if row and row[0] else None


def set_status(db: sqlite_utils.Database, campaign_id: int, status: str) -> None:
    """Mark a campaign ``open`` or ``closed`` (closed: measured, no longer followed)."""
    with write_transaction(db, "campaign-status") as conn:
        conn.execute("UPDATE campaigns SET status = ? WHERE id = ?", [status, campaign_id])


def delete_campaign(db: sqlite_utils.Database, campaign_id: int) -> None:
    """Remove a campaign and its members (a campaign whose list could not be written)."""
    with write_transaction(db, "campaign-delete") as conn:
        conn.execute("DELETE FROM campaign_members WHERE campaign_id = ?", [campaign_id])
        conn.execute("DELETE FROM campaigns WHERE id = ?", [campaign_id])
