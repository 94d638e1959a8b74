"""A cheap fingerprint of what the imports put in the file (customers, their attributes).

Why: a fit stores its customers' names, e-mails and attributes in its ranking blob, read at
fit time. A command that shows them may take them from the blob (a column of a compressed
file: ~0.05 s) instead of joining the customers table (a million rows: ~1–2 s) — but only
while the table still holds what the fit read. Every change to customers goes through an
import or its undo (``store.orders``, ``store.history``), so the imports' count, newest id and
undo marks, with the customers' highest rowid (a summary fit's upsert of new customers) and
the number of summary runs (its upsert can change existing customers' names and e-mails
without a new row; runs are never deleted, so the count only grows), change whenever the table
can have; a few index look-ups and a pass over the runs' reports (~1 ms for a hundred runs).
"""

from __future__ import annotations

import sqlite3

_STAMP_SQL = (
    "SELECT (SELECT count(*) || ':' || coalesce(max(id), 0) || ':' || count(undone_at) || ':'"
    " || coalesce(max(undone_at), '') FROM imports) || '/'"
    " || (SELECT coalesce(max(rowid), 0) FROM customers) || '/'"
    " || (SELECT count(*) FROM runs WHERE json_extract(report, '$.summary_file') IS NOT NULL)"
)


def data_stamp(conn: sqlite3.Connection) -> str:
    """The fingerprint now (equal stamps: the customers table is the same)."""
    return str(conn.execute(_STAMP_SQL).fetchone()[0])
