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

    def to_json(self) -> dict[str, Any]:
        return {"path": str(self.path), "rows": self.rows, "selection": self.selection,
                "run_id": self.run_id}  # fmt: skip


def customer_export_frame(
    db: sqlite_utils.Database,
    *,
    tier: str | None = None,
    at_risk: bool = False,
    run_id: int | None = None,
    customer_ids: Sequence[str] | pl.Series | None = None,
    action: str | None = None,
) -> tuple[pl.DataFrame, int]:
    """The export rows and the fit they come from: one frame for both faces, so the CLI's
    ``export`` and the Customers screen's ``e`` write the same columns (contact, CLV with its
    interval, P(alive), P(order in 30/90 days), next-order dates).

    Select one tier, the valuable customers slipping away (``at_risk``), or — the screen's
    view — the given ``customer_ids`` in their order; otherwise everyone, by CLV. ``action``:
    only that next-best action's customers, with its columns (``services.actions``).
    """
    import polars as pl

    from clvtui.insights.customer_lists import export_frame
    from clvtui.services.runs import load_context
    from clvtui.services.segments import min_value_at_stake, slipping_away_list

    extra = ("x",) if action is not None else ()
    ctx = load_context(
        db, (*EXPORT_SCORES, *extra), run_id=run_id, customer_columns=EXPORT_IDENTITY
    )
    rows = ctx.scored
    if tier is not None:
        rows = rows.filter(pl.col("tier") == tier)
    elif at_risk:  # the one rule of segments: valuable (a minimum at stake) and slipping away
        floor = min_value_at_stake(rows, ctx.settings)
        ids = slipping_away_list(rows, floor).select("customer_id")
        rows = rows.join(ids, on="customer_id", how="semi")
    frame = export_frame(rows, ctx.as_of)
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
    action: str | None = None,
) -> ExportResult:
    """Write one tier (``tier``), the valuable customers slipping away (``at_risk``) or
    everyone of fit ``run_id`` (default: the latest) to ``output`` (.csv or .xlsx). An
    existing ``output`` is refused unless ``force``, before any customer is read."""
    from clvtui.insights.customer_lists import check_export_target, write_export

    check_export_target(output, force=force)
    rows, used = customer_export_frame(db, tier=tier, at_risk=at_risk, run_id=run_id, action=action)
    path = write_export(rows, output, force=force)
    selection = f"tier {tier}" if tier else ("at risk" if at_risk else "all")
    selection = f"action {action}" if action else selection
    return ExportResult(path, rows.height, selection, used)
