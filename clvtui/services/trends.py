"""How the segments change from fit to fit: ``clvtui trends`` and ``clvtui moved``, and the
Tier screen's "value across fits" and "moved" tabs.

Both measure every fit with one ruler: the customers of each fit get their tier and band by
today's rule (``services.tiers``), so a move, or a tier growing, is a change in the customers'
value or P(alive), never an artefact of a rule changed in between — and the latest fit's point
is what ``clvtui segments`` and the Segments screen show. A fit fitted under today's rule is
read from its stored totals (a few rows); one fitted under another rule is re-tiered from its
scores; a pruned fit, whose scores are gone, keeps the totals it was stored with.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import polars as pl
import sqlite_utils

from clvtui.core.group_sums import sums_by
from clvtui.errors import NoDataError
from clvtui.insights.trends import Moved, moved, tier_trend
from clvtui.settings import Settings
from clvtui.store import run_scores as store

MOVE_COLUMNS = ["customer_id", "tier", "risk", "clv"]


def tier_history(db: sqlite_utils.Database, current: Settings | None = None) -> pl.DataFrame:
    """Per fit and tier: customers, CLV total and the fit's customer equity (long format),
    every fit's tiers by today's rule where its scores are kept."""
    from clvtui.services.tiers import rule_unchanged
    from clvtui.store.run_storage import pruned_at
    from clvtui.store.saved_settings import load_settings

    current = load_settings(db) if current is None else current
    stored = store.run_segments_frame(db)
    parts = []
    for rid in stored["run_id"].unique(maintain_order=True).to_list():
        cells = stored.filter(pl.col("run_id") == rid)
        if rule_unchanged(store.run_row(db, rid), current) or pruned_at(db, rid) is not None:
            parts.append(cells)
            continue
        # sums_by: its sums and its rows' order (first appearance) are the same every run,
        # which tier_trend's own row-order sums need; a group-by's rows come in any order
        tiered = _tiered(db, rid, MOVE_COLUMNS, current).select("tier", "risk", clv_total="clv")
        totals = sums_by(tiered, ["tier", "risk"], ["clv_total"])
        totals = totals.with_columns(pl.col("customers").cast(pl.Int64))
        header = cells.select("run_id", "created_at", "as_of", "value_kind", "customer_equity")
        parts.append(header.head(1).join(totals, how="cross").select(cells.columns))
    return tier_trend(pl.concat(parts) if parts else stored)


def previous_fit(db: sqlite_utils.Database, run_id: int) -> int | None:
    """The fit before ``run_id`` by as-of date (``store.previous_run_by_date``: a backtest
    fitted later is not "after" a fit on all the data); refused (with why and what to do)
    when it was pruned."""
    from clvtui.store.run_storage import ensure_scores, pruned_at

    ensure_scores(db, run_id)
    previous = store.previous_run_by_date(db, run_id)
    when = None if previous is None else pruned_at(db, previous)
    if when is not None:
        raise NoDataError(
            f"run {previous}, the fit before run {run_id}, was pruned on {when[:10]} "
            "(clvtui runs prune): moved needs both fits' per-customer scores. It works again "
            "after the next fit; keep 2 fits when pruning to always have it"
        )
    return previous


def _tiered(
    db: sqlite_utils.Database, run_id: int, columns: Sequence[str], current: Settings
) -> pl.DataFrame:
    """A fit's scores (``columns``) with tiers by today's rule (``services.tiers``), from the
    fit's stored ranking when it has one (only ``columns`` of the blob are decompressed)."""
    from clvtui.services.tiers import apply_tiers
    from clvtui.store.runs import run_frame

    run = store.run_row(db, run_id)
    extra = ["x", "T"]  # the one-time buyers' rule reads them
    cols = list(dict.fromkeys(["customer_id", "clv", "p_alive", *columns, *extra]))
    cols = [c for c in cols if c not in ("tier", "risk")]
    # only these columns are decompressed: the whole ranking (names, e-mails, sources, …) of
    # two fits cost moved ~58 MB more at a million customers
    cached = run_frame(db, run_id, cols)
    values = cached if cached is not None else store.scores_columns(db, run_id, cols)
    return apply_tiers(values, run, current)


