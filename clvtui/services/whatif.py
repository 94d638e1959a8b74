"""What-if: customer equity and tiers under other economics, without refitting
(``clvtui whatif``).

The run's expected orders and spend are re-priced with the changed margin, cost per order or
discount rate (``insights.whatif``); the tiers before are those of ``services.tiers`` (today's
rule over the run's values), and the tiers after apply the same rule to the re-priced CLV.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl
import sqlite_utils

from clvtui.insights.whatif import WhatIf


@dataclass(frozen=True)
class WhatIfRun:
    """A what-if on one fit."""

    run_id: int
    currency: str
    result: WhatIf

    def to_json(self) -> dict[str, Any]:
        """The ``clvtui whatif --json`` document."""
        return self.result.to_json() | {"run_id": self.run_id, "currency": self.currency}


def what_if_run(
    db: sqlite_utils.Database,
    run_id: int | None = None,
    *,
    margin: float | None = None,
    discount_rate: float | None = None,
    cost_per_order: float | None = None,
    retention_uplift: float = 0.0,
) -> WhatIfRun:
    """Customer equity and tiers of fit ``run_id`` (default: the latest) if the economics
    were these (None: as fitted)."""
    from clvtui.insights.whatif import what_if
    from clvtui.services.runs import load_context

    ctx = load_context(db, ["expected_spend", "expected_orders"], run_id=run_id)
    result = what_if(
        _with_own_costs(db, ctx),
        ctx.run_settings,
        margin=margin,
        discount_rate=discount_rate,
        cost_per_order=cost_per_order,
        retention_uplift=retention_uplift,
        tier_settings=ctx.settings,
        one_time=ctx.one_time,
    )
    return WhatIfRun(ctx.run_id, ctx.currency, result)


def _with_own_costs(db: sqlite_utils.Database, ctx: Any) -> pl.DataFrame:
    """The run's customers, with each one's own cost to serve when the run charged it."""
    from clvtui.shop_costs import run_own_costs

    own = run_own_costs(db, ctx.run, ctx.run_settings)
    if own is None:
        return ctx.scored
    scored = ctx.scored.join(own, on="customer_id", how="left", maintain_order="left")
    return scored.with_columns(pl.col("own_cost").fill_null(pl.col("own_cost").mean()))
