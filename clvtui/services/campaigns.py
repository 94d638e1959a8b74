"""Campaigns with a control group: create one from a segment of the latest fit, report what it
did after later imports, list them (``clvtui campaign``, the Campaigns screen).

Who is chosen: a next-best action's list (``ACTIONS``: the actions of ``clvtui actions``, and
``slipping-away``, the list of ``services.segments``) and/or a tier and a churn-risk band.

The measured period starts the day after the fit's as-of date (the last day of the data the
list was chosen from) and ends with the latest imported purchase; both groups are measured
over the same days, so the comparison is fair however long ago the campaign was created.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl
import sqlite_utils

from clvtui.errors import ClvError

if TYPE_CHECKING:
    from clvtui.insights.campaigns import CampaignResult
    from clvtui.services.runs import RunContext


def _winback(ctx: RunContext) -> pl.DataFrame:
    """The valuable customers slipping away: exactly ``clvtui export --at-risk``'s list."""
    from clvtui.services.segments import min_value_at_stake, slipping_away_list

    floor = min_value_at_stake(ctx.scored, ctx.settings)
    ids = slipping_away_list(ctx.scored, floor).select("customer_id")
    return ctx.scored.join(ids, on="customer_id", how="semi")


def _next_best(action: str) -> Callable[[RunContext], pl.DataFrame]:
    """One next-best action's customers (``clvtui export --action``'s list)."""

    def chosen(ctx: RunContext) -> pl.DataFrame:
        from clvtui.services.actions import customers_of

        return customers_of(ctx, action)

    return chosen


def _actions() -> dict[str, Callable[[RunContext], pl.DataFrame]]:
    from clvtui.settings import ACTION_NAMES

    named = {name: _next_best(name) for name in ACTION_NAMES}
    return {**named, "slipping-away": _winback}


#: Named lists → the customers they target, from a run: every next-best action of
#: ``clvtui actions`` (``winback``, ``vip``, ...) and ``slipping-away``, the valuable
#: customers slipping away of ``clvtui export --at-risk``.
ACTIONS: dict[str, Callable[[RunContext], pl.DataFrame]] = _actions()


@dataclass(frozen=True)
class Selection:
    """Who a new campaign is for: an action's list and/or a tier and a risk band."""

    action: str | None = None
    tier: str | None = None
    risk: str | None = None

    def describe(self) -> str:
        parts = [f"action {self.action}"] if self.action else []
        parts += [f"tier {self.tier}"] if self.tier else []
        parts += [f"risk {self.risk}"] if self.risk else []
        return ", ".join(parts) or "everyone"


@dataclass
class NewCampaign:
    campaign_id: int
    name: str
    segment: str
    start_date: str
    contacted: int
    control: int
    seed: int
    export: Any = None  # services.exporting.ExportResult of the contacted list, if written

    def to_json(self) -> dict[str, Any]:
        doc = {k: v for k, v in self.__dict__.items() if k != "export"}
        return doc | {"export": self.export.to_json() if self.export else None}


def parse_holdout(text: str) -> float:
    """``10%`` or ``0.1`` → 0.1; a control group must exist and leave someone to contact."""
    raw = text.strip()
    try:
        share = float(raw[:-1]) / 100 if raw.endswith("%") else float(raw)
    except ValueError:
        raise ClvError(f"--holdout must be a share like 10% or 0.1, not {text!r}") from None
    if not 0.0 < share < 1.0:
        raise ClvError(f"--holdout must be above 0 % and below 100 % (got {text})")
    return share


def chosen_customers(ctx: RunContext, sel: Selection) -> pl.DataFrame:
    """The run's customers the selection names (an action's list narrowed by tier and risk)."""
    if sel.action is not None and sel.action not in ACTIONS:
        raise ClvError(f"unknown action {sel.action!r}; known: {', '.join(sorted(ACTIONS))}")
    rows = ACTIONS[sel.action](ctx) if sel.action else ctx.scored
    if sel.tier:
        rows = rows.filter(pl.col("tier") == sel.tier)
    if sel.risk:
        rows = rows.filter(pl.col("risk") == sel.risk)
    return rows


def new_campaign(
    db: sqlite_utils.Database,
    name: str,
    sel: Selection,
    *,
    holdout: float = 0.10,
    seed: int | None = None,
    cost_per_contact: float | None = None,
    output: Path | None = None,
    tool: str | None = None,
    force: bool = False,
) -> NewCampaign:
    """Choose, split at random, store; then write the contacted customers to ``output``
    (the control group is never in the file). A failed write removes the campaign again."""
    from clvtui.insights.campaigns import CONTACTED, split_groups
    from clvtui.services.runs import load_context
    from clvtui.store import campaigns as store

    _check_name(db, name)
    if output is not None:
        _check_output(output, tool, force)
    from clvtui.services.actions import ACTION_SCORES

    ctx = load_context(db, ACTION_SCORES)
    rows = chosen_customers(ctx, sel)
    if rows.height < 2:
        raise ClvError(f"{sel.describe()} holds {rows.height} customer(s): too few to split")
    seed = secrets.randbelow(2**31) if seed is None else seed
    groups = split_groups(rows["customer_id"], holdout, seed)
    if groups.filter(pl.col("member_group") == CONTACTED).height in (0, groups.height):
        raise ClvError(
            f"--holdout {holdout:.1%} of {groups.height} customers leaves an empty group"
        )
    members = groups.join(rows.select("customer_id", "clv", "p_alive"), on="customer_id")
    cost = ctx.settings.winback_cost_per_contact if cost_per_contact is None else cost_per_contact
    meta: dict[str, Any] = {
        "name": name, "action": sel.action or "segment", "segment": sel.describe(),
        "start_date": ctx.as_of.isoformat(), "run_id": ctx.run_id, "currency": ctx.currency,
        "holdout_share": holdout, "seed": seed, "cost_per_contact": cost,
    }  # fmt: skip
    campaign_id = store.create_campaign(db, meta, members)
    contacted = members.filter(pl.col("member_group") == CONTACTED)["customer_id"]
    done = NewCampaign(campaign_id, name, meta["segment"], meta["start_date"],
                       contacted.len(), members.height - contacted.len(), seed)  # fmt: skip
    if output is not None:
        try:
            done.export = _export_list(db, contacted, output, tool, ctx.run_id, name, force=force)
        except BaseException:
            store.delete_campaign(db, campaign_id)
            raise
    return done


