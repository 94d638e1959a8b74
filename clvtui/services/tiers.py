"""The one source of truth for a customer's tier and risk band.

**The rule: a tier is always today's tier rule applied to the run's stored values.** Every
face that shows a tier — ``clvtui segments`` (text and JSON), ``export``, ``profile``,
``budget``, ``whatif``, ``moved``, and the Customers, Segments, Tier, Budget and Overview
screens — gets it from :func:`apply_tiers`, over the CLV and P(alive) the run stored:

- the *tier settings* (``top_value_share``, ``profit_floor``) and *risk bands*
  (``active_min_p_alive``, ``lost_max_p_alive``) are today's settings: cheap to re-apply, and
  a user who changes the rule expects to see it at once, everywhere;
- the *values* (CLV, P(alive)) and the *economics* behind them (margin, cost per order,
  discount rate, horizon) are the run's: CLV was computed with them, and re-pricing is a
  what-if (``services.whatif``), not a view;
- the one-time-buyer rule (``insights.segments.OneTimeRule``) is the run's, measured on its
  data at fit time.

The tier written into ``scores``/``run_segments`` at fit time is what :func:`apply_tiers`
gave then (the fit calls the same ``assign_segments``): as long as the rule is unchanged
(:func:`rule_unchanged`) it is read as stored — the Overview paints from the stored totals and
the TUI's ranking skips re-applying; once the rule changed it is re-applied, everywhere. The
history across fits (``services.trends``) measures every fit with today's rule too; only a
pruned fit, whose scores are gone, keeps the totals it was stored with.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from typing import Any

import polars as pl
import sqlite_utils

from clvtui.core.group_sums import sums_by
from clvtui.insights.segments import OneTimeRule, assign_segments
from clvtui.settings import Settings

#: The settings a run's CLV was computed with: always the run's own.
ECONOMICS = ("margin", "cost_per_order", "annual_discount_rate", "horizon_months")
#: The settings that draw the tier and risk lines: always today's.
#: ``tier_floor`` is ``profit_floor`` or, unset, one contact's cost: compared as the floor it gives.
TIER_SETTINGS = ("top_value_share", "tier_floor", "active_min_p_alive", "lost_max_p_alive")


def run_settings_of(run: dict[str, Any]) -> Settings:
    """The run's snapshot as Settings (keys this version does not know are ignored)."""
    known = {f.name for f in fields(Settings)}
    return Settings.from_mapping({k: v for k, v in run["settings"].items() if k in known})


def effective_settings(run: dict[str, Any], current: Settings) -> Settings:
    """Today's rules (tiers, ratio, budget assumptions) with the run's economics (margin, cost
    per order, discount rate, horizon): its CLVs were computed with those, and mixing in
    today's margin would mislabel them."""
    fitted = run_settings_of(run)
    return current.with_changes(**{k: getattr(fitted, k) for k in ECONOMICS})


def one_time_rule(run: dict[str, Any]) -> OneTimeRule | None:
    """The run's rule for one-time buyers' risk band (None for runs made before it existed)."""
    rule = run.get("risk_rule")
    if rule is None and isinstance(run.get("report"), dict):
        rule = run["report"].get("risk_rule")
    return OneTimeRule.from_json((rule or {}).get("one_time"))


def apply_tiers(scores: pl.DataFrame, run: dict[str, Any], current: Settings) -> pl.DataFrame:
    """``scores`` (customer_id, clv, p_alive; x and T for the one-time rule) with ``tier`` and
    ``risk`` by today's rule. Existing ``tier``/``risk`` columns are replaced in place, so a
    ranking keeps its column order."""
    return assign_segments(scores, effective_settings(run, current), one_time_rule(run))


def rule_unchanged(run: dict[str, Any], current: Settings) -> bool:
    """Whether today's tier settings are those the run was fitted with: then the tiers stored
    with the run are exactly what :func:`apply_tiers` gives, and stored totals may be shown."""
    fitted = run_settings_of(run)
    return all(getattr(fitted, k) == getattr(current, k) for k in TIER_SETTINGS)


def rule_key(settings: Settings) -> tuple[float, ...]:
    """What a cache of tiered customers must be keyed on, beside the run id."""
    return tuple(float(getattr(settings, k)) for k in TIER_SETTINGS)


#: What re-applying the rule reads (``insights.segments.assign_segments``), beside the tiers.
RULE_INPUTS = ("customer_id", "clv", "p_alive", "x", "T", "tier", "risk")


def ranked_customers(
    db: sqlite_utils.Database,
    run_id: int,
    current: Settings | None = None,
    columns: Sequence[str] | None = None,
) -> pl.DataFrame:
    """A run's ranking (``store.runs.RANKED_COLUMNS``, highest CLV first) with tiers and risk
    bands by today's rule: the frame every per-customer view of the TUI shows. ``columns``:
    only these (and ``RULE_INPUTS``) are read, for a command that shows a few.

    While the rule is unchanged the stored tiers are taken as they are: the fit applied this
    same rule to the same values (re-applying costs ~0.3 s at a million customers)."""
    from clvtui.store.run_scores import run_row
    from clvtui.store.runs import ranked_customers as stored_ranking
    from clvtui.store.saved_settings import load_settings

    run = run_row(db, run_id)
    current = load_settings(db) if current is None else current
    wanted = None if columns is None else list(dict.fromkeys([*columns, *RULE_INPUTS]))
    frame = stored_ranking(db, run_id, wanted)
    return frame if rule_unchanged(run, current) else apply_tiers(frame, run, current)


def tier_risk_totals(
    db: sqlite_utils.Database, run: dict[str, Any], customers: Any = None
) -> pl.DataFrame:
    """Customers and CLV per (tier, risk) cell of ``run`` by today's rule.

    From the totals stored with the run while the rule is unchanged (a few rows, whatever the
    shop's size); otherwise from ``customers()`` — a callable giving the run's tiered ranking
    (the TUI passes its shared, cached frame) — or, without one, from :func:`ranked_customers`.
    """
    from clvtui.store.runs import run_segments
    from clvtui.store.saved_settings import load_settings

    current = load_settings(db)
    run_id = int(run["id"])
    if rule_unchanged(run, current):
        return run_segments(db, run_id)
    frame = customers() if customers is not None else ranked_customers(db, run_id, current)
    cells = frame.select("tier", "risk", clv_total="clv")
    return sums_by(cells, ["tier", "risk"], ["clv_total"]).sort("tier", "risk")
