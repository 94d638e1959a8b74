"""The only place with SQL: opening the database, migrations, reads and writes.

Submodules own one table or one concern each: ``opening`` (create, recognise, migrate,
read-only opens), ``schema`` (the migrations), ``locking`` (write transactions), ``failures``
(errors as one line), ``frames`` (query results as polars frames), ``orders`` (import writes),
``identity`` (customer keys, the people they belong to, who each customer is), ``history`` (the
imports list and undo), ``reads`` (orders into polars), ``column_snapshot`` (a column copy of
the orders and lines the readers use while it is current), ``runs`` (writing and reading fitted
runs), ``run_scores`` (scores by column, runs over time), ``run_storage`` (room taken, pruning),
``marketing_spend``, ``saved_settings``, ``status`` (what the file holds).
"""

from __future__ import annotations

from clvtui.store.failures import DatabaseBusyError, StoreError, describe
from clvtui.store.locking import write_transaction
from clvtui.store.opening import SCHEMA_VERSION, ShopDatabase, migrate, open_db

__all__ = [
    "SCHEMA_VERSION",
    "DatabaseBusyError",
    "ShopDatabase",
    "StoreError",
    "describe",
    "migrate",
    "open_db",
    "write_transaction",
]
