"""Per-customer predictions and CLV with 90 % intervals, from a purchase and a spend model.

CLV over H months with monthly discounting d (DESIGN.md):
    CLV = Σ_{k=1..H} (E[X(k)] − E[X(k−1)]) · (margin · E[M] − cost_per_order) / (1 + d)^k
with k months = k · 52/12 weeks (the model's unit is the week; a month is 52/12 = 4.333 weeks,
never "30 days" or "4 weeks"). With no margin set the value per order is E[M] and the CLV is
*revenue* CLV; every output carries ``value_kind`` ('net' or 'revenue').

Sign: revenue CLV is never negative. Net CLV is negative exactly when cost_per_order exceeds
margin × expected spend — a meaningful "this customer costs more than they bring" signal that
the tiers use, so it is kept, not clipped. NaN never leaves this module (checked before return).

Speed: E[X(t) | x, t_x, T] = P(alive | x, t_x, T) · E[Y(t) | alive, x, T], and the expensive
second factor (a ₂F₁ per month) depends on (x, T) only. It is computed once per distinct (x, T)
and multiplied by P(alive) per distinct (x, t_x, T); customers then gather their row.

Intervals (90 %): 200 parameter draws from the fitted covariance of the log-parameters give the
customer-equity band. For each draw P(alive) and the discounted expected orders are evaluated to
first order around the estimate on their link scales (logit P(alive) per unique (x, t_x, T),
log orders per unique (x, T)) — exact evaluation of 200 × 12 ₂F₁ per row would cost seconds at
1 M customers. Spend-model draws enter the equity exactly through per-row sums (value is
linear in m). Each customer's own band is the delta method on log CLV (same gradients,
log-normal so it stays positive and asymmetric), widened in quadrature by the spend model's
delta-method error — the two models are fitted independently. Taking per-customer
percentiles over the draws instead costs ~1.3 s at 1 M customers for the same answer to a few %.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from clvtui.model import gammagamma
from clvtui.model.base import FittedModel, Rows, row_key
from clvtui.model.models import module_for

WEEKS_PER_MONTH = 52.0 / 12.0
N_DRAWS = 200
Z90 = 1.6448536269514722
LIKELY_ALIVE = 0.5  # next-order window only for customers more likely alive than not


@dataclass
class Economics:
    """What one order is worth to the shop and how the future is discounted."""

    margin: float | None
    cost_per_order: float
    monthly_discount_rate: float
    horizon_months: int

    @property
    def value_kind(self) -> str:
        return "revenue" if self.margin is None else "net"

    @classmethod
    def from_settings(cls, settings) -> Economics:
        return cls(
            margin=settings.margin,
            cost_per_order=settings.cost_per_order if settings.margin is not None else 0.0,
            monthly_discount_rate=settings.monthly_discount_rate,
            horizon_months=settings.horizon_months,
        )

    def order_value(self, spend: np.ndarray) -> np.ndarray:
        if self.margin is None:
            return spend
        return self.margin * spend - self.cost_per_order


@dataclass
class Predictions:
    """Per-customer arrays (customer order) and the customer-equity totals."""

    p_alive: np.ndarray
    expected_orders: np.ndarray
    expected_spend: np.ndarray
    clv: np.ndarray
    clv_low: np.ndarray
    clv_high: np.ndarray
    next_order_low: np.ndarray  # weeks from as-of; NaN when unlikely alive
    next_order_high: np.ndarray
    equity: float
    equity_low: float
    equity_high: float
    value_kind: str


def _discounted(mod, theta: np.ndarray, x: np.ndarray, T: np.ndarray, econ: Economics):
    """Σ_k (S(k) − S(k−1)) / (1+d)^k and S(H) per (x, T), S(t) = E[Y(t) | alive]."""
    prev = np.zeros(x.shape)
    total = np.zeros(x.shape)
    for k in range(1, econ.horizon_months + 1):
        cur = mod.alive_expected(theta, x, T, k * WEEKS_PER_MONTH)
        total += (cur - prev) / (1.0 + econ.monthly_discount_rate) ** k
        prev = cur
    return total, prev


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-15, 1 - 1e-15)
    return np.log(p) - np.log1p(-p)


def predict(
    purchase: FittedModel,
    spend: FittedModel | None,
    x: np.ndarray,
    t_x: np.ndarray,
    T: np.ndarray,
    m: np.ndarray,
    econ: Economics,
    *,
    n_draws: int = N_DRAWS,
    seed: int = 0,
) -> Predictions:
    """Everything the scores table needs, for customers given as arrays (weeks, money)."""
    mod = module_for(purchase.model)
    theta = purchase.theta
    x, t_x, T, m = (np.asarray(v, float) for v in (x, t_x, T, m))
    rows = Rows.collapse(x, t_x, T)
    inv = rows.inverse
    _, pfirst, pinv = np.unique(row_key(rows.x.astype(np.int64), rows.T), return_index=True,
                                return_inverse=True)  # fmt: skip
    pinv = pinv.ravel()
    px, pT = rows.x[pfirst], rows.T[pfirst]
    pair = np.stack([px, pT], axis=1)

    pa = mod.p_alive(theta, rows.x, rows.t_x, rows.T)
    disc, s_h = _discounted(mod, theta, px, pT, econ)
    d_row = pa * disc[pinv]
    orders_row = pa * s_h[pinv]

    # --- spend ---------------------------------------------------------------------------
    fallback = float(np.mean(m[x > 0])) if np.any(x > 0) else 0.0
    if spend is None:
        e_spend = np.where(x > 0, m, fallback)
    else:
        e_spend = gammagamma.expected_spend(spend.theta, x, m, fallback)
    value = econ.order_value(e_spend)
    clv = value * d_row[inv]

    # --- purchase-model draws, linearised on link scales ------------------------------------
    lo_row, hi_row, link = _purchase_draws(mod, purchase, rows, pair, pinv, pa, disc, econ,
                                           n_draws, seed)  # fmt: skip
    rel_lo = np.where(d_row > 0, 1.0 - lo_row / np.where(d_row > 0, d_row, 1.0), 0.0)
    rel_hi = np.where(d_row > 0, hi_row / np.where(d_row > 0, d_row, 1.0) - 1.0, 0.0)
    spend_rel = _spend_relative_se(spend, x, m, econ, value)
    down = np.sqrt(rel_lo[inv] ** 2 + (Z90 * spend_rel) ** 2)
    up = np.sqrt(rel_hi[inv] ** 2 + (Z90 * spend_rel) ** 2)
    low = np.where(clv >= 0, clv * (1.0 - down), clv * (1.0 + up))
    high = np.where(clv >= 0, clv * (1.0 + up), clv * (1.0 - down))
    if econ.value_kind == "revenue":
        low = np.maximum(low, 0.0)

    # --- customer equity: 200 draws of both models, summed over rows --------------------------
    totals = _equity_draws(spend, rows, m, econ, link, fallback, seed)
    eq_low, eq_high = (float(v) for v in np.percentile(totals, [5, 95]))

    # --- next order window for likely-alive customers (Lomax quantiles of Exp(λ), λ | alive ~
    #     Gamma(r+x, α+T)): w_q = (α+T)((1−q)^(−1/(r+x)) − 1) weeks ----------------------------
    p_alive = pa[inv]
    r, alpha = theta[0], theta[1]
    shape = r + x
    likely = (p_alive >= LIKELY_ALIVE) & (x > 0)  # one purchase is too little to time the next
    nxt_lo = np.where(likely, (alpha + T) * np.expm1(-np.log(0.75) / shape), np.nan)
    nxt_hi = np.where(likely, (alpha + T) * np.expm1(-np.log(0.25) / shape), np.nan)

    out = Predictions(
        p_alive=p_alive,
        expected_orders=orders_row[inv],
        expected_spend=e_spend,
        clv=clv,
        clv_low=np.minimum(low, clv),
        clv_high=np.maximum(high, clv),
        next_order_low=nxt_lo,
        next_order_high=nxt_hi,
        equity=float(np.sum(clv)),
        equity_low=min(eq_low, float(np.sum(clv))),
        equity_high=max(eq_high, float(np.sum(clv))),
        value_kind=econ.value_kind,
    )
    _check_finite(out)
    return out


def _purchase_draws(mod, fit, rows, pair, pinv, pa, disc, econ, n_draws, seed):
    """Per-row 5 %/95 % of discounted expected orders D, and the linearisation for the draws.

    Gradients of logit P(alive) (per row) and log D/P (per distinct (x, T)) with respect to the
    log-parameters come from one-sided differences (k extra evaluations). Per-row bands use the
    delta method on log D (log-normal, so positive and asymmetric); the draws — for the
    customer equity — are exact on those link scales given the linearisation.
    """
    theta = fit.theta
    k = len(theta)
    h = 1e-4
    g_pa = np.empty((k, len(pa)))
    g_disc = np.empty((k, len(disc)))
    base_pa, base_disc = _logit(pa), np.log(np.maximum(disc, 1e-300))
    for j in range(k):
        th = theta.copy()
        th[j] *= np.exp(h)
        g_pa[j] = (_logit(mod.p_alive(th, rows.x, rows.t_x, rows.T)) - base_pa) / h
        dj, _ = _discounted(mod, th, pair[:, 0], pair[:, 1], econ)
        g_disc[j] = (np.log(np.maximum(dj, 1e-300)) - base_disc) / h
    g_pa[:, pa >= 1.0] = 0.0
    # delta method per row: d log D = (1 − P) d logit P + d log disc
    g_log_d = (1.0 - pa)[None, :] * g_pa + g_disc[:, pinv]
    var = np.zeros(len(pa))
    for i in range(k):
        for j in range(k):
            var += g_log_d[i] * g_log_d[j] * fit.cov_log[i, j]
    sd = np.sqrt(np.maximum(var, 0.0))
    d_row = pa * disc[pinv]
    lo, hi = d_row * np.exp(-Z90 * sd), d_row * np.exp(Z90 * sd)
    # linearised link values for the equity draws, evaluated chunk by chunk later
    delta = np.log(fit.draws(n_draws, seed)) - np.log(theta)  # draws × k
    link = {"pa": pa, "base_pa": base_pa, "g_pa": g_pa.T.copy(), "base_disc": base_disc,
            "g_disc": g_disc.T.copy(), "pinv": pinv, "delta": delta}  # fmt: skip
    return lo, hi, link


def _spend_relative_se(spend, x, m, econ, value):
    """Delta-method relative SE of each customer's order value from the spend-model covariance."""
    if spend is None or spend.theta[1] <= 1.0:
        return np.zeros(x.shape)
    theta = spend.theta
    grads = []
    base = econ.order_value(gammagamma.expected_spend(theta, x, m))
    for j in range(3):
        th = theta.copy()
        th[j] *= np.exp(1e-5)
        grads.append((econ.order_value(gammagamma.expected_spend(th, x, m)) - base) / 1e-5)
    var = np.zeros(x.shape)
    for i in range(3):
        for j in range(3):
            var += grads[i] * grads[j] * spend.cov_log[i, j]
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.sqrt(np.maximum(var, 0.0)) / np.abs(value)
    return np.where(np.isfinite(rel), rel, 0.0)


