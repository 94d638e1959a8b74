"""Per-group row counts and sums that come out the same, to the last bit, on every run.

polars' group-by adds each group's partial sums in whichever order its threads finish, so a
float total (a tier's CLV, the plan's revenue by tier) could differ in its last digits between
two runs of the same command on the same data: a JSON output that changes while nothing did.
Here each group's values are added in row order (``numpy.bincount``), for the few groups the
reports show and a fit stores (``run_segments``). In ``core``: the store uses it too.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl


def sums_by(
    frame: pl.DataFrame, by: Sequence[str], columns: Sequence[str], count: str = "customers"
) -> pl.DataFrame:
    """One row per group of ``by`` (in order of first appearance): ``count`` rows and the sum
    of each of ``columns`` (nulls count as zero, as in polars' sum)."""
    listed = (
        frame.select(by)
        .with_row_index("_row")
        .group_by(by, maintain_order=True)  # groups in order of first appearance
        .agg(pl.col("_row"))
    )
    groups = listed.drop("_row")
    rows = listed.get_column("_row")
    index = np.empty(frame.height, dtype=np.int64)  # each row's group
    index[rows.explode().to_numpy()] = np.repeat(
        np.arange(listed.height), rows.list.len().to_numpy()
    )
    n = groups.height
    sums = [
        pl.Series(c, np.bincount(index, frame[c].fill_null(0.0).to_numpy(), minlength=n))
        for c in columns
    ]
    counts = pl.Series(count, np.bincount(index, minlength=n), dtype=pl.UInt32)
    return groups.with_columns(counts, *sums)
