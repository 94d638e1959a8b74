"""Which purchase model to use, and what to do when the data cannot support one.

Choice (when the user does not name a model): fit every candidate on a calibration window and
keep the one whose predictions of the following weeks are closest to what happened, scored by
the per-customer mean absolute error plus the relative error of the total (so a model that gets
the total right but ranks customers badly does not win). The comparison runs on at most
CHOICE_SAMPLE customers (a fixed random subset) to stay fast on large shops.

Too little data: a fit needs at least MIN_CUSTOMERS customers and MIN_REPEATERS repeat buyers;
below that an empirical estimate is used and labelled as such (model 'empirical').
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
import polars as pl

from clvtui.errors import ModelError
from clvtui.model.beside import quiet_pool
from clvtui.model.registry import LABELS, PURCHASE_MODELS, fit_purchase, module_for
from clvtui.model.summary import summarise
from clvtui.model.warm import WarmStart
from clvtui.report import ModelChoice
from clvtui.wording import plural

MIN_CUSTOMERS = 100
MIN_REPEATERS = 30
CHOICE_SAMPLE = 20_000
AUTO_CHOICE_WEEKS = 13  # without a holdout, "auto" compares models on the last quarter


@dataclass
class Choice:
    """The model to fit ('empirical' when no candidate could be fitted), each candidate's score
    or the reason it was skipped, and the warm start for the full fit (natural scale)."""

    model: str
    scores: dict[str, Any] = field(default_factory=dict)
    reason: str = ""
    start: list[float] | None = None


def enough_data(x: np.ndarray) -> str | None:
    """None when a model can be fitted, else the plain reason why not."""
    n, rep = len(x), int(np.sum(x > 0))
    if n < MIN_CUSTOMERS or rep < MIN_REPEATERS:
        return (
            f"a model needs at least {MIN_CUSTOMERS} customers and {MIN_REPEATERS} repeat buyers; "
            f"this data has {plural(n, 'customer')} and {plural(rep, 'repeat buyer')}"
        )
    return None


def choose_model(
    orders: pl.DataFrame,
    as_of: str,
    holdout_weeks: int,
    seed: int = 0,
    customers: int | None = None,
) -> Choice:
    """Fit each candidate up to as_of − holdout_weeks and score it on the holdout weeks.

    ``customers``: the distinct customers in ``orders`` when the caller knows (not recounted).
    """
    n_customers = orders["customer_id"].n_unique() if customers is None else customers
    if n_customers > 2 * CHOICE_SAMPLE:
        # a fixed pseudo-random subset of customers (by hash of the id), taken before the
        # summary so a 1 M-customer shop summarises ~1/50 of its orders here
        buckets = n_customers // CHOICE_SAMPLE
        orders = orders.filter(pl.col("customer_id").hash(seed) % buckets == 0)
    summary = summarise(orders, as_of, holdout_weeks)
    x, t_x, T = (summary[c].to_numpy().astype(float) for c in ("x", "t_x", "T"))
    actual = summary["holdout_x"].to_numpy().astype(float)
    if enough_data(x) is not None:
        return Choice("bgnbd", {}, "too little data in the calibration window to compare models")
    scores = _score_all(x, t_x, T, actual, holdout_weeks)
    usable = {k: v for k, v in scores.items() if "score" in v}
    if not usable:
        reasons = "; ".join(f"{LABELS[k]}: {v['error']}" for k, v in scores.items())
        return Choice(
            "empirical",
            scores,
            f"no purchase model could be fitted on the calibration window ({reasons}); "
            "using a simple empirical estimate instead",
        )
    best = min(usable, key=lambda k: usable[k]["score"])
    reason = f"smallest holdout error over the last {plural(holdout_weeks, 'week')}"
    skipped = [k for k in scores if k not in usable]
    if skipped:
        reason += f" ({', '.join(LABELS[k] for k in skipped)} could not be fitted: see candidates)"
    return Choice(best, scores, reason, start=usable[best]["start"])


BESIDE = "paretonbd"  # the slowest candidate (~2/3 of the choice), fitted on the other core


def _score_all(
    x: np.ndarray, t_x: np.ndarray, T: np.ndarray, actual: np.ndarray, weeks: int
) -> dict[str, dict[str, Any]]:
    """Every candidate's ``_score``, in PURCHASE_MODELS order; BESIDE's on the other core
    meanwhile (``model.beside``: the same scores, in less wall time)."""
    with quiet_pool("clvtui-choice") as pool:
        beside = pool.submit(_score, BESIDE, x, t_x, T, actual, weeks)
        here = {name: _score(name, x, t_x, T, actual, weeks) for name in PURCHASE_MODELS
                if name != BESIDE}  # fmt: skip
        scored = here | {BESIDE: beside.result()}
    return {name: scored[name] for name in PURCHASE_MODELS}


def _score(
    name: str, x: np.ndarray, t_x: np.ndarray, T: np.ndarray, actual: np.ndarray, weeks: int
) -> dict[str, Any]:
    """One candidate's holdout score, or {"error": reason} when it cannot be used.

    Skipped: a fit that fails (ModelError, or a numerical error the fit did not turn into one),
    one that did not converge, and one whose predictions are not finite. A fit that ran to the
    edge and was replaced by its nested model (NBD) is scored as that, and says so.
    """
    try:
        fit = fit_purchase(name, x, t_x, T)
        pred = module_for(fit.model).expected(fit.theta, x, t_x, T, float(weeks))
    except (ModelError, np.linalg.LinAlgError, ValueError, FloatingPointError) as err:
        return {"error": str(err)}
    if not fit.converged:
        return {"error": "the fit did not converge (the optimiser stopped early)"}
    if not np.all(np.isfinite(pred)):
        return {"error": f"{int(np.sum(~np.isfinite(pred)))} predictions were not finite"}
    mae = float(np.mean(np.abs(pred - actual)))
    total_err = abs(float(pred.sum()) / max(float(actual.sum()), 1.0) - 1.0)
    # the warm start must have this model's parameters: a nested fit starts from the boundary
    start = list(fit.boundary_fit["params"].values()) if fit.boundary_fit else WarmStart.of(fit)
    out: dict[str, Any] = {
        "customer_mae": mae,
        "total_error": total_err,
        "score": mae / max(float(np.mean(actual)), 1e-9) + total_err,
        "loglik": fit.loglik,
        "params": fit.params,
        "sample_customers": len(x),
        "start": start,
    }
    if fit.model != name:
        out["fitted_as"] = fit.model
        out["boundary"] = list(fit.boundary)
    return out


def empirical(
    x: np.ndarray, t_x: np.ndarray, T: np.ndarray, m: np.ndarray, spend: np.ndarray,
    orders: np.ndarray, horizon_weeks: float,
) -> dict[str, np.ndarray]:  # fmt: skip
    """A labelled simple estimate for shops with too little data for a model.

    Each customer's weekly purchase rate is their own repeat rate shrunk toward the shop-wide
    one (ρ_i = (x_i + ρ·k)/(T_i + k), k = 26 weeks of "prior" exposure); P(still buying) is the
    chance of their silence since the last purchase at that rate, exp(−ρ_i (T − t_x)); expected
    orders over the horizon = P · ρ_i · horizon; spend per order = the customer's average order
    value shrunk to the shop's. The 90 % band comes from the Poisson uncertainty of ρ.
    """
    from scipy.stats import gamma

    exposure = float(np.sum(T))
    rho = float(np.sum(x)) / max(exposure, 1e-9)
    k = 26.0
    rate = (x + rho * k) / (T + k)
    p = np.exp(-rate * (T - t_x))
    shop_aov = float(np.sum(spend) / max(np.sum(orders), 1))
    aov = np.where(orders > 0, (spend + shop_aov * 2) / (orders + 2), shop_aov)
    lo_f = gamma.ppf(0.05, np.sum(x) + 1) / (np.sum(x) + 1)
    hi_f = gamma.ppf(0.95, np.sum(x) + 1) / (np.sum(x) + 1)
    return {
        "p_alive": p,
        "expected_orders": p * rate * horizon_weeks,
        "expected_spend": aov,
        "low_factor": np.full(x.shape, lo_f),
        "high_factor": np.full(x.shape, hi_f),
    }


def fit_choice(
    orders: pl.DataFrame,
    x: np.ndarray,
    T: np.ndarray,
    end: date,
    holdout_weeks: int | None,
    model: str | None,
    warnings: list[str],
) -> tuple[str, ModelChoice | None, list[float] | None]:
    """The model to fit (named, chosen on a holdout, or empirical when data are too few), the
    ``model_choice`` document, and the chosen candidate's parameters as a warm start."""
    too_little = enough_data(x)
    if too_little:
        warnings.append(too_little + "; using a simple empirical estimate instead")
        if not np.any(x > 0):
            warnings.append(
                "nobody has bought a second time yet, so the data cannot tell how many will: "
                "future values are 0 here, a floor rather than a forecast; fit again once "
                "customers come back"
            )
        return "empirical", None, None
    if model is not None:
        return model, None, None
    # The choice never sees the holdout: with one, the candidates are compared on the last
    # weeks of the calibration window only, so the verdict reported later is an untouched test.
    holdout = holdout_weeks or 0
    choose_end = end - timedelta(weeks=holdout)
    span = float(T.max()) - holdout  # weeks of history before the choice's end
    # the last quarter, or with a holdout the last third of a calibration window shorter than
    # that (CDNOW: 38.9 weeks → 12), so that at least two thirds remain to fit on
    weeks = min(AUTO_CHOICE_WEEKS, int(span // 3)) if holdout else AUTO_CHOICE_WEEKS
    where = " (inside the calibration window; the holdout weeks were not used)" if holdout else ""
    if span < 3 * weeks or weeks < 4:
        return "bgnbd", ModelChoice(f"history too short to compare models{where}; BG/NBD"), None
    choice = choose_model(orders, choose_end.isoformat(), weeks, customers=len(x))
    compared_on = {
        "from": (choose_end - timedelta(weeks=weeks)).isoformat(),
        "to": choose_end.isoformat(),
        "weeks": weeks,
        "holdout_used": False,
    }
    return (
        choice.model,
        ModelChoice(choice.reason + where, choice.scores, compared_on),
        choice.start,
    )
