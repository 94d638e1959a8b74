"""Whether a fit runs in seasonal time, and the ``seasonality`` block of the report.

``decide`` is the pipeline's one hook. ``auto`` (the default) uses seasonality only when the
shop has ≥ 15 months of history before the inner validation weeks, the pattern estimated on the
orders before those weeks is clearly there (Wald test p < 1 %), and the seasonal model's error
on those weeks — the same ones ``model_choice.compared_on`` names, never the holdout — is
smaller than the plain model's. ``on`` uses it whenever it can be estimated; ``off`` never.
When used, the pattern is estimated again on the calibration window (for the holdout check,
so the check stays untouched by the holdout) and on every order up to as-of (for the scores).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
import polars as pl

from clvtui.errors import ModelError
from clvtui.model import seasonal
from clvtui.model.registry import fit_purchase, module_for
from clvtui.model.summary import summarise

MODES = ("auto", "on", "off")


@dataclass
class Seasonality:
    """The report block, and the clocks to fit in (None: calendar time, the plain model)."""

    doc: dict[str, Any]
    clock: seasonal.SeasonalClock | None = None
    calibration_clock: seasonal.SeasonalClock | None = None

    @property
    def forced_worse(self) -> bool:
        """Used only because ``on`` forced it, though the plain model did better on the
        validation weeks: the report then shows the plain model's equity beside it."""
        return bool(self.doc.get("used")) and self.doc.get("beats_plain") is False

    def with_plain_equity(self, plain: float, currency: str) -> None:
        """Say what the plain model gives, beside the seasonal figure (``forced_worse``)."""
        self.doc["plain_equity"] = plain
        self.doc["reason"] += (
            f"; customer equity without seasonality: {plain:,.0f} {currency} (the figures "
            "shown are the seasonal model's, as asked)"
        )


def decide(
    orders: pl.DataFrame,
    end: date,
    model: str,
    mode: str = "auto",
    holdout_weeks: int | None = None,
    choice: dict[str, Any] | None = None,
    customers: int | None = None,
) -> Seasonality:
    """Estimate, validate and decide; see the module docstring. ``customers``: the number of
    distinct customers in ``orders`` when known (saves counting them)."""
    if mode not in MODES:
        raise ModelError(f"--seasonality must be one of {', '.join(MODES)} (got {mode!r})")
    doc: dict[str, Any] = {"used": False, "mode": mode, "unit": "month",
                           "labels": seasonal.MONTH_LABELS, "pattern": None, "interval": None,
                           "needs_months": seasonal.MIN_MONTHS}  # fmt: skip
    if mode == "off":
        return Seasonality(doc | {"reason": "seasonality switched off (--seasonality off)"})
    if model == "empirical":
        return Seasonality(doc | {"reason": "no purchase model to run in seasonal time"})
    first_day, last_day = orders.select(
        first=pl.col("ordered_at").min().dt.epoch("d"),
        last=pl.col("ordered_at").max().dt.epoch("d"),
    ).row(0)
    first, last = (date(1970, 1, 1) + timedelta(days=int(d)) for d in (first_day, last_day))
    months = seasonal.history_months(first, min(end, last))
    doc["history_months"] = months
    if months < seasonal.MIN_MONTHS:
        if mode == "on":
            raise ModelError(seasonal.not_enough(months))
        return Seasonality(doc | {"reason": seasonal.not_enough(months)})
    sample = seasonal.sample_orders(orders, customers=customers)
    # "on" is checked too (never vetoed): a user who forced it learns whether it helped
    verdict, checked = _validate(sample, (first, last), end, model, holdout_weeks, choice, doc,
                                 force=mode == "on")  # fmt: skip
    if verdict is not None and mode == "auto":
        return Seasonality(doc | {"reason": verdict})
    cal_end = end - timedelta(weeks=holdout_weeks) if holdout_weeks else end
    if seasonal.history_months(first, min(cal_end, last)) < seasonal.MIN_MONTHS:
        raise ModelError(
            seasonal.not_enough(seasonal.history_months(first, min(cal_end, last)))
            + f" before the holdout (calibration end {cal_end})"
        )
    end_day = _day(end)
    calibration_clock = None
    if holdout_weeks:
        checked = seasonal.estimate(sample, cal_end, model, start=checked)
        calibration_clock = checked.clock(first_day, _day(cal_end))
    final = seasonal.estimate(sample, end, model, start=checked)
    doc |= final.to_json() | {"used": True, "estimated_to": min(end, last).isoformat()}
    doc["reason"] = _used_sentence(final.multipliers, doc.get("validation"), mode)
    return Seasonality(doc, final.clock(first_day, end_day), calibration_clock)


