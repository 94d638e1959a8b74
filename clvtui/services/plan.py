"""The revenue-target planner of a fit (``clvtui plan``, the Plan panel of the Cohorts screen).

Reads the fit once (``services.cohorts.read_inputs``: purchases to as-of, scores), then
``insights.plan`` does the sums. The Plan panel keeps the :class:`PlanBasis` and re-plans for
every goal typed, without reading again; ``clvtui plan --json`` and the panel agree for the same
goal and months.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field, replace
from typing import Any

import polars as pl
import sqlite_utils

from clvtui.errors import SettingsError
from clvtui.insights.forecast import OrderPaths
from clvtui.insights.plan import BaseForecast, ModelRef, NewCustomerValue, Plan
from clvtui.services.cohorts import RunInputs

DEFAULT_UPLIFT = 0.10
DEFAULT_PATH_MONTHS = 12  # the plan's default length: its paths serve every shorter plan
FORECAST_INPUTS = ["x", "T", "p_alive", "expected_orders", "expected_spend", "tier"]
PLAN_SCORES = ("tier", "spend", "orders")  # read beside ``services.cohorts.SCORE_INPUTS``


@dataclass(frozen=True)
class PlanBasis:
    """Everything a plan of one fit is computed from, whatever the goal."""

    inputs: RunInputs
    ref: ModelRef
    cost: tuple[float | None, str | None]  # acquisition cost per customer and its source
    cpa: float
    cohorts: Any  # insights.cohorts.CohortTable on the revenue basis, by month
    uplift: float
    forecasts: dict[int, tuple[BaseForecast, BaseForecast, NewCustomerValue]]
    paths: list[OrderPaths] = field(default_factory=list)  # the longest plan's, computed once

    @property
    def run_id(self) -> int:
        return self.inputs.run_id

    @property
    def currency(self) -> str:
        return self.inputs.currency


@dataclass(frozen=True)
class PlanRun:
    run_id: int
    currency: str
    plan: Plan

    def to_json(self) -> dict[str, Any]:
        """The ``clvtui plan --json`` document."""
        return self.plan.to_json() | {"run_id": self.run_id, "currency": self.currency}


def check_goal(goal: float, months: int) -> None:
    """A goal is a positive amount; a plan runs 1 to 60 months."""
    if not (math.isfinite(goal) and goal > 0):
        raise SettingsError(f"the revenue goal must be a positive amount (got {goal:g})")
    if not 1 <= months <= 60:
        raise SettingsError(f"--months must be 1–60 (got {months})")


def read_plan_inputs(db: sqlite_utils.Database, run_id: int | None = None) -> RunInputs:
    """Fit ``run_id`` (default: the latest) read for a plan: its purchases and the score
    columns the forecasts need. ``services.cohorts.cohort_value`` can value its own cohort
    table from the same read (the Cohorts screen does, before it plans)."""
    from clvtui.services.cohorts import read_inputs

    return read_inputs(db, run_id, extra=PLAN_SCORES)


def load_basis(
    db: sqlite_utils.Database,
    run_id: int | None = None,
    uplift: float = DEFAULT_UPLIFT,
    *,
    keep_orders: bool = True,
    inputs: RunInputs | None = None,
) -> PlanBasis:
    """Read fit ``run_id`` (default: the latest) for planning. ``keep_orders=False`` (a
    one-off plan, ``clvtui plan``): the customer ids go once coded, and once the cohort table
    is made the basis keeps only the score columns the forecasts read — the orders, their
    codes and the ids (~150 MB at 1 M customers) are not held through the later steps (its
    inputs can then value no other cohort table). ``inputs``: :func:`read_plan_inputs`'
    read, made already (then ``run_id`` is its run)."""
    from clvtui.insights.cohorts import cohort_table, period_of
    from clvtui.insights.plan import recent_allowable_cpa, recent_cohorts
    from clvtui.store.runs import get_run

    if not 0.0 <= uplift <= 1.0:
        raise SettingsError(f"retention uplift must be between 0 and 100 % (got {uplift:.0%})")
    if inputs is None:
        inputs = read_plan_inputs(db, run_id)
    run = get_run(db, inputs.run_id)
    equity = float(run.get("customer_equity") or 0.0)
    low, high = (float(run.get(k) or equity) for k in ("equity_low", "equity_high"))
    ok = abs(equity) > 1e-12
    ref = ModelRef(inputs.model, inputs.params, low / equity if ok else 1.0,
                   high / equity if ok else 1.0)  # fmt: skip
    revenue = inputs.settings.with_changes(margin=None)
    codes = inputs.customer_codes
    if not keep_orders:  # coded: the ids (~60 MB at 1 M customers) are not needed any more
        inputs = replace(inputs, coded=None, scored=inputs.scored.drop("customer_id"))
    cohorts = cohort_table(inputs.purchases, inputs.scored, revenue, inputs.as_of, inputs.model,
                           inputs.params, unit="month", codes=codes)  # fmt: skip
    recent = recent_cohorts(cohorts.rows, period_of(inputs.as_of, "month"))
    oldest = (
        int(recent["cohort"].to_numpy().min())
        if recent.height
        else period_of(inputs.as_of, "month")
    )
    weeks = (inputs.as_of - dt.date(oldest // 12, oldest % 12 + 1, 1)).days / 7.0
    cpa = recent_allowable_cpa(inputs.scored, inputs.settings, weeks)
    if not keep_orders:
        inputs = replace(inputs, purchases=inputs.purchases.clear(),
                         scored=inputs.scored.select(FORECAST_INPUTS))  # fmt: skip
    return PlanBasis(inputs, ref, _acquisition_cost(db, inputs), cpa, cohorts, uplift, {})


def _acquisition_cost(
    db: sqlite_utils.Database, inputs: RunInputs
) -> tuple[float | None, str | None]:
    """Observed CAC from imported spend, else the setting (None when neither is known)."""
    from clvtui.services.runs import observed_cac

    observed = observed_cac(db, inputs.run_id)
    if observed is not None:
        return observed, "marketing spend"
    cost = inputs.settings.acquisition_cost
    return (cost, "setting") if cost > 0 else (None, None)


def _forecasts(
    basis: PlanBasis, months: int
) -> tuple[BaseForecast, BaseForecast, NewCustomerValue]:
    """The goal-free part of a plan (cached per plan length: typing a goal re-uses it)."""
    from clvtui.insights.cohorts import period_of
    from clvtui.insights.plan import base_forecast, new_customer_value, tier_groups
    from clvtui.insights.whatif import kept_p_alive

    if months in basis.forecasts:
        return basis.forecasts[months]
    inputs = basis.inputs
    now = period_of(inputs.as_of, "month")
    paths = _paths(basis, months)
    tiers = tier_groups(inputs.scored["tier"])
    base = base_forecast(inputs.scored, basis.ref, inputs.settings, months, now, paths, tiers)
    p = pl.col("p_alive")
    scored = inputs.scored.with_columns(kept_p_alive(basis.uplift).alias("p_new")).with_columns(
        pl.when(p > 0).then(pl.col("p_new") / p).otherwise(1.0).alias("uplift"),
        pl.col("p_new").alias("p_alive"),  # the variance reads the new P(alive)
    )
    uplifted = base_forecast(scored, basis.ref, inputs.settings, months, now, paths, tiers)
    table = basis.cohorts
    new = new_customer_value(table.cells, table.rows, now, months)
    basis.forecasts[months] = (base, uplifted, new)
    return base, uplifted, new


def _paths(basis: PlanBasis, months: int) -> OrderPaths:
    """The customers' order paths at the plan's month ends: the paths of a longer plan start
    with the same columns, so a plan of up to a year — or the longest asked for so far — is
    computed once and shortened (typing 6 months in the Plan panel reads no model again)."""
    from clvtui.insights.plan import base_paths

    if not basis.paths or basis.paths[0].shares.shape[1] < months + 1:
        inputs = basis.inputs
        span = max(months, DEFAULT_PATH_MONTHS)
        basis.paths[:] = [base_paths(inputs.scored, basis.ref, inputs.settings, span)]
    longest = basis.paths[0]
    return OrderPaths(longest.shares[:, : months + 1], longest.pair)


def plan(basis: PlanBasis, goal: float, months: int = 12) -> PlanRun:
    """A plan for ``goal`` (revenue, the run's currency) over ``months`` months after as-of."""
    from clvtui.insights.plan import plan_revenue

    check_goal(goal, months)
    base, uplifted, new = _forecasts(basis, months)
    result = plan_revenue(goal, months, base, uplifted, basis.uplift, new, basis.cpa,
                          basis.cost, basis.inputs.settings)  # fmt: skip
    return PlanRun(basis.run_id, basis.currency, result)
