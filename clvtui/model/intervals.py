"""The 90 % intervals of ``clv.predict``: per-customer bands and the customer-equity draws.

Kept apart from the point predictions because it is the one place where speed shaped the maths
(linearised draws on link scales, a factored sum over distinct x and (x, T) pairs); see the
module note of ``clv`` for the method and ``equity_draws`` for the 1 M-customer budget.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

from clvtui.core.normal import Z90
from clvtui.model import equity_series, gammagamma

MAX_LOG_SD = 40.0 / Z90  # per-customer bands on log CLV are capped at e^±40
# OpenBLAS runs a product of m·n·k multiply-adds up to this on the calling thread only
_BLAS_ONE_THREAD = 65_536 * 4


def logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-15, 1 - 1e-15)
    return np.log(p) - np.log1p(-p)


def purchase_draws(alive_at, fit, pair, pinv, pa, disc, disc_at, n_draws, seed, beside=None):
    """Per-row 5 %/95 % of discounted expected orders D, and the linearisation for the draws.

    Gradients of logit P(alive) (per row) and log D/P (per distinct (x, T)) with respect to the
    log-parameters come from one-sided differences (k extra evaluations). Per-row bands use the
    delta method on log D (log-normal, so positive and asymmetric); the draws — for the
    customer equity — are exact on those link scales given the linearisation. ``disc_at(θ)``:
    the discounted expected orders per distinct (x, T) pair (``disc`` at the estimate);
    ``alive_at(θ)``: P(alive) per row (``pa`` at the estimate). ``beside``: a one-thread
    executor for the discounted orders' differences, evaluated while P(alive)'s are.
    """
    theta = fit.theta
    k = len(theta)
    h = 1e-4
    g_pa = np.empty((k, len(pa)))
    g_disc = np.empty((k, len(disc)))
    base_pa, base_disc = logit(pa), np.log(np.maximum(disc, 1e-300))
    stepped = []
    for j in range(k):
        th = theta.copy()
        th[j] *= np.exp(h)
        stepped.append(th)

    def disc_gradient() -> None:
        for j, th in enumerate(stepped):
            g_disc[j] = (np.log(np.maximum(disc_at(th), 1e-300)) - base_disc) / h

    discs = beside.submit(disc_gradient) if beside is not None else None
    for j, th in enumerate(stepped):
        g_pa[j] = (logit(alive_at(th)) - base_pa) / h
    if discs is None:
        disc_gradient()
    else:
        discs.result()
    g_pa[:, pa >= 1.0] = 0.0
    # delta method per row: d log D = (1 − P) d logit P + d log disc
    g_log_d = (1.0 - pa)[None, :] * g_pa + g_disc[:, pinv]
    var = np.zeros(len(pa))
    for i in range(k):
        for j in range(k):
            var += g_log_d[i] * g_log_d[j] * fit.cov_log[i, j]
    # a last-resort cap: a band wider than e^±40 says "unknown" as well as an infinite one would,
    # and stays finite (only reached when a parameter is all but unidentified)
    sd = np.minimum(np.sqrt(np.where(np.isfinite(var), np.maximum(var, 0.0), 0.0)), MAX_LOG_SD)
    d_row = pa * disc[pinv]
    lo, hi = d_row * np.exp(-Z90 * sd), d_row * np.exp(Z90 * sd)
    # linearised link values for the equity draws, evaluated chunk by chunk later
    delta = np.log(fit.draws(n_draws, seed)) - np.log(theta)  # draws × k
    link = {"pa": pa, "base_pa": base_pa, "g_pa": g_pa.T.copy(), "base_disc": base_disc,
            "g_disc": g_disc.T.copy(), "pinv": pinv, "pair_x": pair[:, 0],
            "delta": delta}  # fmt: skip
    return lo, hi, link


def spend_relative_se(spend, x, m, econ, value):
    """Delta-method relative SE of each customer's order value from the spend-model covariance.

    One-sided differences in the log-parameters, as for the purchase model. E[M | x, m] =
    (γ + x·m)·c(x) with c(x) = p / (p·x + q − 1), so the p and q differences are (γ + x·m) times
    a difference of c per distinct x, and the γ one is Δγ·c(x): the variance is
    w²·A(x) + w·B(x) + C(x) with w = γ + x·m — a few passes per customer instead of four
    evaluations of E[M] and nine products.
    """
    if spend is None or spend.theta[1] <= 1.0:
        return np.zeros(x.shape)
    theta = spend.theta
    xi = x.astype(np.int64)
    if x.size == 0 or xi.min() < 0 or xi.max() > 10_000_000 or np.any(xi != x):
        return _spend_relative_se_direct(spend, x, m, econ, value)
    h = 1e-5
    ux = np.arange(int(xi.max()) + 1, dtype=float)
    scale = 1.0 if econ.margin is None else econ.margin

    def c_of(th: np.ndarray) -> np.ndarray:
        return th[0] / (th[0] * ux + th[1] - 1.0)

    c0 = c_of(theta)
    grads = []  # per distinct x: coefficient of w (p, q) or the constant term (γ)
    for j in range(3):
        th = theta.copy()
        th[j] *= np.exp(h)
        if j < 2:
            grads.append(scale * (c_of(th) - c0) / h)
        else:
            grads.append(scale * (th[2] - theta[2]) * c0 / h)
    cov = spend.cov_log
    gp, gq, gg = grads
    a_x = gp * gp * cov[0, 0] + 2 * gp * gq * cov[0, 1] + gq * gq * cov[1, 1]
    b_x = 2 * gg * (gp * cov[0, 2] + gq * cov[1, 2])
    c_x = gg * gg * cov[2, 2]
    w = x * m
    w += theta[2]
    var = a_x[xi]  # (a·w + b)·w + c, in place: each 10 M-customer temporary is 80 MB
    var *= w
    var += b_x[xi]
    var *= w
    del w
    var += c_x[xi]
    np.maximum(var, 0.0, out=var)
    np.sqrt(var, out=var)
    with np.errstate(divide="ignore", invalid="ignore"):
        var /= np.abs(value)
    var[~np.isfinite(var)] = 0.0
    return var


def _spend_relative_se_direct(spend, x, m, econ, value):
    """The same by evaluating E[M] per customer (x not a small non-negative integer)."""
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


@dataclass
class _EquityLayout:
    """The rows × draws problem laid out once, so each chunk of draws is a few dense passes."""

    half_logit: np.ndarray  # float32, rows in pair order × [1, δ] coefficients of logit P / 2
    disc_coef: np.ndarray  # per pair, [1, δ] coefficients of log disc
    to_pair: sparse.csr_matrix  # (weight, pair) × rows: ½ × the row's weight
    half_sums: np.ndarray  # the "1 +" of the sigmoid, summed per (weight, pair)
    to_x: sparse.csr_matrix  # distinct x × pairs: sums pairs by x
    ux: np.ndarray  # 1 × distinct x
    n_w: int


def equity_draws(spend, rows, m, econ, link, fallback, seed, chunk=25):
    """Total CLV per draw: Σ_rows D_row,s · Σ_{i in row} value_i,s, in chunks of draws.

    D_row,s = sigmoid(logit P + g·δ_s) · exp(log disc + g·δ_s) (purchase draws on link scales);
    the spend draws enter exactly through each row's count and Σ m. Only the sigmoid is per row:
    the discount factor is per distinct (x, T) pair and the spend value per distinct x, so with
    rows grouped by pair the total factors as
        Σ_x A_s(x) Σ_{pairs of x} E_pair,s Σ_{rows of pair} n_row F_row,s  (+ the same with B, Σm)
    and the rows × draws work is one thin matrix product (the affine link map: one sgemm, ~15×
    faster than k broadcast multiply-adds), a tanh (sigmoid(z) = (1 + tanh(z/2)) / 2, one pass
    instead of exp, add and reciprocal) and a sparse product for the segment sums (numpy's
    ``reduceat`` along rows was ~20× slower). float32 inside (the band needs ~4 digits; it halves
    memory traffic), float64 from the pair sums on. 1 M customers: 0.75 s → 0.06 s.

    From ``equity_series.SERIES_AT`` rows on, the rows whose draws stay close to the estimate
    (nearly all of them at 1 M customers) are summed per pair as a cubic in δ instead of one
    sigmoid per draw (``equity_series``); the rest go through the chunks as above.
    """
    inv = rows.inverse
    n_row = np.asarray(rows.weight, dtype=float)  # each row's customers (``Rows.collapse``)
    sum_m = np.bincount(inv, weights=m, minlength=len(rows.x))
    delta = link["delta"]
    n_draws = delta.shape[0]
    fixed_spend = spend is None or spend.theta[1] <= 1.0
    sd = None
    if fixed_spend:
        e_sum = np.where(rows.x > 0, sum_m, n_row * fallback)
        weights = [econ.order_value(e_sum / np.maximum(n_row, 1)) * n_row]
    else:
        sd = _spend_draws(spend, n_draws, seed)
        weights = [n_row, sum_m]
    series = None  # the near rows' sums as a cubic in the draws (``equity_series``), big shops
    if len(link["pinv"]) >= equity_series.SERIES_AT:
        near = equity_series.near_rows(link)
        series = equity_series.pair_sums(link, weights, near)
        link, weights = _rows_of(link, ~near), [w[~near] for w in weights]
    lay = _equity_layout(link, weights)
    totals = np.empty(n_draws)
    # one thread: at ~60 ms for 1 M customers a second one gained nothing measurable, and two
    # threads each calling a multithreaded BLAS oversubscribe the 2 cores
    buf = np.empty(len(link["pinv"]) * chunk, dtype=np.float32)  # reused: no page faults
    for lo in range(0, n_draws, chunk):
        d = delta[lo : lo + chunk]
        by_x = _equity_chunk(lay, d, buf, None if series is None else series[:, :, lo : lo + chunk])
        if sd is None:
            totals[lo : lo + len(d)] = by_x[0].sum(axis=0)
        else:
            totals[lo : lo + len(d)] = _spend_totals(by_x, sd[lo : lo + len(d)], lay, econ)
    return totals


def _spend_draws(spend, n_draws: int, seed: int) -> np.ndarray:
    """Spend-model parameter draws with a finite mean (q > 1); the estimate fills any shortfall."""
    sd = spend.draws(n_draws * 2, seed + 1)
    sd = sd[sd[:, 1] > 1.0][:n_draws]  # q ≤ 1 has no finite mean: not a usable draw
    if len(sd) < n_draws:
        sd = np.vstack([sd, np.tile(spend.theta, (n_draws - len(sd), 1))])
    return sd


def _equity_layout(link: dict, weights: list[np.ndarray]) -> _EquityLayout:
    """Rows grouped by (x, T) pair, so the sparse product reads them in order (scattered reads
    were 4× slower); a radix sort when the pair numbers fit 16 bits. Pairs are numbered in
    row_key order, i.e. sorted by x: x groups are contiguous."""
    pinv = link["pinv"]
    n_rows, n_pair, n_w = len(pinv), len(link["base_disc"]), len(weights)
    order = np.argsort(pinv.astype(np.int16) if n_pair < 2**15 else pinv, kind="stable")
    pair_start = np.searchsorted(pinv[order], np.arange(n_pair))
    pair_x = link["pair_x"]
    x_start = np.flatnonzero(np.diff(pair_x, prepend=-1.0))
    f32 = np.float32
    # coefficients of [1, δ] for (logit P + g·δ) / 2 per row; P(alive) = 1 rows (one-time
    # buyers) get +∞, so tanh is 1 and the sigmoid exactly 1
    half_logit = 0.5 * np.column_stack([link["base_pa"], link["g_pa"]])[order]
    half_logit[link["pa"][order] >= 1.0] = [np.inf] + [0.0] * link["g_pa"].shape[1]
    # to_pair[(w, p), row] = ½ × weight w of the row if it belongs to pair p; to_x sums pairs by x
    w_rows = np.concatenate([w[order] for w in weights])
    to_pair = sparse.csr_matrix(
        (
            (0.5 * w_rows).astype(f32),
            np.tile(np.arange(n_rows), n_w),
            np.append(np.concatenate([pair_start + i * n_rows for i in range(n_w)]), n_w * n_rows),
        ),
        shape=(n_w * n_pair, n_rows),
    )
    x_id = np.repeat(np.arange(len(x_start)), np.diff(np.append(x_start, n_pair)))
    return _EquityLayout(
        half_logit=half_logit.astype(f32),
        disc_coef=np.column_stack([link["base_disc"], link["g_disc"]]),
        to_pair=to_pair,
        half_sums=np.asarray(to_pair.sum(axis=1), dtype=float),
        to_x=sparse.csr_matrix(
            (np.ones(n_pair), (x_id, np.arange(n_pair))), shape=(len(x_start), n_pair)
        ),
        ux=pair_x[x_start][None, :],
        n_w=n_w,
    )


def _rows_of(link: dict, keep: np.ndarray) -> dict:
    """The linearisation restricted to the rows ``keep`` (the per-pair parts unchanged)."""
    per_row = ("pa", "base_pa", "g_pa", "pinv")
    return {key: value[keep] if key in per_row else value for key, value in link.items()}


def _equity_chunk(
    lay: _EquityLayout, d: np.ndarray, buf: np.ndarray, series: np.ndarray | None = None
) -> list[np.ndarray]:
    """Per weight, Σ over each distinct x of E_pair × Σ_rows weight × sigmoid: x × draws
    (``series``: the other rows' Σ weight × sigmoid per pair, weight × pair × draw)."""
    n_rows, n_pair = len(lay.half_logit), len(lay.disc_coef)
    ones_d = np.vstack([np.ones(len(d)), d.T])  # (1 + k) × chunk
    t = buf[: n_rows * len(d)].reshape(n_rows, len(d))
    _affine(lay.half_logit, ones_d.astype(np.float32), t)
    np.tanh(t, out=t)
    e_pair = np.exp(_affine(lay.disc_coef, ones_d, np.empty((n_pair, len(d)))))
    per_pair = ((lay.to_pair @ t).astype(float) + lay.half_sums).reshape(lay.n_w, n_pair, -1)
    if series is not None:
        per_pair += series
    return [lay.to_x @ (pp * e_pair) for pp in per_pair]  # distinct x × chunk


def _spend_totals(by_x: list[np.ndarray], sd: np.ndarray, lay: _EquityLayout, econ) -> np.ndarray:
    """Value per row = n·A(x) + Σm·B(x); A, B depend on x only (Gamma-Gamma, note eq. 5)."""
    p, q, g = (sd[:, j][:, None] for j in range(3))
    den = p * lay.ux + q - 1.0  # chunk × distinct x
    a_x, b_x = g * p / den, lay.ux * p / den
    if econ.margin is not None:
        a_x, b_x = econ.margin * a_x - econ.cost_per_order, econ.margin * b_x
    return np.sum(a_x.T * by_x[0] + b_x.T * by_x[1], axis=0)


def _affine(coef: np.ndarray, ones_delta: np.ndarray, out: np.ndarray) -> np.ndarray:
    """coef @ [1; δ] into ``out``: BLAS on big shops; k + 1 broadcast multiply-adds on small ones,
    where waking OpenBLAS's threads after a fit costs more than the product (DESIGN.md).

    On big shops, in blocks of rows small enough that OpenBLAS computes each on the calling
    thread (m·n·k ≤ 2^18): its second thread spin-waited for the core the fit's background
    reads were using, and the draws took ~1.3 s of CPU at a million customers instead of
    ~0.3 s. The same kernel computes every element either way (the same bits)."""
    if len(coef) >= 50_000:
        rows = max(1, _BLAS_ONE_THREAD // (ones_delta.shape[0] * ones_delta.shape[1]))
        for lo in range(0, len(coef), rows):
            np.matmul(coef[lo : lo + rows], ones_delta, out=out[lo : lo + rows])
        return out
    np.multiply(coef[:, :1], ones_delta[:1], out=out)
    for j in range(1, coef.shape[1]):
        out += coef[:, j : j + 1] * ones_delta[j : j + 1]
    return out
