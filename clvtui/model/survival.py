"""Cohort retention: the share of each monthly acquisition cohort still buying, by month.

Definition ("still buying"): a customer's buying life runs from their first to their last
purchase day. It has *ended* (an event) when the last purchase is more than LAPSE_DAYS before
the as-of day; otherwise it is *censored* at the last purchase (they may well buy again).
Retention at month m = Kaplan–Meier S(m) = P(buying life > m months), months of 365.25/12 days,
so month 1 is the share who bought again at least a month after their first purchase.
Estimated with statsmodels ``SurvfuncRight`` on durations collapsed with frequency weights;
90 % pointwise bands from its Greenwood standard errors. One curve per cohort ('YYYY-MM') and
an 'all' curve; months are reported up to the cohort's age while anyone of it is still at
risk (or once all have lapsed, when S = 0 is known).
"""

from __future__ import annotations

import numpy as np
import polars as pl
from statsmodels.duration.survfunc import SurvfuncRight

from clvtui.core.normal import Z90

LAPSE_DAYS = 90
DAYS_PER_MONTH = 365.25 / 12


def retention(
    first_day: np.ndarray,
    last_day: np.ndarray,
    as_of_day: int,
    weights: np.ndarray | None = None,
) -> pl.DataFrame:
    """cohort, month, survival, low, high, at_risk for every cohort and 'all'.

    ``weights``: customers per entry, when the entries are already collapsed (a summary run
    passes its distinct (t_x, T) rows: 10 M customers are a few hundred thousand rows).
    """
    first_day, last_day = np.asarray(first_day, int), np.asarray(last_day, int)
    w = np.ones(len(first_day)) if weights is None else np.asarray(weights, float)
    span = (last_day - first_day).astype(float)
    event = (as_of_day - last_day > LAPSE_DAYS).astype(float)
    age = (as_of_day - first_day).astype(float)
    cohort = first_day.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    frames = [_curve("all", span, event, age, w)]
    uniq = np.unique(cohort)
    if len(uniq) <= 240:  # 20 years of cohorts; beyond that only the 'all' curve
        order = np.argsort(cohort, kind="stable")
        bounds = [*np.searchsorted(cohort[order], uniq, side="left").tolist(), len(order)]
        for c, lo, hi in zip(uniq, bounds[:-1], bounds[1:], strict=True):
            sel = order[lo:hi]
            name = str(np.datetime64(int(c), "M"))
            frames.append(_curve(name, span[sel], event[sel], age[sel], w[sel]))
    return pl.concat([f for f in frames if f.height]) if frames else _empty()


def shop_retention(first_day: np.ndarray, last_day: np.ndarray, as_of_day: int) -> pl.DataFrame:
    """:func:`retention` of every customer, from the distinct (first, last purchase day) pairs
    with their customer counts: the same curves (the survival fit collapses to the same
    counts), ~80k pairs at a million customers: 0.1 s of CPU instead of 0.45 s, ~50 MB less."""
    if len(first_day) == 0:
        return retention(first_day, last_day, as_of_day)
    low = int(min(first_day.min(), last_day.min()))
    days = int(max(first_day.max(), last_day.max())) - low + 1
    key = (first_day.astype(np.int64) - low) * days + (last_day - low)
    pairs, customers = np.unique(key, return_counts=True)
    del key
    return retention(pairs // days + low, pairs % days + low, as_of_day, customers)


def _curve(
    name: str, span: np.ndarray, event: np.ndarray, age: np.ndarray, w: np.ndarray
) -> pl.DataFrame:
    if len(span) == 0:
        return _empty()
    # collapse to distinct (span in days, event) with frequency weights: integers, not rows
    code, inv = np.unique(span.astype(np.int64) * 2 + event.astype(np.int64), return_inverse=True)
    counts = np.rint(np.bincount(inv.ravel(), weights=w, minlength=len(code))).astype(np.int64)
    key = np.stack([(code // 2).astype(float), (code % 2).astype(float)], axis=1)
    sf = SurvfuncRight(key[:, 0], key[:, 1], freq_weights=counts.astype(float))
    max_month = int(np.floor(age.max() / DAYS_PER_MONTH))
    months = np.arange(0, max_month + 1)
    t = months * DAYS_PER_MONTH
    # no event yet (everyone still buying): S = 1 throughout
    times = np.concatenate([[-1.0], sf.surv_times])
    prob = np.concatenate([[1.0], sf.surv_prob])
    prob_se = np.concatenate([[0.0], sf.surv_prob_se])
    idx = np.searchsorted(times, t, side="right") - 1
    surv, se = prob[idx], prob_se[idx]
    at_risk = np.array([int(np.sum(counts[key[:, 0] >= tv])) for tv in t])
    # defined while someone is at risk, or once everyone has lapsed (S = 0 stays 0)
    keep = (at_risk > 0) | (months == 0) | (surv <= 0.0)
    return pl.DataFrame(
        {
            "cohort": [name] * int(keep.sum()),
            "month": months[keep].astype(np.int64),
            "survival": np.where(months == 0, 1.0, surv)[keep],
            "low": np.where(months == 0, 1.0, np.clip(surv - Z90 * se, 0.0, 1.0))[keep],
            "high": np.where(months == 0, 1.0, np.clip(surv + Z90 * se, 0.0, 1.0))[keep],
            "at_risk": at_risk[keep].astype(np.int64),
        }
    )


def _empty() -> pl.DataFrame:
    return pl.DataFrame(
        schema={
            "cohort": pl.Utf8,
            "month": pl.Int64,
            "survival": pl.Float64,
            "low": pl.Float64,
            "high": pl.Float64,
            "at_risk": pl.Int64,
        }
    )