def _validate(
    sample: pl.DataFrame,
    orders_span: tuple[date, date],
    end: date,
    model: str,
    holdout_weeks: int | None,
    choice: dict[str, Any] | None,
    doc: dict[str, Any],
    force: bool = False,
) -> tuple[str | None, seasonal.Pattern | None]:
    """(None, the pattern) when seasonality earns its place on the validation weeks; else
    (why not, the pattern if one was estimated). ``force`` (``on``): the plain and seasonal
    models are compared even without a clear pattern, and ``doc["beats_plain"]`` says which
    won."""
    first, last = orders_span
    span = (end - first).days / 7.0
    frm, to, weeks = seasonal.validation_window(end, span, holdout_weeks, choice)
    before = seasonal.history_months(first, min(frm, last))
    if before < seasonal.MIN_MONTHS:
        return (
            f"{seasonal.not_enough(before)} before the validation weeks ({frm} – {to}), "
            "so it could not be checked"
        ), None
    pattern = seasonal.estimate(sample, frm, model)
    doc |= pattern.to_json() | {"estimated_to": min(frm, last).isoformat()}
    if pattern.p_value >= seasonal.SIGNIFICANCE and not force:
        return (
            f"no clear seasonal pattern in the orders up to {frm} (test of no seasonality: "
            f"p = {pattern.p_value:.2f}), so the plain model is used"
        ), pattern
    plain, timed = _scores(sample, pattern, first, frm, to, weeks, model)
    doc["validation"] = {"from": frm.isoformat(), "to": to.isoformat(), "weeks": weeks,
                         "plain": plain, "seasonal": timed}  # fmt: skip
    doc["beats_plain"] = timed["score"] < plain["score"]
    if timed["score"] >= plain["score"]:
        return (
            f"a seasonal pattern was found ({_range_words(pattern.multipliers)}) but it did not "
            f"improve the check on {frm} – {to} (total off by {timed['total_error']:.1%} with "
            f"it, {plain['total_error']:.1%} without), so the plain model is used"
        ), pattern
    return None, pattern


def _scores(
    sample: pl.DataFrame,
    pattern: seasonal.Pattern,
    first: date,
    frm: date,
    to: date,
    weeks: int,
    model: str,
) -> tuple[dict[str, float], dict[str, float]]:
    """Plain and seasonal predictions of the validation weeks, scored as the model choice
    scores its candidates (per-customer MAE relative to the mean, plus the total's error)."""
    summary = summarise(sample, to, weeks)
    x, t_x, T = (summary[c].to_numpy().astype(float) for c in ("x", "t_x", "T"))
    actual = summary["holdout_x"].to_numpy().astype(float)
    plain_fit = fit_purchase(model, x, t_x, T)
    plain = module_for(plain_fit.model).expected(plain_fit.theta, x, t_x, T, float(weeks))
    frm_day = _day(frm)
    clock = pattern.clock(_day(first), frm_day)
    ox, oT = clock.summary_times(t_x, T, frm_day)
    timed = module_for(pattern.fit.model).expected(
        pattern.fit.theta, x, ox, oT, clock.ahead(frm_day, float(weeks))
    )
    return _score(plain, actual), _score(timed, actual)


def _score(pred: np.ndarray, actual: np.ndarray) -> dict[str, float]:
    mae = float(np.mean(np.abs(pred - actual)))
    total = float(pred.sum()) / max(float(actual.sum()), 1.0) - 1.0
    return {
        "predicted": float(pred.sum()),
        "actual": float(actual.sum()),
        "total_error": total,
        "customer_mae": mae,
        "score": mae / max(float(np.mean(actual)), 1e-9) + abs(total),
    }


def _range_words(s: np.ndarray) -> str:
    lo, hi = int(np.argmin(s)), int(np.argmax(s))
    names = seasonal.MONTH_LABELS
    return f"{names[lo]} {s[lo]:.2f}× to {names[hi]} {s[hi]:.2f}× a typical month"


def _used_sentence(s: np.ndarray, validation: dict[str, Any] | None, mode: str) -> str:
    text = f"seasonality is used: purchases run from {_range_words(s)}"
    if (
        validation
        and mode == "on"
        and validation["seasonal"]["score"] >= validation["plain"]["score"]
    ):
        p, t = validation["plain"], validation["seasonal"]
        return text + (
            f". It is used only because --seasonality on asked for it: it did NOT beat the plain "
            f"model on the validation weeks {validation['from']} – {validation['to']} (total off "
            f"by {t['total_error']:+.1%} with it, {p['total_error']:+.1%} without)"
        )
    if validation:
        p, t = validation["plain"], validation["seasonal"]
        text += (
            f"; on the validation weeks {validation['from']} – {validation['to']} the total was "
            f"off by {t['total_error']:+.1%} with it and {p['total_error']:+.1%} without"
        )
    elif mode == "on":
        text += " (switched on with --seasonality on; not checked against the plain model)"
    return text


def _day(d: date) -> int:
    return (d - date(1970, 1, 1)).days
