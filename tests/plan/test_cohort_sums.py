"""The integer-code sums behind the cohort table and the planner equal the plain ones.

Customer codes come from 64-bit hashes checked by a second hash; colliding hashes (forced
here) must take the exact route. The (group, pair) sums must equal a per-customer loop in both
their dense and their sparse layout. And the commands stay off statsmodels (about a second of
start-up at 1 M customers).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from clvtui.insights import forecast
from clvtui.insights.cohort_sums import dense_codes
from clvtui.insights.forecast import group_sums, sorted_codes


def _same_partition(codes: np.ndarray, values: list[str]) -> None:
    by_value: dict[str, int] = {}
    for code, value in zip(codes.tolist(), values, strict=True):
        assert by_value.setdefault(value, code) == code
    assert len(set(by_value.values())) == len(by_value)  # distinct values, distinct codes
    assert sorted(set(codes.tolist())) == list(range(len(by_value)))  # dense


@pytest.mark.parametrize("collide", [False, True])
def test_customer_codes_are_one_per_customer_across_frames(collide: bool) -> None:
    orders = pl.Series(["b", "a", "c", "a", "b", "d"])
    scored = pl.Series(["a", "d", "e", "c"])
    hashes = np.zeros(10, dtype=np.uint64) if collide else None  # every value one hash
    (o, s), first = dense_codes(orders, scored, hashes=hashes)
    values = orders.to_list() + scored.to_list()
    _same_partition(np.concatenate([o, s]), values)
    assert all(values[first[c]] == v for c, v in zip(np.concatenate([o, s]), values, strict=True))


def test_sorted_codes_equal_numpy_unique() -> None:
    rng = np.random.default_rng(7)
    for n in (0, 1, 17, 5000):
        keys = rng.integers(-50, max(n // 4, 1), n).astype(np.int64)
        codes, first = sorted_codes(keys)
        _, want_first, want_codes = np.unique(keys, return_index=True, return_inverse=True)
        assert np.array_equal(codes, want_codes.ravel())
        assert np.array_equal(first, want_first)


@pytest.mark.parametrize("n_groups", [7, 200_000])  # the dense layout, then the sparse one
def test_group_sums_equal_a_loop_over_customers(n_groups: int) -> None:
    assert (n_groups * 6 > forecast.DENSE_CELLS) == (n_groups > 7)
    rng = np.random.default_rng(3)
    shares = rng.random((6, 4))
    pair = rng.integers(0, 6, 300)
    group = rng.integers(0, 5, 300)
    w1, w2 = rng.normal(size=300), rng.random(300)
    got = group_sums(shares, pair, group, n_groups, [(w1, 1), (w2, 2)])
    want = [np.zeros((7, 4)), np.zeros((7, 4))]
    for i in range(300):
        want[0][group[i]] += w1[i] * shares[pair[i]]
        want[1][group[i]] += w2[i] * shares[pair[i]] ** 2
    for g, w in zip(got, want, strict=True):
        assert g.shape == (n_groups, 4) and not g[7:].any()
        assert g[:7] == pytest.approx(w, rel=1e-12, abs=1e-12)


def test_cohorts_and_plan_do_not_import_statsmodels(fitted: Path) -> None:
    code = (
        "import sys\n"
        "from clvtui.services.cohorts import cohort_value\n"
        "from clvtui.services.plan import load_basis, plan\n"
        "from clvtui.store import open_db\n"
        f"db = open_db({str(fitted)!r}, readonly=True)\n"
        "cohort_value(db, by='channel').to_json()\n"
        "plan(load_basis(db), 1000.0, 12).to_json()\n"
        "heavy = sorted({n.split('.')[0] for n in sys.modules} & {'statsmodels', 'textual'})\n"
        "assert not heavy, heavy\n"
        "assert 'scipy.stats' not in sys.modules\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_a_shorter_plan_from_the_panel_equals_a_fresh_one(fitted: Path) -> None:
    """The Plan panel shortens the year's order paths for a 6-month plan: same figures as a
    plan computed from scratch, and a longer plan than a year still works."""
    from clvtui.services.plan import load_basis, plan
    from clvtui.store import open_db

    db = open_db(fitted, readonly=True)
    panel = load_basis(db)
    plan(panel, 1000.0, 12)
    shortened = plan(panel, 1000.0, 6).to_json()
    fresh = plan(load_basis(db), 1000.0, 6).to_json()
    assert shortened == fresh
    assert len(plan(panel, 1000.0, 18).to_json()["base"]["monthly"]) == 18
