"""What an import or undo hands the column snapshot: the parts current at its start (``Watch``)
and the rows it wrote (``ImportRows``), for ``column_snapshot.lift_watch`` and ``settle``.

Why a module of its own: plain records, kept apart from the snapshot's reading and writing.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl


@dataclass
class Watch:
    """What :func:`column_snapshot.lift_watch` found, for :func:`column_snapshot.settle`."""

    parts: set[str]
    triggers: list[str]
    present: bool  # False: a database from before the snapshot (nothing to keep up)
    orders_max: int = 0  # highest rowids before the import
    lines_max: int = 0


@dataclass
class ImportRows:
    """What an import wrote, as the importer had it: the file's orders (``STORED`` columns,
    ``customer_id`` holding the key) and lines (``LINE_FIELDS``), and the counts."""

    orders: pl.DataFrame | None = None
    lines: pl.DataFrame | None = None
    orders_new: int = 0
    lines_new: int = 0
    orders_changed: bool = False
