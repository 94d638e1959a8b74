"""Group sums that are the same on every run (polars' parallel group-by sums were not)."""

from __future__ import annotations

import numpy as np
import polars as pl

from clvtui.core.group_sums import sums_by
from clvtui.insights.segments import TIERS, risk_matrix


def _scored(n: int = 400_000) -> pl.DataFrame:
    rng = np.random.default_rng(11)
    return pl.DataFrame({
        "tier": rng.choice(list(TIERS), n),
        "risk": rng.choice(["active", "at risk", "likely lost"], n),
        "clv": rng.lognormal(3.0, 2.0, n),
        "p_alive": rng.uniform(0.0, 1.0, n),
    })  # fmt: skip


def test_sums_by_counts_and_adds_each_group_in_row_order() -> None:
    frame = pl.DataFrame({"tier": ["a", "b", "a", None, "b", "a"],
                          "clv": [1.0, 2.0, 0.1, 5.0, None, 0.2]})  # fmt: skip
    out = sums_by(frame, ["tier"], ["clv"])
    assert out["tier"].to_list() == ["a", "b", None]  # first appearance; null is a group
    assert out["customers"].to_list() == [3, 2, 1]
    assert out["clv"].to_list() == [(1.0 + 0.1) + 0.2, 2.0, 5.0]  # exact, row order


def test_the_risk_matrix_is_the_same_to_the_last_bit_every_time() -> None:
    scored = _scored()
    first = risk_matrix(scored)
    assert all(risk_matrix(scored).equals(first) for _ in range(8))
    # and agrees with a plain sum to float precision (1e-12 relative)
    cell = scored.filter((pl.col("tier") == "Profitable") & (pl.col("risk") == "at risk"))
    got = first.filter((pl.col("tier") == "Profitable") & (pl.col("risk") == "at risk"))
    assert abs(got["clv_total"][0] / float(np.sum(cell["clv"].to_numpy())) - 1) < 1e-12
    assert got["customers"][0] == cell.height


def test_allowable_cpa_is_the_same_to_the_last_bit_every_time() -> None:
    """``segments``, ``budget`` and ``actions`` print it: its per-tier means changed in their
    last digits between two runs of one command (a group-by's mean, threads in any order)."""
    from clvtui.insights.acquisition import WEEKS_PER_MONTH, allowable_cpa
    from clvtui.settings import Settings

    rng = np.random.default_rng(5)
    scored = _scored().with_columns(
        spend=pl.Series(rng.lognormal(4.0, 1.0, 400_000)),
        orders=pl.Series(rng.integers(1, 9, 400_000)),
        T=pl.Series(rng.uniform(1.0, 150.0, 400_000)),
    )
    settings = Settings.from_mapping({"margin": 0.4, "cost_per_order": 2.0})
    first = allowable_cpa(scored, settings)
    assert all(allowable_cpa(scored, settings).equals(first) for _ in range(8))
    # and each tier's mean is the plain mean to float precision (1e-12 relative)
    tier = scored.filter(pl.col("tier") == "Profitable")
    mean_tenure = float(np.mean(tier["T"].to_numpy())) / WEEKS_PER_MONTH
    got = first.filter(pl.col("name") == "Profitable")
    assert got["customers"][0] == tier.height
    lifetime = mean_tenure + settings.horizon_months
    assert abs(got["lifetime_months"][0] / lifetime - 1) < 1e-12
