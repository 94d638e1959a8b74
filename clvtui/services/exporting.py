"""Customer lists to CSV or Excel (``clvtui export``): a tier, the win-back list, everyone.

Tiers and the win-back list are those of ``services.tiers`` (today's rule), so an exported
tier holds exactly the customers the Segments and Customers screens show in it. The file is
written user-only and whole or not at all (``insights.export.write_export``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlite_utils

if TYPE_CHECKING:
    import polars as pl

#: What an exported customer row carries besides id, tier, risk, CLV and P(alive).
EXPORT_SCORES = (
    *("clv_low", "clv_high", "next_order_low", "next_order_high"),
    *("p_order_30", "p_order_90"),
)
EXPORT_IDENTITY = ("email", "name", "sources")


@dataclass(frozen=True)
class ExportResult:
    path: Path
    rows: int
    selection: str  # "tier NAME", "at risk" or "all"
    run_id: int
    tool: str | None = None  # ``--for``: the marketing tool whose import columns were written
    without_email: int = 0  # customers left out of a tool's file for want of a usable e-mail

    def to_json(self) -> dict[str, Any]:
        return {"path": str(self.path), "rows": self.rows, "selection": self.selection,
                "run_id": self.run_id, "for": self.tool,
                "without_email": self.without_email}  # fmt: skip


def customer_export_frame(
    db: sqlite_utils.Database,
    *,
    tier: str | None = None,
    at_risk: bool = False,
    run_id: int | None = None,
    customer_ids: Sequence[str] | pl.Series | None = None,
    with_country: bool = False,
    action: str | None = None,
) -> tuple[pl.DataFrame, int]:
    """The export rows and the fit they come from: one frame for both faces, so the CLI's
    ``export`` and the Customers screen's ``e`` write the same columns (contact, CLV with its
    interval, P(alive), P(order in 30/90 days), next-order dates).

    Select one tier, the valuable customers slipping away (``at_risk``), or — the screen's
    view — the given ``customer_ids`` in their order; otherwise everyone, by CLV.
    ``with_country`` adds the stored country (the marketing tools' files want it). ``action``:
    only that next-best action's customers, with its columns (``services.actions``).
    """
    import polars as pl

    from clvtui.insights.customer_lists import export_frame, take_export_frame
    from clvtui.services.runs import load_context
    from clvtui.services.segments import min_value_at_stake, slipping_away_list

    identity = (*EXPORT_IDENTITY, "country") if with_country else EXPORT_IDENTITY
    extra = ("x",) if action is not None else ()
    ctx = load_context(db, (*EXPORT_SCORES, *extra), run_id=run_id, customer_columns=identity)
    rows = ctx.scored
    if tier is not None:
        rows = rows.filter(pl.col("tier") == tier)
    elif at_risk:  # the one rule of segments: valuable (a minimum at stake) and slipping away
        floor = min_value_at_stake(rows, ctx.settings)
        ids = slipping_away_list(rows, floor).select("customer_id")
        rows = rows.join(ids, on="customer_id", how="semi")
    if with_country or action is not None:  # they read the run's rows again below
        frame = export_frame(rows, ctx.as_of)
    else:  # the rows handed over whole: each column freed once its sorted copy is made
        held, ctx.scored = [rows], rows.clear()
        del rows
        frame = take_export_frame(held, ctx.as_of)
    if with_country:
        frame = frame.join(rows.select("customer_id", "country"), on="customer_id", how="left")
    if action is not None:
        from clvtui.services.actions import action_columns

        frame = action_columns(db, frame, ctx, action)
    if customer_ids is not None:
        order = pl.DataFrame({"customer_id": pl.Series(customer_ids, dtype=pl.Utf8)})
        frame = order.join(frame, on="customer_id", how="inner", maintain_order="left")
    return frame, ctx.run_id


def export_customers(
    db: sqlite_utils.Database,
    output: Path,
    *,
    tier: str | None = None,
    at_risk: bool = False,
    run_id: int | None = None,
    force: bool = False,
    tool: str | None = None,
    action: str | None = None,
) -> ExportResult:
    """Write one tier (``tier``), the valuable customers slipping away (``at_risk``) or
    everyone of fit ``run_id`` (default: the latest) to ``output`` (.csv or .xlsx), or in
    ``tool``'s import columns (a .csv). An existing ``output`` is refused unless ``force``,
    before any customer is read."""
    from clvtui.insights.customer_lists import check_export_target, write_export

    check_tool_target(output, tool)
    check_export_target(output, force=force)
    rows, used = customer_export_frame(
        db, tier=tier, at_risk=at_risk, run_id=run_id, with_country=tool is not None,
        action=action,
    )  # fmt: skip
    selection = f"tier {tier}" if tier else ("at risk" if at_risk else "all")
    selection = f"action {action}" if action else selection
    if tool is None:
        return ExportResult(write_export(rows, output, force=force), rows.height, selection, used)
    return write_tool_file(rows, output, tool, selection, used, force=force)


def check_tool_target(output: Path, tool: str | None) -> None:
    """A known tool and a .csv file: every tool here imports CSV only."""
    from clvtui.errors import ClvError
    from clvtui.insights.tool_exports import TOOLS

    if tool is None:
        return
    if tool not in TOOLS:
        raise ClvError(f"unknown tool {tool!r}; choose one of {', '.join(TOOLS)}")
    if output.suffix.lower() != ".csv":
        raise ClvError(f"{output}: {tool} imports CSV files; name the file FILE.csv")


def write_tool_file(
    rows: pl.DataFrame, output: Path, tool: str, selection: str, run_id: int, *, force: bool
) -> ExportResult:
    """``rows`` (an export frame with ``country``) in ``tool``'s columns, written safely."""
    from clvtui.insights.customer_lists import write_export
    from clvtui.insights.tool_exports import tool_frame

    check_tool_target(output, tool)
    out, without = tool_frame(rows, tool)
    path = write_export(out, output, force=force)
    return ExportResult(path, out.height, selection, run_id, tool, without)
