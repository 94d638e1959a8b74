"""The value-concentration curve the Overview draws."""

from __future__ import annotations

import numpy as np
import pytest

from clvtui.insights.concentration import value_concentration


def test_the_curve_ends_at_exactly_100_percent() -> None:
    """100·c/c is 100.00000000000001 for this total: the share is taken first, so the curve
    ends at 100 exactly (the chart's axis then does not depend on the CPU's last bits)."""
    total = 950463.7458622389
    assert 100.0 * total / total != 100.0  # the trap this guards against
    values = np.array([total / 4, total / 4, total / 2])
    values[2] = total - values[0] - values[1]
    curve = value_concentration(values, steps=3)
    assert curve.value_pct[-1] == 100.0
    assert curve.customers_pct == pytest.approx([0.0, 100 / 3, 200 / 3, 100.0], rel=1e-12)
    assert curve.value_pct[1] == pytest.approx(50.0, rel=1e-12)  # the largest, half the total
    assert curve.value_pct[2] == pytest.approx(75.0, rel=1e-12)
