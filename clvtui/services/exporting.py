"""Customer lists to CSV or Excel (``clvtui export``): a tier, the win-back list, everyone.

Tiers and the win-back list are those of ``services.tiers`` (today's rule), so an exported
tier holds exactly the customers the Segments and Customers screens show in it. The file is
written user-only and whole or not at all (``insights.export.write_export``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlite_utils

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


def export_customers(
    db: sqlite_utils.Database,
    output: Path,
    *,
    tier: str | None = None,
    at_risk: bool = False,
    run_id: int | None = None,
    force: bool = False,
) -> ExportResult:
    """Write one tier (``tier``), the valuable customers slipping away (``at_risk``) or
    everyone of fit ``run_id`` (default: the latest) to ``output`` (.csv or .xlsx). An
    existing ``output`` is refused unless ``force``, before any customer is read."""
    import polars as pl

    from clvtui.insights.customer_lists import check_export_target, export_frame, write_export
    from clvtui.services.runs import load_context
    from clvtui.services.segments import min_value_at_stake, slipping_away_list

    check_export_target(output, force=force)
    ctx = load_context(db, EXPORT_SCORES, run_id=run_id, customer_columns=EXPORT_IDENTITY)
    rows = ctx.scored
    if tier is not None:
        rows = rows.filter(pl.col("tier") == tier)
    elif at_risk:
        floor = min_value_at_stake(rows, ctx.settings)
        ids = slipping_away_list(rows, floor).select("customer_id")
        rows = rows.join(ids, on="customer_id", how="semi")
    path = write_export(export_frame(rows, ctx.as_of), output, force=force)
    selection = f"tier {tier}" if tier else ("at risk" if at_risk else "all")
    return ExportResult(path, rows.height, selection, ctx.run_id)
