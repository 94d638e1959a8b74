"""One fit, end to end: orders in SQLite → summary → models → scores, segments, retention → a run.

``fit_run`` is what ``clvtui fit`` and the TUI call. The stored run describes the shop as of the
as-of date (default: the last order day): everything in it comes from the orders up to as-of.

A backtest (``holdout_weeks=N``) checks; it does not score. The model is first fitted on the
calibration window (up to as-of − N weeks) and its predictions are compared with the last N
weeks — the verdict, the weekly tracking chart and the calibration histogram are kept in the
report under ``holdout`` with that fit's parameters (``holdout.calibration_fit``). Then the same
model is refitted on all orders up to as-of, warm-started from the calibration fit, and that
final fit (``purchase_model``) scores the customers. So ``fit --holdout-weeks N`` and ``fit``
give the same scores; the first also says how far to trust them.

Also here, as they need the whole shop: outliers capped for the spend model (``OUTLIER_RULE``),
one-time buyers' risk from the shop's own time to a second order (``OneTimeRule``), and values
that cannot be computed stored as explicit nulls, with their reason in ``nulls``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import polars as pl
import sqlite_utils

from clvtui.backtest import backtest, epoch_day
from clvtui.core.memory import return_freed_memory
from clvtui.core.timefmt import TIMESTAMP_FORMAT
from clvtui.final_fit import fit_final, model_times, numerical_errors
from clvtui.insights.concentration import value_concentration
from clvtui.insights.segments import OneTimeRule, assign_segments, risk_band
from clvtui.model import choose, clv, seasonal_choice, survival
from clvtui.model.base import Rows
from clvtui.model.empirical import empirical_predictions, shop_rate
from clvtui.model.registry import LABELS, requested_model
from clvtui.model.seasonal import SeasonalClock
from clvtui.model.warm import rows_beside
from clvtui.report import (
    CustomerEquity,
    HoldoutCheck,
    ModelChoice,
    ModelFit,
    NextOrder,
    RiskRule,
    RunReport,
    SpendFit,
)
from clvtui.scoring import fit_scores, p_order_30_90, spend_report
from clvtui.settings import Settings
from clvtui.shop import Shop, read_shop
from clvtui.shop_costs import own_costs
from clvtui.store.background import read_in_background
from clvtui.store.costs import has_cost_data
from clvtui.store.ranking_blob import KnownPatterns, ranking_order
from clvtui.store.runs import prefetch_identity, save_run
from clvtui.store.saved_settings import load_settings

Progress = Callable[[str, float], None]


@dataclass
class FitResult:
    """The stored run's id and its typed report (``report``: the ``fit --json`` document)."""

    run_id: int
    run_report: RunReport

    @property
    def report(self) -> dict[str, Any]:
        return self.run_report.to_json()


@dataclass
class Fitted:
    """What the final fit produced: the model (maybe the nested one), its report sections and
    the per-customer predictions; ``patterns``: the customers' (x, t_x, T) patterns as the fit
    collapsed them, for the run's blob (None for the empirical estimate)."""

    name: str
    purchase: ModelFit | None
    spend: SpendFit | None
    pred: clv.Predictions
    p_order: dict[int, np.ndarray]
    patterns: KnownPatterns | None = None


# scores that the predictions compute once per collapsed row and gather through its
# ``inverse`` (``clv.predict``, and P(order) in ``fit_models``): one value per pattern by
# construction; the next-order window only in calendar time (a seasonal clock converts it
# per customer)
PER_ROW = frozenset({"p_alive", "expected_orders", "p_order_30", "p_order_90"})
PER_ROW_CALENDAR = PER_ROW | {"next_order_low", "next_order_high"}


