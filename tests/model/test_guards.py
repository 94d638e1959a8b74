"""The traps of the CDNOW README and the too-little-data fallback: never NaN, clear messages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from clvtui.errors import ModelError
from clvtui.model import bgnbd, clv, gammagamma, paretonbd
from clvtui.model.base import FittedModel
from clvtui.model.special import log_hyp2f1
from clvtui.pipeline import fit_run
from tests.model.helpers import load_orders


def test_bgnbd_a_plus_b_below_one_gives_finite_predictions() -> None:
    """a + b ≤ 1 makes ₂F₁'s c = a+b−1 ≤ 0 for x = 0: quadrature takes over, no NaN."""
    theta = np.array([0.3, 5.0, 0.4, 0.5])
    x = np.array([0.0, 0.0, 1.0, 5.0])
    T = np.array([10.0, 40.0, 30.0, 20.0])
    got = bgnbd.alive_expected(theta, x, T, 52.0)
    assert np.all(np.isfinite(got)) and np.all(got > 0)
    quad = bgnbd.quadrature_alive_expected(*theta, x, T, 52.0)
    np.testing.assert_allclose(got, quad, rtol=1e-6)


def test_closed_form_agrees_with_quadrature_where_both_hold() -> None:
    theta = np.array([0.2426, 4.4135, 0.7929, 2.4258])
    x, T = np.array([0.0, 2.0, 26.0]), np.array([38.86, 38.86, 31.0])
    for t in (1.0, 39.0, 104.0):
        np.testing.assert_allclose(
            bgnbd.alive_expected(theta, x, T, t),
            bgnbd.quadrature_alive_expected(*theta, x, T, t),
            rtol=1e-7,
        )
    # a = 1 exactly is a removable pole of the closed form
    at_one = bgnbd.alive_expected(np.array([0.5, 5.0, 1.0, 2.0]), x, T, 52.0)
    assert np.all(np.isfinite(at_one))


def test_log_hyp2f1_survives_large_parameters() -> None:
    """Pareto/NBD's ₂F₁(r+s+x, s+1; r+s+x+1; z) with x in the hundreds overflows scipy."""
    a = np.array([500.0, 2000.0])
    got = log_hyp2f1(a, 1.6, a + 1.0, np.array([0.9, 0.99]))
    assert np.all(np.isfinite(got))
    small = log_hyp2f1(1.5, 0.8, 3.0, 0.4)
    assert small == pytest.approx(np.log(1.3008), abs=1e-3) or np.isfinite(small)
    theta = np.array([0.55, 10.6, 0.6, 11.7])
    big = paretonbd.p_alive(theta, np.array([400.0]), np.array([70.0]), np.array([78.0]))
    assert np.isfinite(big[0]) and 0 < big[0] <= 1


def test_gamma_gamma_q_at_most_one_falls_back_to_observed_means() -> None:
    x, m = np.array([0.0, 1.0, 3.0]), np.array([0.0, 20.0, 40.0])
    spend = gammagamma.expected_spend(np.array([2.0, 0.8, 10.0]), x, m, fallback=30.0)
    assert spend.tolist() == [30.0, 20.0, 40.0]
    normal = gammagamma.expected_spend(np.array([6.25, 3.74, 15.44]), x, m)
    assert np.all(normal > 0)


def test_too_few_repeaters_for_spend_model() -> None:
    with pytest.raises(ModelError, match="at least 20 repeat buyers"):
        gammagamma.fit(np.array([1.0] * 5 + [0.0] * 50), np.array([10.0] * 5 + [0.0] * 50))


