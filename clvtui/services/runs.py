"""A fitted run ready for a job: its scores, and the settings that apply to it.

Economics (margin, cost per order, discount rate, horizon) are those the run was fitted with —
CLV was computed with them, and mixing in today's margin would mislabel the values (use
``services.whatif`` for that). The tier rule, risk bands and budget assumptions are today's
settings (``services.tiers`` says why): the tiers here are re-applied by that one rule.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl
import sqlite_utils

from clvtui.insights.segments import OneTimeRule
from clvtui.services.of_run import OfRun
from clvtui.services.tiers import (
    ECONOMICS,
    apply_tiers,
    effective_settings,
    one_time_rule,
    rule_unchanged,
    run_settings_of,
)
from clvtui.settings import Settings
from clvtui.store import run_scores as store
from clvtui.store.marketing_spend import marketing_spend_frame
from clvtui.store.saved_settings import load_settings


@dataclass
class RunContext(OfRun):
    run: dict[str, Any]
    run_settings: Settings  # as fitted
    settings: Settings  # run economics + today's rules and assumptions
    scored: pl.DataFrame
    one_time: OneTimeRule | None = None  # the run's rule for one-time buyers' risk band

    @property
    def as_of(self) -> dt.date:
        """The date the run's values refer to (see ``store.run_scores.run_row``)."""
        scored = self.run.get("scored_as_of") or self.run["calibration_end"]
        return dt.date.fromisoformat(str(scored)[:10])

    def economics_changed(self, current: Settings) -> list[str]:
        """Economics settings changed since the fit (their values are not in this run's CLV)."""
        return [k for k in ECONOMICS if getattr(current, k) != getattr(self.run_settings, k)]


def load_context(
    db: sqlite_utils.Database,
    columns: Sequence[str],
    *,
    run_id: int | None = None,
    customer_columns: Sequence[str] = (),
    settings: Settings | None = None,
    ids: bool = True,
) -> RunContext:
    """Read a run (default: the latest) with the given score columns, tiers by today's rule.
    ``ids=False``: without the customers' ids (a million texts to decode), for a caller that
    gathers them otherwise (``services.products``: the run's kept codes)."""
    rid = store.latest_run_id(db) if run_id is None else run_id
    run = store.run_row(db, rid)
    current = settings or load_settings(db)
    one_time = one_time_rule(run)
    extra = ["x", "T"] if one_time is not None else []
    first = ["customer_id"] if ids else []
    cols = list(dict.fromkeys([*first, "clv", "p_alive", *columns, *extra]))
    cols = [c for c in cols if c not in ("tier", "risk")]
    if rule_unchanged(run, current):  # the fit stored exactly these tiers (services.tiers)
        scored = store.scores_columns(
            db, rid, [*cols, "tier", "risk"], customer_columns=customer_columns
        ).select(*cols, *customer_columns, "tier", "risk")
    else:
        scored = store.scores_columns(db, rid, cols, customer_columns=customer_columns)
        scored = apply_tiers(scored, run, current)
    return RunContext(run, run_settings_of(run), effective_settings(run, current), scored, one_time)


def actual_cac_table(
    db: sqlite_utils.Database, run_id: int, spend: pl.DataFrame | None = None
) -> pl.DataFrame | None:
    """Actual CAC per cohort and channel from the imported marketing spend (None without any):
    the spend, in its currency's minor units, against run ``run_id``'s new customers."""
    from clvtui.core.money import minor_exponent
    from clvtui.insights.acquisition import actual_cac

    spend = marketing_spend_frame(db) if spend is None else spend
    if not spend.height:
        return None
    cohorts = store.cohort_channel_values(db, run_id)
    return actual_cac(spend, cohorts, minor_exponent(spend["currency"][0]))


def observed_cac(db: sqlite_utils.Database, run_id: int) -> float | None:
    """Spend ÷ new customers from the imported marketing spend, or None without any."""
    from clvtui.insights.acquisition import overall_cac

    table = actual_cac_table(db, run_id)
    return None if table is None else overall_cac(table)
