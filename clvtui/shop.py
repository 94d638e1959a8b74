"""The shop as one fit sees it: purchases up to as-of in one currency, summarised per customer.

Why a module of its own: reading, refusing and noting (too short a history, left-out
currencies, outlier orders) happen before any model is involved, and every later step of a fit
reads the same ``Shop``.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import polars as pl
import sqlite_utils

from clvtui.core.timefmt import as_of_date
from clvtui.errors import NoDataError
from clvtui.model.summary import (
    OUTLIER_RULE,
    ShopDays,
    capped_spend,
    epoch_day,
    summarise_shop,
)
from clvtui.report import Currencies, OutlierOrders, load_section
from clvtui.store.background import FollowUp, read_in_background
from clvtui.store.reads import coded_purchases, currency_report
from clvtui.store.run_people import customers_coded

MIN_HISTORY_WEEKS = 4  # shorter histories with repeat buyers are refused (see _enough_history)


@dataclass
class Shop:
    """The orders of one fit, summarised per customer as of ``end`` (what every step reads)."""

    orders: pl.DataFrame
    summary: pl.DataFrame
    shop_days: ShopDays  # second-purchase gaps and outlier days
    end: date
    cal_end: date
    currency: str
    m: np.ndarray  # spend per order with outliers capped
    currencies: Currencies
    outliers: OutlierOrders
    customer_codes: np.ndarray | None = None  # the orders' codes, kept by ``drop_orders``

    def drop_orders(self) -> None:
        """Let the orders go (~0.2 GB at a million customers: the predictions and the save
        need the summary only), keeping which customers' codes they held."""
        self.customer_codes = customers_coded(self.orders)
        self.orders = self.orders.clear()

    def coded_customers(self) -> np.ndarray | None:
        """The orders' distinct customer codes, ascending (the summary's rows), kept or found;
        None when the orders were read as texts (``store.run_people``)."""
        return self.customer_codes if self.orders.is_empty() else customers_coded(self.orders)

    @property
    def first_and_last_days(self) -> tuple[np.ndarray, np.ndarray]:
        """Each customer's first and last purchase day (days since the epoch)."""
        return self.summary["first_day"].to_numpy(), self.summary["last_day"].to_numpy()

    @property
    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """x, t_x, T as floats (weeks)."""
        x, t_x, T = (self.summary[c].to_numpy().astype(float) for c in ("x", "t_x", "T"))
        return x, t_x, T


def read_shop(
    db: sqlite_utils.Database,
    as_of: date | datetime | str | None,
    holdout_weeks: int | None,
    currency: str | None,
    warnings: list[str],
    step: Callable[[str, float], None],
) -> Shop:
    """The purchases up to as-of in one currency, summarised per customer; refuses a shop with
    nothing to fit or too short a history, and notes left-out currencies and outliers."""
    end = as_of_date(as_of)
    named_currency = currency is not None
    orders, ids = coded_purchases(db, until=end, currency=currency)
    if orders.height == 0:
        raise NoDataError(
            f"no purchases on or before {end}; nothing to fit"
            if end is not None
            else "no purchases in the database; import orders first"
        )
    last_day = orders.select(pl.col("ordered_at").max().dt.date()).item()  # not 2.9 M dates
    if not isinstance(last_day, date):  # never: the frame has at least one purchase
        raise NoDataError("no purchase dates to fit")
    end = end or last_day
    step("summarising customers", 0.1)
    summary, shop_days = summarise_shop(orders, end, holdout_weeks, ids)
    x, T = (summary[c].to_numpy().astype(float) for c in ("x", "T"))
    _enough_history(x, T, end)
    m, outlier_doc = capped_spend(summary, shop_days.outliers, epoch_day(end))
    mix = currency_report(db, orders, until=as_of, named=named_currency)
    notes = mix.pop("warnings")
    warnings += [str(n) for n in notes] if isinstance(notes, list) else []
    if outlier_doc["orders"]:
        warnings.append(
            f"{outlier_doc['orders']:,} outlier order(s) ({outlier_doc['revenue_share']:.1%} of "
            "revenue) were capped for the spend model; see outlier_orders"
        )
    return Shop(
        orders=orders, summary=summary, shop_days=shop_days, end=end,
        cal_end=end - timedelta(weeks=holdout_weeks) if holdout_weeks else end,
        currency=mix["currency"], m=m, currencies=load_section(Currencies, mix),
        outliers=load_section(OutlierOrders, outlier_doc | {"rule": OUTLIER_RULE}),
    )  # fmt: skip


def read_shop_in_background(
    db: sqlite_utils.Database,
    as_of: date | datetime | str | None,
    holdout_weeks: int | None,
    currency: str | None,
    then: FollowUp[Any] | None = None,
) -> Future[tuple[Shop, list[str]]]:
    """``read_shop`` on a second connection in a thread, with the warnings it noted (and
    ``then``, a side read the same thread makes once the shop is handed over).

    Why: reading and summarising the orders is SQLite and polars (native code that lets go of
    the interpreter), while the model code a fit imports next (statsmodels with scipy and
    pandas, ~1 s at a cold start) is Python holding it; side by side on two cores the import
    costs no wall time. This module imports neither, so the thread starts at once.
    """

    def read(conn: sqlite_utils.Database) -> tuple[Shop, list[str]]:
        notes: list[str] = []
        return read_shop(conn, as_of, holdout_weeks, currency, notes, lambda _s, _f: None), notes

    return read_in_background(db, read, then=then)


def _enough_history(x: np.ndarray, T: np.ndarray, end: date) -> None:
    """Refuse to turn a few days of repeat orders into a year's forecast.

    Two days in which 40 % of customers came back would be extrapolated to ~140 orders a year
    each (every model agrees with the data on a rate; none can say it lasts). With no repeat
    buyer at all nothing is extrapolated (the empirical floor of 0 is said plainly), so only
    a shop with repeat buyers and under MIN_HISTORY_WEEKS of orders is refused.
    """
    span = float(T.max()) if T.size else 0.0
    if np.any(x > 0) and span < MIN_HISTORY_WEEKS:
        first = end - timedelta(days=round(span * 7))
        days = round(span * 7) + 1
        raise NoDataError(
            f"only {days} day{'' if days == 1 else 's'} of orders ({first} – {end}): too short "
            f"to forecast a customer's next year; clvtui needs at least {MIN_HISTORY_WEEKS} "
            "weeks of order history — import older orders, or fit again later"
        )