def test_revenue_clv_never_negative_and_net_can_be() -> None:
    fit = FittedModel(
        "bgnbd", ("r", "alpha", "a", "b"), np.array([0.2426, 4.4135, 0.7929, 2.4258]),
        np.diag([0.05, 0.08, 0.2, 0.3]) ** 2, -1.0, 3, 3, True,
    )  # fmt: skip
    x, t_x, T, m = (np.array(v) for v in ([0.0, 2, 10], [0.0, 30, 37], [38.0, 38, 38], [0, 5, 60]))
    rev = clv.predict(fit, None, x, t_x, T, m, clv.Economics(None, 0.0, 0.008, 12))
    assert np.all(rev.clv >= 0) and np.all(rev.clv_low >= 0) and rev.value_kind == "revenue"
    net = clv.predict(fit, None, x, t_x, T, m, clv.Economics(0.3, 5.0, 0.008, 12))
    assert net.value_kind == "net"
    assert net.clv[1] < 0 < net.clv[2]  # 0.3 × 5 − 5 < 0: costs more than it brings
    assert np.all(net.clv_low <= net.clv) and np.all(net.clv <= net.clv_high)


def test_too_little_data_falls_back_to_labelled_empirical(tmp_path: Path) -> None:
    start = datetime(2025, 1, 1, tzinfo=UTC)
    rows = []
    for c in range(40):
        for k in range(1 + (c % 3 == 0)):
            rows.append((f"c{c}", start + timedelta(days=c * 3 + 40 * k), 20.0 + c))
    orders = pl.DataFrame(rows, schema=["customer_id", "ordered_at", "amount"], orient="row")
    db = load_orders(tmp_path / "small.db", orders)
    result = fit_run(db)
    rep = result.report
    assert rep["model"] == "empirical" and "empirical" in rep["model_label"]
    assert any("at least 100 customers and 30 repeat buyers" in w for w in rep["warnings"])
    eq = rep["customer_equity"]
    assert np.isfinite(eq["value"]) and eq["low"] <= eq["value"] <= eq["high"]


def test_intervals_match_exact_parameter_sampling() -> None:
    """The linearised bands against brute force: 200 parameter draws, each evaluated exactly."""
    from clvtui.model.registry import fit_purchase, module_for
    from clvtui.model.summary import cdnow_orders, summarise
    from tests.model.helpers import CDNOW_SAMPLE

    s = summarise(cdnow_orders(str(CDNOW_SAMPLE)), "1997-09-30")
    x, t_x, T, m = (s[c].to_numpy().astype(float) for c in ("x", "t_x", "T", "m"))
    fit = fit_purchase("bgnbd", x, t_x, T)
    econ = clv.Economics(None, 0.0, 0.008, 12)
    pred = clv.predict(fit, None, x, t_x, T, m, econ)
    mod = module_for("bgnbd")
    value = np.where(x > 0, m, m[x > 0].mean())
    exact = np.array(
        [
            mod.p_alive(th, x, t_x, T) * clv._discounted(mod, th, x, T, econ)[0] * value
            for th in fit.draws(200, seed=3)
        ]
    )
    lo, hi = np.percentile(exact, [5, 95], axis=0)
    sel = pred.clv > 1
    assert np.median(np.abs(pred.clv_low[sel] / lo[sel] - 1)) < 0.03
    assert np.median(np.abs(pred.clv_high[sel] / hi[sel] - 1)) < 0.03
    eq_lo, eq_hi = np.percentile(exact.sum(axis=1), [5, 95])
    assert pred.equity_low == pytest.approx(eq_lo, rel=0.02)
    assert pred.equity_high == pytest.approx(eq_hi, rel=0.02)


def test_non_convergence_is_a_clear_model_error() -> None:
    from clvtui.model.base import Rows, fit_likelihood

    rows = Rows.collapse(np.array([0, 1, 2, 5]), np.array([0, 3, 10, 20.0]), np.full(4, 30.0))
    bad = [np.full(4, np.nan), np.full(4, np.inf)]
    with pytest.raises(ModelError, match="did not converge from any starting point"):
        fit_likelihood(bgnbd.Likelihood(rows), "bgnbd", bad, rows.n_customers)
