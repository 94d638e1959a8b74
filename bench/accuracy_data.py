"""The real transaction logs of the accuracy bench and the splits the literature uses on them.

Each data set loads as orders (customer_id, ordered_at in UTC, amount), the frame
``clvtui import`` produces; the bench imports it into a fresh database and fits it as
``clvtui fit --as-of A --holdout-weeks N`` does. Sources and licences: the README beside each
file in bench/data/ and fixtures/cdnow/.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from clvtui.model.summary import cdnow_orders

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "bench" / "data"


@dataclass(frozen=True)
class Published:
    """A figure from the literature for the same data and split: predicted and actual repeat
    purchases in the holdout, the per-customer correlation, and where it was published."""

    predicted: float
    actual: int
    corr: float | None
    source: str


@dataclass(frozen=True)
class Dataset:
    """A real transaction log and the split the literature uses on it."""

    name: str
    load: Callable[[], pl.DataFrame] | None  # orders: customer_id, ordered_at (UTC), amount
    as_of: str  # end of the holdout (the last day observed); "" = the last order day
    holdout_weeks: int
    about: str
    published: dict[str, Published] = field(default_factory=dict)
    source: Path | None = None  # a user's export, imported as is instead of ``load``


def grocery_orders(path: Path | None = None) -> pl.DataFrame:
    """BTYDplus ``groceryElog`` (``cust,date``): one row per purchase day, no amounts — every
    order is given amount 1 (the spend model plays no part in these figures)."""
    frame = pl.read_csv(
        path or DATA / "grocery" / "groceryElog.csv", schema_overrides={"cust": pl.Utf8}
    )
    return frame.select(
        customer_id="cust",
        ordered_at=pl.col("date").str.strptime(pl.Date, "%Y-%m-%d").cast(pl.Datetime("us", "UTC")),
        amount=pl.lit(1.0),
    )


CDNOW_PAPER = "Fader, Hardie & Lee 2005 (BG/NBD paper, fig. 3) and the Pareto/NBD notes"
DATASETS = {
    "cdnow-sample": Dataset(
        "cdnow-sample",
        lambda: cdnow_orders(str(ROOT / "fixtures" / "cdnow" / "CDNOW_sample.txt")),
        "1998-06-30",
        39,
        "CDNOW 1/10 sample, 2,357 customers, calibration 39 weeks to 1997-09-30",
        {
            "bgnbd": Published(1654, 1882, 0.626, CDNOW_PAPER),
            "paretonbd": Published(1665, 1882, 0.630, CDNOW_PAPER),
        },
    ),
    "cdnow-master": Dataset(
        "cdnow-master",
        lambda: cdnow_orders(str(DATA / "cdnow" / "CDNOW_master.txt")),
        "1998-06-30",
        39,
        "CDNOW full cohort, 23,570 customers, calibration 39 weeks to 1997-09-30",
    ),
    "grocery": Dataset(
        "grocery",
        grocery_orders,
        "2007-12-30",
        52,
        "online grocery (BTYDplus groceryElog), 1,525 customers, calibration 52 weeks "
        "to 2006-12-31",
    ),
    "grocery-13w": Dataset(
        "grocery-13w",
        grocery_orders,
        "2007-12-30",
        13,
        "the same grocery log, last quarter held out: 21 months of calibration (enough to "
        "estimate a seasonal pattern), holdout 2007-10-01 … 2007-12-30",
    ),
    "cdnow-master-13w": Dataset(
        "cdnow-master-13w",
        lambda: cdnow_orders(str(DATA / "cdnow" / "CDNOW_master.txt")),
        "1998-06-30",
        13,
        "CDNOW full cohort, last quarter held out: calibration 1997-01-01 … 1998-03-31, "
        "holdout 1998-04-01 … 1998-06-30",
    ),
}


def user_dataset(path: Path, holdout_weeks: int, as_of: str | None) -> Dataset:
    """Any export ``clvtui import`` reads (e.g. UCI Online Retail II .xlsx), split as given."""
    if not path.is_file():
        raise SystemExit(f"--data {path}: no such file")
    return Dataset(path.stem, None, as_of or "", holdout_weeks, f"{path.name}, imported as is",
                   source=path)  # fmt: skip