def _check_name(db: sqlite_utils.Database, name: str) -> None:
    from clvtui.store import campaigns as store

    if not name.strip():
        raise ClvError("a campaign needs a name")
    if any(c["name"] == name for c in store.list_campaigns(db)):
        raise ClvError(f"a campaign named {name!r} exists; choose another name")


def _check_output(output: Path, tool: str | None, force: bool) -> None:
    from clvtui.insights.customer_lists import check_export_target
    from clvtui.services.exporting import check_tool_target

    check_tool_target(output, tool)
    check_export_target(output, force=force)


def _export_list(
    db: sqlite_utils.Database, ids: pl.Series, output: Path, tool: str | None, run_id: int,
    name: str, *, force: bool,
) -> Any:  # fmt: skip
    from clvtui.insights.customer_lists import write_export
    from clvtui.services.exporting import ExportResult, customer_export_frame, write_tool_file

    rows, used = customer_export_frame(
        db, run_id=run_id, customer_ids=ids, with_country=tool is not None
    )
    if tool is not None:
        return write_tool_file(rows, output, tool, f"campaign {name}", used, force=force)
    path = write_export(rows, output, force=force)
    return ExportResult(path, rows.height, f"campaign {name}", used)


@dataclass
class CampaignReport:
    """A campaign and what it did so far (``result`` None until orders after the start)."""

    campaign: dict[str, Any]
    status: str
    through: str | None  # the last day of orders measured
    result: CampaignResult | None
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "campaign": self.campaign,
            "status": self.status,
            "measured_through": self.through,
            "result": self.result.to_json() if self.result else None,
            "notes": self.notes,
        }


def campaign_report(db: sqlite_utils.Database, name: str) -> CampaignReport:
    """Contacted vs control since the start: response, orders, revenue, value, return."""
    from clvtui.core.money import minor_exponent
    from clvtui.insights.campaigns import measure, per_member
    from clvtui.store import campaigns as store
    from clvtui.store.saved_settings import load_settings

    row = store.campaign_row(db, name)
    through = store.last_purchase_day(db)
    days = _days(row["start_date"], through)
    status = campaign_status(row, days)
    if days <= 0:
        note = f"no orders after {row['start_date']} yet: import newer orders, then report again"
        return CampaignReport(row, status, through, None, [note])
    settings = load_settings(db)
    members = store.campaign_members(db, int(row["id"]))
    bought = store.member_purchases(db, int(row["id"]), row["start_date"], row["currency"])
    scale = 10 ** minor_exponent(row["currency"])
    bought = bought.with_columns(amount=pl.col("amount_minor") / scale)
    rows = per_member(members, bought, settings.margin, settings.cost_per_order)
    result = measure(rows, days=days, cost_per_contact=float(row["cost_per_contact"]),
                     value_kind=settings.value_kind)  # fmt: skip
    return CampaignReport(row, status, through, result, _notes(result, settings.value_kind))


def _days(start: str, through: str | None) -> int:
    if through is None:
        return 0
    return (date.fromisoformat(through) - date.fromisoformat(start[:10])).days


def campaign_status(row: dict[str, Any], days: int) -> str:
    """``closed``, ``waiting for orders`` (nothing imported after the start) or ``measuring
    (N days)``."""
    if row.get("status") == "closed":
        return "closed"
    if days <= 0:
        return "waiting for orders"
    return f"measuring ({days} day{'' if days == 1 else 's'})"


def _notes(result: CampaignResult, value_kind: str) -> list[str]:
    from clvtui.insights.campaigns import MIN_GROUP

    notes = []
    if not result.enough:
        notes.append(f"a group has fewer than {MIN_GROUP} customers: the interval is a rough guide")
    if value_kind == "revenue":
        notes.append("no margin set: value is revenue, not profit (clvtui settings --set margin=…)")
    if result.incremental_low <= 0 <= result.incremental_high:
        notes.append("the interval includes zero: no effect cannot be ruled out yet")
    return notes


def save_response(db: sqlite_utils.Database, name: str) -> float:
    """Store the response this campaign measured as the budget's ``winback_response_rate``."""
    from clvtui.insights.campaigns import measured_response_rate
    from clvtui.store.saved_settings import update_settings

    report = campaign_report(db, name)
    if report.result is None:
        raise ClvError(f"campaign {name!r} has no orders to measure yet; nothing saved")
    rate = measured_response_rate(report.result)
    update_settings(db, {"winback_response_rate": rate})
    return rate


def campaigns_overview(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """Every campaign with its groups and status (``clvtui campaign list``, the screen)."""
    from clvtui.store import campaigns as store

    rows = store.list_campaigns(db)
    through = store.last_purchase_day(db) if rows else None  # no campaign: nothing to date
    out = []
    for row in rows:
        days = _days(row["start_date"], through)
        out.append(row | {"status": campaign_status(row, days)})
    return out
