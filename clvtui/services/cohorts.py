"""Cohort value of a fit (``clvtui cohorts``, the Cohorts screen).

Reads what ``insights.cohorts`` needs — the fit's purchases up to its as-of date (its
currency), its scores, the ``--by`` attribute of every customer and the imported marketing
spend — and values the cohorts with the run's economics (``services.tiers.effective_settings``:
today's acquisition cost, the run's margin and cost per order), so the cells are on the same
basis as the run's CLV.
"""

from __future__ import annotations

import datetime as dt
import importlib
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import cached_property
from types import ModuleType
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl
import sqlite_utils

from clvtui.errors import SettingsError
from clvtui.insights.cohorts import BY_CHOICES, CohortTable
from clvtui.services.of_run import OfRun
from clvtui.settings import Settings

if TYPE_CHECKING:
    from clvtui.insights.cohort_sums import CustomerCodes
    from clvtui.store.coded_purchases import CodedPurchases

SCORE_INPUTS = [
    "customer_id", "x", "T", "p_alive", "expected_orders", "expected_spend", "clv", "clv_low",
    "clv_high",
]  # fmt: skip


@dataclass(frozen=True)
class RunInputs(OfRun):
    """One fit's purchases, scores and settings, read once (the planner reuses them)."""

    run: dict[str, Any]
    model: str
    params: dict[str, float | None]
    as_of: dt.date
    settings: Settings  # the run's economics, today's assumptions
    purchases: pl.DataFrame  # ordered_at, amount (the run's currency, to as-of), customer_id?
    scored: pl.DataFrame  # SCORE_INPUTS (+ the ``by`` attribute and any extra columns)
    coded: CodedPurchases | None = None  # the purchases' customers as codes (no customer_id)
    scored_codes: np.ndarray | None = None  # each score row's row of ``coded.people`` (kept)

    @cached_property
    def customer_codes(self) -> CustomerCodes:
        """The purchases' and the scores' customers as codes, made once: the Cohorts screen
        values two tables (the plan's and its own) from one read."""
        from clvtui.insights.cohort_sums import CustomerCodes, coded_customers, customer_codes

        if self.coded is None:
            return customer_codes(self.purchases, self.scored)
        if self.scored_codes is not None:  # the fit's, checked: every scored id is a person
            return CustomerCodes(self.coded.codes, self.scored_codes, self.coded.people.len())
        return coded_customers(self.coded.people, self.coded.codes, self.scored["customer_id"])

    @property
    def orders(self) -> pl.DataFrame:
        """customer_id, ordered_at, amount: the purchases with their customers' ids as text
        (the tables need only the codes; this is for a reader who wants the ids)."""
        if self.coded is None:
            return self.purchases
        ids = self.coded.people.gather(self.coded.codes)
        return self.purchases.select(ids, "ordered_at", "amount")


@dataclass(frozen=True)
class CohortRun:
    run_id: int
    currency: str
    table: CohortTable

    def to_json(self) -> dict[str, Any]:
        """The ``clvtui cohorts --json`` document."""
        return self.table.to_json() | {"run_id": self.run_id, "currency": self.currency}


def check_by(by: str | None) -> str | None:
    """``--by`` is one of the customer attributes a shop export carries (or none)."""
    if by is None:
        return None
    name = by.strip().lower().replace("-", "_")
    if name not in BY_CHOICES:
        raise SettingsError(f"--by must be one of {', '.join(BY_CHOICES)} (got {by!r})")
    return name


