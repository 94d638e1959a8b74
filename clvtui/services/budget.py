"""The budget plan: where a marketing budget goes furthest (``clvtui budget``, Budget screen).

Both faces ask the same two questions in the same order: :func:`load_basis` once per fit (the
run's tiered customers, today's settings, the CAC observed from imported spend), then
:func:`plan` for a total and the assumptions — the CLI once, the Budget screen on every
keystroke. The plan values the run's CLVs with the run's economics and today's assumptions
(``services.tiers.effective_settings``), so the screen and ``clvtui budget --json`` agree to the
cent for the same total and assumptions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import polars as pl
import sqlite_utils

from clvtui.errors import SettingsError
from clvtui.insights.budget import BudgetPlan
from clvtui.services.of_run import OfRun
from clvtui.settings import Settings

#: What a plan reads of each customer (allowable CPA, win-back stake), beside tier and risk.
BASIS_COLUMNS = ("customer_id", "clv", "p_alive", "spend", "orders", "T")


@dataclass(frozen=True)
class BudgetBasis(OfRun):
    """What every plan of one fit is computed from (loaded once)."""

    run: dict[str, Any]
    customers: pl.DataFrame  # the run's customers, tiers by today's rule
    settings: Settings  # today's saved settings (a face lays the user's edits over them)
    observed_cac: float | None  # spend ÷ new customers from imported marketing spend, if any


@dataclass(frozen=True)
class BudgetResult:
    """A plan with the allowable-CPA table it was split against and the settings it used."""

    run_id: int
    currency: str
    plan: BudgetPlan
    cpa: pl.DataFrame  # per tier: customers, value at acquisition, allowable CPA, payback…
    settings: Settings  # the run's economics with the assumptions the plan used

    def to_json(self) -> dict[str, Any]:
        """The ``clvtui budget --json`` document."""
        return self.plan.to_json() | {"run_id": self.run_id, "currency": self.currency}


def check_total(total: float) -> float:
    """A budget to split is a positive, finite amount (refused before anything is read): 0
    or less has nothing to split, and a plan for it would only say so in many words."""
    if not (math.isfinite(total) and total > 0):
        raise SettingsError(f"the budget must be a positive amount, more than 0 (got {total:g})")
    return total


def load_basis(
    db: sqlite_utils.Database, run_id: int | None = None, customers: pl.DataFrame | None = None
) -> BudgetBasis:
    """The fit ``run_id`` (default: the latest) ready for planning. ``customers``: its tiered
    ranking when the caller already holds it (the TUI's shared frame); else it is read."""
    from clvtui.services.runs import observed_cac
    from clvtui.services.tiers import ranked_customers
    from clvtui.store import run_scores as store
    from clvtui.store.saved_settings import load_settings

    rid = store.latest_run_id(db) if run_id is None else run_id
    run = store.run_row(db, rid)
    current = load_settings(db)
    if customers is None:
        customers = ranked_customers(db, rid, current, BASIS_COLUMNS)
    return BudgetBasis(run, customers, current, observed_cac(db, rid))


def plan(basis: BudgetBasis, total: float, assumptions: Settings | None = None) -> BudgetResult:
    """Split ``total`` between win-back and look-alike acquisition (equal marginal returns).

    ``assumptions``: today's settings with the user's unsaved edits (default: as saved)."""
    from clvtui.insights.acquisition import allowable_cpa
    from clvtui.insights.budget import acquisition_price, plan_budget
    from clvtui.services.tiers import effective_settings

    settings = effective_settings(basis.run, assumptions or basis.settings)
    cpa = allowable_cpa(basis.customers, settings)
    cost, source = acquisition_price(settings, basis.observed_cac)
    result = plan_budget(  # the screen plans 0 too (an empty box); the core refuses < 0
        total,
        basis.customers,
        cpa,
        settings,
        acquisition_cost=cost,
        acquisition_cost_source=source,
    )
    return BudgetResult(basis.run_id, basis.currency, result, cpa, settings)


def actual_cac(db: sqlite_utils.Database, run_id: int | None = None) -> tuple[int, pl.DataFrame]:
    """Actual CAC per acquisition month and channel for a fit (default: the latest)."""
    from clvtui.errors import NoDataError
    from clvtui.services.runs import actual_cac_table
    from clvtui.store import run_scores as store
    from clvtui.store.marketing_spend import marketing_spend_frame

    spend = marketing_spend_frame(db)
    if not spend.height:
        raise NoDataError("no marketing spend yet: clvtui spend import FILE")
    rid = store.latest_run_id(db) if run_id is None else run_id
    table = actual_cac_table(db, rid, spend)
    assert table is not None  # there is spend
    return rid, table