def fit_run(
    db: sqlite_utils.Database,
    *,
    as_of: date | datetime | str | None = None,
    holdout_weeks: int | None = None,
    model: str | None = None,
    progress: Progress | None = None,
    currency: str | None = None,
    seasonality: str = "auto",
    reading: Future[tuple[Shop, list[str]]] | None = None,
    costed: Future[bool] | None = None,
) -> FitResult:
    """Fit, score every customer as of as-of, store the run; return its id and the report.

    ``currency``: fit the customers' purchases in that currency (default: the currency with
    the most purchases); the report says what the other currencies held.
    ``seasonality``: auto | on | off — run the purchase model in seasonal (operational) time;
    see ``model.seasonal_choice`` and the report's ``seasonality`` block.
    ``reading``: the same shop being read already (``shop.read_shop_in_background``);
    ``costed``: ``store.costs.has_cost_data`` being probed already (after that read).
    """
    step = progress or (lambda stage, fraction: None)
    model = requested_model(model, holdout_weeks)
    settings = load_settings(db)
    step("reading orders", 0.0)
    warnings: list[str] = []
    shop = _read_shop(db, as_of, holdout_weeks, currency, warnings, step, reading)
    # side reads start once the orders are read (beside the read they took a core from the
    # critical path): whether the orders carry costs, asked at "fitting"
    costed = costed if costed is not None else read_in_background(db, has_cost_data)
    # the final fit's collapsed rows, made while the choice runs; not with a holdout (beside
    # its check the sort's transient took the peak to within 5 % of 1 GB at a million)
    calendar_rows = None if holdout_weeks else rows_beside(*shop.arrays)

    step("choosing the model", 0.2)
    name, choice, start = _choose(shop, holdout_weeks, model, warnings)
    step("checking for seasonality", 0.25)
    season = _seasonality(shop, name, seasonality, holdout_weeks, choice)
    holdout, start = _holdout(shop, name, start, holdout_weeks, season, warnings, step)
    # who the customers are (~0.5 s CPU at a million), needed only by the save: read beside
    # the final fit and the predictions, not beside the choice's and the holdout's two fits
    identity = prefetch_identity(db)
    step("fitting", 0.45)
    econ = clv.Economics.from_settings(settings)
    if costed.result():  # else own_costs keeps the flat cost: nothing to read
        econ = own_costs(db, shop, settings, econ, warnings)
    fitted = _final_fit(shop, name, start, econ, warnings, step, season, calendar_rows)
    del calendar_rows  # not held under the saving's peak

    step("cohort retention", 0.8)
    report = RunReport(
        model=fitted.name, model_label=LABELS[fitted.name], holdout=holdout,
        holdout_requested=bool(holdout_weeks), model_choice=choice, warnings=warnings,
        seasonality=season.doc,
    )  # fmt: skip
    run_id, report = _score_and_save(db, shop, fitted, settings, econ, report, holdout_weeks,
                                     identity, step)  # fmt: skip
    report.run_id = run_id
    step("done", 1.0)
    return FitResult(run_id=run_id, run_report=report)


def _score_and_save(
    db: sqlite_utils.Database, shop: Shop, fitted: Fitted, settings: Settings,
    econ: clv.Economics, report: RunReport, holdout_weeks: int | None,
    identity: Future[pl.DataFrame] | None, step: Progress,
) -> tuple[int, RunReport]:  # fmt: skip
    """Score every customer, describe the run and store it; the cohort retention curves are
    computed on the second core meanwhile. Returns the run id and the finished report."""
    with ThreadPoolExecutor(2) as pool:
        retention = pool.submit(survival.shop_retention, *shop.first_and_last_days,
                                epoch_day(shop.end))  # fmt: skip
        step("saving", 0.85)
        # the blob's order (a sort of every CLV, ~0.15 s at a million) beside the scoring
        order = pool.submit(ranking_order, fitted.pred.clv)
        scores, report.risk_rule = score_customers(shop, fitted, settings)
        report = describe_run(report, shop, fitted, scores, econ).finite()
        row = _run_row(report, shop, fitted, settings, holdout_weeks)
        known = fitted.patterns
        del fitted  # its arrays are the scores' now
        return_freed_memory()  # what the fits freed, before the blob is built on top of it
        keep = _run_people(shop, scores)  # each customer's code, for cohorts/plan/products
        return save_run(db, row, scores, retention, identity, order=order, known=known,
                        ranked=keep), report  # fmt: skip


def _run_people(shop: Shop, scores: pl.DataFrame) -> Any:
    """What keeps the run's customers' codes (``store.run_people``), or None when the
    orders were read as texts (linked customers, an older snapshot)."""
    from clvtui.store.run_people import keeper

    present = shop.coded_customers()
    return None if present is None else keeper(scores["customer_id"], present)


def _read_shop(
    db: sqlite_utils.Database, as_of: date | datetime | str | None, holdout_weeks: int | None,
    currency: str | None, warnings: list[str], step: Progress,
    reading: Future[tuple[Shop, list[str]]] | None,
) -> Shop:  # fmt: skip
    """The shop read here, or by the thread that read it while this module was imported."""
    if reading is None:
        return read_shop(db, as_of, holdout_weeks, currency, warnings, step)
    step("summarising customers", 0.1)
    shop, notes = reading.result()
    warnings += notes
    return shop


def _choose(
    shop: Shop, holdout_weeks: int | None, model: str | None, warnings: list[str]
) -> tuple[str, ModelChoice | None, list[float] | None]:
    """The model to fit, the ``model_choice`` document and a warm start (``model.choose``)."""
    x, _, T = shop.arrays
    with numerical_errors("choosing the model"):
        return choose.fit_choice(shop.orders, x, T, shop.end, holdout_weeks, model, warnings)