def read_inputs(
    db: sqlite_utils.Database,
    run_id: int | None = None,
    *,
    extra: tuple[str, ...] = (),
    customer_columns: tuple[str, ...] = (),
) -> RunInputs:
    """A fit (default: the latest) with its purchases and the score columns the jobs need."""
    from clvtui.report import RunReport
    from clvtui.services.tiers import effective_settings
    from clvtui.store import run_scores as store
    from clvtui.store.coded_purchases import coded_purchases, prepare_purchases
    from clvtui.store.reads import purchases_frame
    from clvtui.store.run_people import kept_codes, run_ids
    from clvtui.store.runs import get_run
    from clvtui.store.saved_settings import load_settings

    model_code = _import_in_background("clvtui.model.alive")
    rid = store.latest_run_id(db) if run_id is None else run_id
    run = get_run(db, rid)
    report = RunReport.from_run(run)
    as_of = dt.date.fromisoformat(str(report.scored_as_of)[:10])
    params = report.purchase_model.params if report.purchase_model else {}
    currency = run.get("currency")
    prepare_purchases(db)  # a stale snapshot rebuilt (if this may write) before a reader starts
    cols = list(dict.fromkeys([*SCORE_INPUTS, *extra]))
    kept = None if customer_columns else kept_codes(db.conn, rid)
    read = [c for c in cols if c != "customer_id"] if kept is not None else cols
    scores = store.scores_beside(db, rid, read, customer_columns=customer_columns)
    coded = coded_purchases(db, until=as_of, currency=currency)
    purchases = (
        coded.frame if coded is not None else purchases_frame(db, until=as_of, currency=currency)
    )
    gathered = run_ids(kept, coded.people) if coded is not None else None
    scored = scores.result()
    if kept is not None:  # the ids gathered by the kept codes, or read when those are stale
        ids = gathered
        if ids is None:
            ids = store.scores_columns(db, rid, ["customer_id"]).to_series()
        scored = scored.with_columns(ids).select(cols)
    settings = effective_settings(store.run_row(db, rid), load_settings(db))
    model_code.result()  # an import that failed fails here, as it would have later
    codes = None if kept is None or gathered is None else kept[0]
    return RunInputs(run, report.model, params, as_of, settings, purchases, scored, coded, codes)


def _import_in_background(module: str) -> Future[ModuleType]:
    """Import ``module`` in a thread while the caller reads. Why: the model's formulas need
    scipy.special, whose import (0.3–0.7 s: scipy 1.17 clones numpy's namespace, numpy.f2py
    included) is Python code that overlaps the reads, which spend their time outside the GIL
    (SQLite, decompression, decoding)."""
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="clvtui-import")
    try:
        return pool.submit(importlib.import_module, module)
    finally:
        pool.shutdown(wait=False)


def spend_in(db: sqlite_utils.Database, currency: str) -> pl.DataFrame | None:
    """The imported marketing spend in major units of the run's currency (None without any)."""
    from clvtui.core.money import minor_exponent
    from clvtui.store.marketing_spend import marketing_spend_frame

    spend = marketing_spend_frame(db)
    spend = spend.filter(pl.col("currency") == currency) if currency else spend
    if not spend.height:
        return None
    scale = 10 ** minor_exponent(spend["currency"][0])
    return spend.select("month", "channel", (pl.col("amount_minor") / scale).alias("spend"))


def cohort_value(
    db: sqlite_utils.Database,
    run_id: int | None = None,
    *,
    by: str | None = None,
    inputs: RunInputs | None = None,
) -> CohortRun:
    """The cohort table of fit ``run_id`` (default: the latest), optionally per attribute."""
    from clvtui.insights.cohorts import cohort_table

    by = check_by(by)
    if inputs is None or (by is not None and by not in inputs.scored.columns):
        inputs = read_inputs(db, run_id, customer_columns=(by,) if by else ())
    groups = None
    if by is not None:
        groups = inputs.scored.select("customer_id", pl.col(by).alias("group"))
    table = cohort_table(
        inputs.purchases,
        inputs.scored,
        inputs.settings,
        inputs.as_of,
        inputs.model,
        inputs.params,
        groups=groups,
        by=by,
        spend=spend_in(db, inputs.currency),
        codes=inputs.customer_codes,
    )
    return CohortRun(inputs.run_id, inputs.currency, table)