def _compared(
    db: sqlite_utils.Database, run_id: int, columns: Sequence[str], current: Settings
) -> pl.DataFrame:
    """What moved compares of a fit: ``columns`` with tiers by today's rule.

    While the rule is the fit's, its stored tiers are those the rule gives (as in
    ``services.runs.load_context``), so P(alive), x and T are not read at all: at a million
    customers, re-tiering two fits cost moved ~0.2 s and ~100 MB."""
    from clvtui.services.tiers import rule_unchanged
    from clvtui.store.runs import run_frame

    if rule_unchanged(store.run_row(db, run_id), current):
        stored = run_frame(db, run_id, list(dict.fromkeys(["customer_id", *columns])))
        if stored is not None:
            return stored
    return _tiered(db, run_id, columns, current)


def moved_since_previous(
    db: sqlite_utils.Database,
    run_id: int | None = None,
    *,
    now: pl.DataFrame | None = None,
    current: Settings | None = None,
) -> Moved:
    """Customers whose tier or risk band changed since the fit before ``run_id`` (default: the
    latest), with their chance of ordering soon. ``now``: the run's tiered customers when the
    caller already holds them (the TUI's shared frame), so only the previous fit is read."""
    from clvtui.store.saved_settings import load_settings

    rid = store.latest_run_id(db) if run_id is None else run_id
    previous = previous_fit(db, rid)
    current = load_settings(db) if current is None else current
    chance = ["p_order_30", "p_order_90"]
    if now is None:
        now = _compared(db, rid, [*MOVE_COLUMNS, *chance], current)
    now = now.select(*MOVE_COLUMNS, *(c for c in chance if c in now.columns))
    before = now.head(0)
    if previous is not None:
        before = _compared(db, previous, MOVE_COLUMNS, current)
    result = moved(before.select(MOVE_COLUMNS), now, run_id=rid, previous_run_id=previous)
    others = store.previous_run_id(db, rid) is not None or store.latest_run_id(db) != rid
    if previous is None and others:  # fits exist, but none scored before this one's date
        result.notes = [
            f"no fit is scored before run {rid}'s as-of date ({scored_date(db, rid)}): "
            "moved compares a fit with the one before it in time; pick a later fit with --run N"
        ]
    return result


def scored_date(db: sqlite_utils.Database, run_id: int) -> str:
    """The date fit ``run_id``'s values refer to (YYYY-MM-DD): what moved orders fits by."""
    return str(store.run_row(db, run_id)["scored_as_of"])[:10]


def moved_in_and_out(
    db: sqlite_utils.Database, run_id: int, now: pl.DataFrame, tier: str
) -> dict[str, Any] | None:
    """Customers who entered or left ``tier`` since the previous fit, with a one-line summary
    (None before a second fit; only a summary when the previous fit was pruned)."""
    from clvtui.store.run_storage import pruned_at

    previous = store.previous_run_by_date(db, run_id)
    if previous is None:
        return None
    if (when := pruned_at(db, previous)) is not None:
        return {"summary": f"Fit #{previous} was pruned on {when[:10]}: moves need its customers."}
    result = moved_since_previous(db, run_id, now=now)
    movers = result.customers.filter(
        (pl.col("tier_before") != pl.col("tier_now"))
        & ((pl.col("tier_before") == tier) | (pl.col("tier_now") == tier))
    ).with_columns(
        direction=pl.when(pl.col("tier_now") == tier).then(pl.lit("in")).otherwise(pl.lit("out")),
        tier_after=pl.col("tier_now"),
        clv=pl.col("clv_now"),
    )
    n_in = movers.filter(pl.col("direction") == "in").height
    summary = (
        f"Since fit #{previous}: {n_in:,} moved into {tier}, {movers.height - n_in:,} moved out."
    )
    return {"rows": movers, "summary": summary}