def _holdout(
    shop: Shop, name: str, start: list[float] | None, weeks: int | None,
    season: seasonal_choice.Seasonality, warnings: list[str], step: Progress,
) -> tuple[HoldoutCheck | None, list[float] | None]:  # fmt: skip
    """The holdout check (None without ``weeks``) and the warm start it leaves. The calibration
    summary made beside the shop's is dropped here (~0.1 GB at a million customers)."""
    if not weeks:
        return None, start
    step("checking against the holdout", 0.3)
    cal, shop.shop_days.calibration = shop.shop_days.calibration, None
    days = shop.shop_days
    with numerical_errors(f"the {LABELS[name]} holdout check"):
        return backtest(shop.orders, shop.end, weeks, name, start, days.outliers, warnings,
                        season.calibration_clock, cal, days.holdout_weekly)  # fmt: skip


def _final_fit(
    shop: Shop, name: str, start: list[float] | None, econ: clv.Economics,
    warnings: list[str], step: Progress, season: seasonal_choice.Seasonality,
    calendar_rows: Future[Rows] | None = None,
) -> Fitted:  # fmt: skip
    """The final fit, and the plain model's equity when a forced seasonality did worse."""
    rows = calendar_rows if season.clock is None else None  # seasonal times: their own rows
    fitted = fit_models(shop, name, start, econ, warnings, step, season.clock, rows)
    if season.forced_worse:
        plain = fit_models(shop, name, start, econ, [], step, None, calendar_rows).pred.equity
        season.with_plain_equity(plain, shop.currency)
    return fitted


def _seasonality(
    shop: Shop, name: str, mode: str, holdout_weeks: int | None, choice: ModelChoice | None
) -> seasonal_choice.Seasonality:
    """Whether to fit in seasonal time (``model.seasonal_choice``); the customers are counted
    by the summary, not again over the orders."""
    with numerical_errors("the seasonal pattern"):
        return seasonal_choice.decide(shop.orders, shop.end, name, mode, holdout_weeks,
                                      choice.to_json() if choice else None,
                                      customers=shop.summary.height)  # fmt: skip


def fit_models(
    shop: Shop,
    name: str,
    start: list[float] | None,
    econ: clv.Economics,
    warnings: list[str],
    step: Progress,
    clock: SeasonalClock | None = None,
    collapsed: Future[Rows] | None = None,
) -> Fitted:
    """The final fit on all orders to as-of (warm-started) and every customer's predictions;
    the empirical estimate when there is too little data for a model. With a seasonal
    ``clock`` the model is fitted and predicts in operational time (``model.seasonal``).
    ``collapsed``: the customers' rows in the model's time, collapsed already."""
    x, t_x, T = model_times(shop, clock)
    end_day = epoch_day(shop.end)
    ahead = None if clock is None else (lambda weeks: clock.ahead(end_day, weeks))
    if name == "empirical":
        pred = empirical_predictions(shop.summary, shop.m, econ)
        return Fitted(
            name, None, None, pred, p_order_30_90(name, shop_rate(x, T), x, t_x, T, ahead)
        )
    fits = fit_final(shop, name, start, (x, t_x, T), collapsed)
    warnings += fits.notes
    purchase_fit, spend_fit, rows = fits.purchase_fit, fits.spend_fit, fits.rows
    name = purchase_fit.model  # on its boundary: the nested model the data support
    step("predicting", 0.6)
    # read no more: the predictions, scoring and saving need the summary only (~0.2 GB at
    # a million customers, else held under the predictions' and the blob's peaks)
    shop.drop_orders()
    return_freed_memory()  # and what the fits freed in glibc's heap (~0.1 GB)
    # the spend model's report (a correlation over the repeat buyers, ~50 ms at a million)
    # beside the predictions, which leave the second core idle at their start and middle
    with ThreadPoolExecutor(1, thread_name_prefix="clvtui-spend-report") as pool:
        spending = pool.submit(spend_report, spend_fit, x, shop.m)
        with numerical_errors(f"the {LABELS[name]} predictions"):
            pred = clv.predict(purchase_fit, spend_fit, x, t_x, T, shop.m, econ,
                               horizon=ahead, rows=rows)  # fmt: skip
    if clock is not None:  # the next-order window back in calendar weeks
        pred.next_order_low = clock.calendar_weeks(end_day, pred.next_order_low)
        pred.next_order_high = clock.calendar_weeks(end_day, pred.next_order_high)
    equity_fallback(pred, warnings)
    spend = spending.result()
    # per collapsed row, then gathered: customers of a row share (x, t_x, T) and so the value
    p_row = p_order_30_90(name, purchase_fit.theta, rows.x, rows.t_x, rows.T, ahead,
                          pred.row_p_alive)  # fmt: skip
    p_order = {days: p[rows.inverse] for days, p in p_row.items()}
    assert rows.inverse is not None  # set by Rows.collapse
    patterns = KnownPatterns(rows.inverse, len(rows.x), PER_ROW if clock else PER_ROW_CALENDAR)
    return Fitted(name, fits.purchase, spend, pred, p_order, patterns)