def _equity_draws(spend, rows, m, econ, link, fallback, seed, chunk=25):
    """Total CLV per draw: Σ_rows D_row,s · Σ_{i in row} value_i,s, in chunks of draws.

    D_row,s = sigmoid(logit P + g·δ_s) · exp(log disc + g·δ_s) (purchase draws on link scales,
    rows × k matrix products); the spend draws enter exactly through each row's count and Σ m.
    Chunks of 25 draws in float32 keep each temporary at rows × 25 × 4 bytes (~30 MB at 1 M
    customers); two threads share the chunks on big shops.
    """
    inv = rows.inverse
    n_row = np.bincount(inv, minlength=len(rows.x)).astype(float)
    sum_m = np.bincount(inv, weights=m, minlength=len(rows.x))
    delta = link["delta"]
    n_draws = delta.shape[0]
    fixed_spend = spend is None or spend.theta[1] <= 1.0
    if fixed_spend:
        e_sum = np.where(rows.x > 0, sum_m, n_row * fallback)
        v_fixed = econ.order_value(e_sum / np.maximum(n_row, 1)) * n_row
    else:
        sd = spend.draws(n_draws * 2, seed + 1)
        sd = sd[sd[:, 1] > 1.0][:n_draws]  # q ≤ 1 has no finite mean: not a usable draw
        if len(sd) < n_draws:
            sd = np.vstack([sd, np.tile(spend.theta, (n_draws - len(sd), 1))])
    # float32 inside the loop: the band needs ~4 digits, and it halves the memory traffic
    f32 = np.float32
    base_pa, g_pa = link["base_pa"].astype(f32), link["g_pa"].astype(f32)
    base_d = link["base_disc"][link["pinv"]].astype(f32)
    g_d = link["g_disc"][link["pinv"]].astype(f32)
    saturated = link["pa"] >= 1.0
    n32, s32 = n_row.astype(f32), sum_m.astype(f32)
    ux, ix = np.unique(rows.x, return_inverse=True)
    ux, ix = ux[:, None], ix.ravel()
    totals = np.empty(n_draws)

    def run(lo: int) -> None:
        dl = delta[lo : lo + chunk].astype(f32)
        # sigmoid(logit P + g·δ) · exp(log disc + g·δ), in place (float32 exp/reciprocal are SIMD)
        pa_s = _affine(base_pa, g_pa, dl)
        np.negative(pa_s, out=pa_s)
        np.exp(pa_s, out=pa_s)
        pa_s += 1.0
        np.reciprocal(pa_s, out=pa_s)
        pa_s[saturated] = 1.0
        d_s = _affine(base_d, g_d, dl)
        np.exp(d_s, out=d_s)
        d_s *= pa_s
        if fixed_spend:
            d_s *= v_fixed.astype(f32)[:, None]
            totals[lo : lo + chunk] = d_s.sum(axis=0, dtype=np.float64)
            return
        # value per row = n·A(x) + Σm·B(x); A, B depend on x only (Gamma-Gamma, note eq. 5)
        p, q, g = (sd[lo : lo + chunk, j][None, :] for j in range(3))
        den = p * ux + q - 1.0
        a_x, b_x = (g * p / den), (ux * p / den)
        if econ.margin is not None:
            a_x, b_x = econ.margin * a_x - econ.cost_per_order, econ.margin * b_x
        value = n32[:, None] * a_x.astype(f32)[ix]
        value += s32[:, None] * b_x.astype(f32)[ix]
        value *= d_s
        totals[lo : lo + chunk] = value.sum(axis=0, dtype=np.float64)

    starts = range(0, n_draws, chunk)
    if len(rows.x) * n_draws < 2_000_000:
        for lo in starts:
            run(lo)
    else:  # numpy ufuncs release the GIL: two threads use both cores on big shops
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=2) as pool:
            list(pool.map(run, starts))
    return totals


def _affine(base: np.ndarray, grad: np.ndarray, delta: np.ndarray) -> np.ndarray:
    """base + grad·δᵀ as k broadcast multiply-adds: multithreaded BLAS on these thin matrices
    was several times slower on 2 cores (thread start-up), see DESIGN.md."""
    out = np.empty((len(base), len(delta)), dtype=base.dtype)
    out[:] = base[:, None]
    for j in range(grad.shape[1]):
        out += grad[:, j : j + 1] * delta[None, :, j]
    return out


def _check_finite(pred: Predictions) -> None:
    from clvtui.errors import ModelError

    for name in ("p_alive", "expected_orders", "expected_spend", "clv", "clv_low", "clv_high"):
        arr = getattr(pred, name)
        if not np.all(np.isfinite(arr)):
            bad = int(np.sum(~np.isfinite(arr)))
            raise ModelError(
                f"the model produced {bad} non-finite {name} values; refusing to store them"
            )
    if pred.value_kind == "revenue" and np.any(pred.clv < 0):
        raise ModelError("revenue CLV came out negative; this is a bug, please report it")
