"""How concentrated future value is: the share held by the top x % of customers.

Computed at fit time into the report (so the Overview draws the curve without reading every
customer) and by the Overview for runs stored before the report carried it.
"""

from __future__ import annotations

import numpy as np

from clvtui.report import ValueConcentration


def value_concentration(clv_values: np.ndarray, steps: int = 100) -> ValueConcentration:
    """Share of future value held by the top x % of customers (negative CLV counted as 0)."""
    # one copy, clipped and sorted in place: at 10 M customers each temporary is 80 MB
    values = np.nan_to_num(np.array(clv_values, dtype=float), copy=False)
    np.clip(values, 0.0, None, out=values)
    values.sort()
    values = values[::-1]
    n = values.size
    if n == 0:
        return ValueConcentration(customers_pct=[], value_pct=[], top10_share=0.0)
    cum = np.cumsum(values, out=values)  # the sorted values are not read again
    total = float(cum[-1]) or 1.0
    ks = [max(1, round(i * n / min(n, steps))) for i in range(1, min(n, steps) + 1)]
    return ValueConcentration(
        customers_pct=[0.0, *(100.0 * k / n for k in ks)],
        # the share first: the last point is then 100 exactly (100·c/c need not be)
        value_pct=[0.0, *(100.0 * (float(cum[k - 1]) / total) for k in ks)],
        top10_share=float(cum[max(1, n // 10) - 1]) / total,
    )