def equity_fallback(pred: clv.Predictions, warnings: list[str]) -> None:
    """When the parameter draws were unusable (a covariance at the edge of the parameter
    space), the equity interval is the sum of the customers' own bands: wider, but honest.
    Shared with ``summary_fit``."""
    if math.isfinite(pred.equity_low) and math.isfinite(pred.equity_high):
        return
    pred.equity_low = min(float(np.sum(pred.clv_low)), pred.equity)
    pred.equity_high = max(float(np.sum(pred.clv_high)), pred.equity)
    warnings.append(
        "the customer-equity interval could not be drawn from the fit's uncertainty; "
        "it is the sum of the customers' own intervals instead (wider)"
    )


def score_customers(
    shop: Shop, fitted: Fitted, settings: Settings
) -> tuple[pl.DataFrame, RiskRule]:
    """Every customer's scores with a tier and a risk band; one-time buyers' risk follows the
    shop's own time to a second order (the rule and how many it moved go in the report)."""
    scores = fit_scores(shop.summary, fitted.pred, fitted.p_order)
    one_time = OneTimeRule.from_gaps(shop.shop_days.second_gaps)
    # as Enums (4 bytes a customer): the run stores their text (``store.runs``)
    scores = assign_segments(scores, settings, one_time, text=False)
    # the bands P(alive) alone gives, compared, not assigned (a second assignment sorted
    # every CLV again for the tiers)
    moved = scores.select((risk_band(settings) != pl.col("risk")).sum()).item()
    rule = RiskRule(
        p_alive=(
            f"active: P(alive) ≥ {settings.active_min_p_alive:.0%}; likely lost: "
            f"P(alive) ≤ {settings.lost_max_p_alive:.0%}; at risk in between"
        ),
        one_time=one_time.to_json(),
        one_time_moved=int(moved),
    )
    return scores, rule


def describe_run(
    report: RunReport, shop: Shop, fitted: Fitted, scores: pl.DataFrame, econ: clv.Economics
) -> RunReport:
    """The report's sections that describe the scored shop (equity, dates, concentration,
    next orders), filled in on ``report``."""
    pred, p_order = fitted.pred, fitted.p_order
    report.purchase_model, report.spend_model = fitted.purchase, fitted.spend
    report.currencies, report.outlier_orders = shop.currencies, shop.outliers
    report.customer_equity = CustomerEquity(
        value=pred.equity, low=pred.equity_low, high=pred.equity_high, currency=shop.currency,
        value_kind=pred.value_kind, horizon_months=econ.horizon_months,
    )  # fmt: skip
    report.as_of = report.scored_as_of = shop.end.isoformat()
    report.calibration_end = shop.cal_end.isoformat()
    report.n_customers = shop.summary.height
    report.value_concentration = value_concentration(scores["clv"].to_numpy())
    report.next_order = NextOrder(
        p_order_30_mean=float(np.mean(p_order[30])),
        p_order_90_mean=float(np.mean(p_order[90])),
        expected_customers_30=float(np.sum(p_order[30])),
        expected_customers_90=float(np.sum(p_order[90])),
    )
    return report


def _run_row(
    report: RunReport, shop: Shop, fitted: Fitted, settings: Settings, holdout_weeks: int | None
) -> dict[str, Any]:
    """The ``runs`` row: the summary columns and the report as stored."""
    pred = fitted.pred
    return {
        "created_at": datetime.now(UTC).strftime(TIMESTAMP_FORMAT),
        "as_of": shop.end.isoformat(),
        "calibration_end": shop.cal_end.isoformat(),
        "holdout_weeks": holdout_weeks,
        "model": fitted.name,
        "currency": shop.currency,
        "value_kind": pred.value_kind,
        "n_customers": shop.summary.height,
        "customer_equity": pred.equity,
        "equity_low": pred.equity_low,
        "equity_high": pred.equity_high,
        "settings": settings.to_mapping(),
        "report": report.to_json(),
    }
