"""Next-best actions of a fit (``clvtui actions``, the Actions screen, ``export --action``).

One assignment for every face: :func:`assign` puts each customer of a fit (tiers by today's
rule, ``services.tiers``) in exactly one action of today's rule table
(``insights.actions``), so the counts ``clvtui actions`` prints, the Actions screen's grid
and the rows ``clvtui export --action NAME`` writes are the same customers.

**Suggested product** (cross-sell): where the shop has order lines, the lists of
``export --action`` (and the Actions screen's ``e``/``f``) carry each customer's
``suggested_product``, their best next product (``services.products.best_next_products``).
It is worked out for the exported customers only, when a list is written: at a million
customers it reads every order line (~15 s), too slow for the grid and ``clvtui actions``,
which only say that suggestions exist.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import polars as pl
import sqlite_utils

from clvtui.settings import Settings

if TYPE_CHECKING:
    from clvtui.insights.segments import OneTimeRule

#: The score columns an assignment needs beyond customer_id, clv and p_alive.
ACTION_SCORES = ("x", "next_order_low")


@dataclass(frozen=True)
class ActionsView:
    """A fit's actions: the rule table with its figures, and the totals per action."""

    run_id: int
    as_of: dt.date
    currency: str
    value_kind: str
    ltv_cac_ratio: float
    customers: int
    tier: str | None  # the one tier shown (``--tier``), else None
    cells: list[dict[str, Any]]  # insights.actions.cell_table
    actions: list[dict[str, Any]]  # insights.actions.action_table
    suggestions: bool  # whether a suggested product per customer is known

    def to_json(self) -> dict[str, Any]:
        """The ``clvtui actions --json`` document."""
        return {
            "run_id": self.run_id,
            "as_of": self.as_of.isoformat(),
            "currency": self.currency,
            "value_kind": self.value_kind,
            "ltv_cac_ratio": self.ltv_cac_ratio,
            "customers": self.customers,
            "tier": self.tier,
            "max_spend_rule": "CLV ÷ ltv_cac_ratio (value at stake ÷ ratio for win-backs)",
            "cells": self.cells,
            "actions": self.actions,
            "suggested_products": self.suggestions,
        }


def assign(
    scored: pl.DataFrame, settings: Settings, as_of: dt.date, one_time: OneTimeRule | None
) -> pl.DataFrame:
    """Every customer of ``scored`` with their action, max spend and contact date
    (``one_time``: the run's rule, whose typical second-order gap times the nudge)."""
    from clvtui.insights.actions import assign_actions

    weeks = one_time.typical_weeks if one_time is not None else None
    return assign_actions(scored, settings, as_of, second_order_weeks=weeks)


def suggested_products(
    db: sqlite_utils.Database, run_id: int, customers: list[str] | None = None
) -> pl.DataFrame | None:
    """customer_id → suggested_product (their best next product not bought yet) for
    ``customers`` (default: all), or None when the shop has no order lines."""
    from clvtui.services.products import best_next_products
    from clvtui.store.order_lines import has_lines

    if not has_lines(db):
        return None
    best = best_next_products(db, run_id, customers)
    return best.select("customer_id", pl.col("next_product").alias("suggested_product"))


def with_suggestions(frame: pl.DataFrame, suggestions: pl.DataFrame | None) -> pl.DataFrame:
    """``frame`` with a ``suggested_product`` column when suggestions are known."""
    if suggestions is None:
        return frame
    return frame.join(suggestions, on="customer_id", how="left")


def view_of(
    assigned: pl.DataFrame, run: dict[str, Any], settings: Settings, *, tier: str | None = None,
    suggestions: bool = False,
) -> ActionsView:  # fmt: skip
    """The view of an assigned frame (the TUI passes its own, from the shared customers)."""
    from clvtui.insights.actions import ONE_TIME, action_table, cell_table

    rows = assigned if tier is None else assigned.filter(pl.col("tier") == tier)
    cells = cell_table(rows, settings)
    if tier is not None:
        cells = [c for c in cells if c["tier"] in (tier, ONE_TIME)]
    as_of = str(run.get("scored_as_of") or run["calibration_end"])[:10]
    return ActionsView(
        run_id=int(run["id"]),
        as_of=dt.date.fromisoformat(as_of),
        currency=run.get("currency") or "",
        value_kind=settings.value_kind,
        ltv_cac_ratio=settings.ltv_cac_ratio,
        customers=rows.height,
        tier=tier,
        cells=cells,
        actions=action_table(rows, settings, {c["action"] for c in cells}),
        suggestions=suggestions,
    )


def actions_view(
    db: sqlite_utils.Database, run_id: int | None = None, *, tier: str | None = None
) -> ActionsView:
    """The actions of fit ``run_id`` (default: the latest), optionally of one ``tier``."""
    from clvtui.services.runs import load_context

    ctx = load_context(db, ACTION_SCORES, run_id=run_id)
    assigned = assign(ctx.scored, ctx.settings, ctx.as_of, ctx.one_time)
    from clvtui.store.order_lines import has_lines

    known = has_lines(db)
    return view_of(assigned, ctx.run, ctx.settings, tier=tier, suggestions=known)


def frame_for_screen(
    db: sqlite_utils.Database, run: dict[str, Any], customers: pl.DataFrame
) -> tuple[pl.DataFrame, ActionsView]:
    """The TUI's shared customer frame with actions, and its view (today's rule table)."""
    from clvtui.services.runs import RunContext
    from clvtui.services.tiers import effective_settings, one_time_rule
    from clvtui.store.run_scores import run_row
    from clvtui.store.saved_settings import load_settings

    run = run_row(db, int(run["id"]))  # with the date its values refer to (scored_as_of)
    settings = effective_settings(run, load_settings(db))
    as_of = RunContext(run, settings, settings, customers).as_of
    from clvtui.store.order_lines import has_lines

    assigned = assign(customers, settings, as_of, one_time_rule(run))
    return assigned, view_of(assigned, run, settings, suggestions=has_lines(db))


def action_columns(
    db: sqlite_utils.Database, frame: pl.DataFrame, ctx: Any, action: str
) -> pl.DataFrame:
    """Export rows (``frame``, of ``ctx.scored``) kept to ``action``'s customers, with
    ``action``, ``max_spend``, ``contact_on`` (and ``suggested_product`` when known)."""
    extra = customers_of(ctx, action).select(
        "customer_id", "action", pl.col("max_spend").round(2), "contact_on"
    )
    if action == "cross-sell" and extra.height:
        ids = extra.get_column("customer_id").to_list()
        extra = with_suggestions(extra, suggested_products(db, ctx.run_id, ids))
    return frame.join(extra, on="customer_id", how="inner", maintain_order="left")


def customers_of(ctx: Any, action: str) -> pl.DataFrame:
    """The customers of ``ctx.scored`` (a ``services.runs.RunContext``) whose next-best action
    is ``action``, with their max spend and contact date: the list ``export --action`` writes.
    The seam for campaigns (``campaign new NAME --action NAME``)."""
    from clvtui.errors import SettingsError
    from clvtui.settings import ACTION_NAMES

    if action not in ACTION_NAMES:
        raise SettingsError(f"unknown action {action!r}; known: {', '.join(ACTION_NAMES)}")
    chosen = assign(ctx.scored, ctx.settings, ctx.as_of, ctx.one_time)
    return chosen.filter(pl.col("action") == action)
