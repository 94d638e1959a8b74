"""The only place with SQL: opening the database, migrations, reads and writes.

Submodules own one area each: ``opening`` (create, recognise, migrate, read-only opens),
``locking`` (write transactions), ``failures`` (errors as one line), ``orders`` (import
writes), ``identity`` (customer keys and the people they belong to), ``history`` (the imports
list and undo), ``reads`` (orders into polars), ``runs`` (fitted runs and scores), ``run_scores``
(scores by column, runs over time, marketing spend), ``saved_settings``.
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
