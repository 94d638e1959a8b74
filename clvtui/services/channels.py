"""What each channel may pay (``clvtui channels``, ``budget --by-channel``, the Budget screen's
channels section): the run's customers grouped by how they were acquired, valued at
acquisition (``insights.channels``), beside the actual CAC from imported marketing spend.

Values use the run's economics with today's ratio and assumptions (``services.tiers``), as the
budget plan does, so the two agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl
import sqlite_utils

from clvtui.errors import ClvError
from clvtui.insights import channels as ch
from clvtui.settings import Settings

_SCORES = ["clv", "clv_low", "clv_high", "spend", "orders", "T"]


@dataclass(frozen=True)
class ChannelTable:
    """One grouping of one run: the table and what it was computed with."""

    run_id: int
    currency: str
    by: str
    table: pl.DataFrame  # insights.channels.channel_values (+ spend, cac, verdict)
    settings: Settings
    has_spend: bool

    def to_json(self) -> dict[str, Any]:
        """The ``clvtui channels --json`` document."""
        return {
            "run_id": self.run_id,
            "currency": self.currency,
            "by": self.by,
            "value_kind": self.settings.value_kind,
            "ltv_cac_ratio": self.settings.ltv_cac_ratio,
            "min_group": ch.MIN_GROUP,
            "marketing_spend": self.has_spend,
            "groups": self.table.to_dicts(),
        }


def check_by(by: str) -> str:
    key = by.strip().lower().replace("-", "_")
    if key not in ch.GROUPINGS:
        raise ClvError(f"unknown grouping {by!r}; use one of: {', '.join(ch.GROUPINGS)}")
    return key


def channel_table(
    db: sqlite_utils.Database, by: str = "channel", run_id: int | None = None
) -> ChannelTable:
    """Value at acquisition and allowable CPA per group of run ``run_id`` (default: latest);
    grouped by channel, with actual CAC and the verdict where marketing spend was imported."""
    from clvtui.services.runs import actual_cac_table
    from clvtui.services.tiers import effective_settings
    from clvtui.store import run_scores as store
    from clvtui.store.saved_settings import load_settings

    by = check_by(by)
    rid = store.latest_run_id(db) if run_id is None else run_id
    run = store.run_row(db, rid)
    settings = effective_settings(run, load_settings(db))
    scored = store.scores_columns(db, rid, _SCORES, customer_columns=[by])
    table = ch.channel_values(scored, by, settings)
    cac = None
    if by == "channel":
        spend = actual_cac_table(db, rid)
        cac = None if spend is None else ch.channel_cac(spend)
    return ChannelTable(rid, run.get("currency") or "", by, ch.with_cac(table, cac), settings,
                        cac is not None)  # fmt: skip


def channel_budget(table: ChannelTable, total: float, observed_cac: float | None) -> dict:
    """``budget --by-channel``: ``total`` split across the channels by what their customers
    are worth; a channel without spend of its own is priced at the shop's acquisition cost."""
    s = table.settings
    default = s.acquisition_cost if s.acquisition_cost > 0 else observed_cac
    doc = ch.split_budget(table.table, total, s, default)
    return doc | {"run_id": table.run_id, "currency": table.currency, "by": table.by,
                  "acquisition_price": default}  # fmt: skip
