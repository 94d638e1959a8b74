"""A simulated shop whose customers follow BG/NBD + Gamma-Gamma with known parameters.

Used three ways: ``clvtui demo`` (a shop to explore with no set-up), parameter-recovery tests
(fit the model on data whose truth we know), and benchmarks at any size.

The story each customer follows (Fader, Hardie & Lee 2005):
- first purchase at a uniformly random time in the acquisition window;
- while alive, purchases arrive as a Poisson process with rate λ ~ Gamma(r, α) per week;
- after every *repeat* purchase the customer drops out with probability p ~ Beta(a, b) — BG/NBD
  has no dropout right after the first purchase (its likelihood has the 1{x>0} term). With
  ``DemoParams.drop_after_first=True`` the coin is also flipped after the first purchase, which
  is the MBG/NBD story (Batislam et al. 2007); the first version of this module did that by
  accident, and a BG/NBD fit then found r ≈ 0.16 for a true 0.25 (z ≈ −24);
- each order's value is z ~ Gamma(p_spend, ν) with ν ~ Gamma(q, γ) per customer.

Customer attributes (country, channel, first product, discount code) are drawn *after* λ, with
probabilities that depend on λ's rank, so the ideal-customer profile has something real to find
while the marginal distribution of λ stays exactly Gamma(r, α) — the truth the fit must recover.

Shapes (``simulate_shape``, ``clvtui demo --shape``): real shops rarely look like the textbook,
so the demo can also build the awkward ones the engine must survive — nobody leaves
(gamma-Poisson, the NBD), regular subscription-like buyers, one wholesale customer with huge
orders, only one-time buyers, and one day of history. The corpus tests and benchmarks use them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl

WEEK_SECONDS = 7 * 24 * 3600
ORDER_COLUMNS = [
    "customer_id", "email", "name", "country", "channel", "product", "discount_code",
    "order_id", "ordered_at", "amount", "currency",
]  # fmt: skip

COUNTRIES = ["US", "GB", "DE", "CA", "AU", "FR", "NL"]
COUNTRY_WEIGHTS = [0.42, 0.16, 0.12, 0.1, 0.08, 0.07, 0.05]
CHANNELS = ["organic search", "paid social", "email", "referral", "marketplace"]
PRODUCTS = ["Coffee beans", "Tea", "Brewing gear", "Gift box", "Subscription starter"]
FIRST_NAMES = [
    "Ada", "Ben", "Chloe", "Dev", "Elena", "Farid", "Grace", "Hugo", "Iris", "Jonas", "Keiko",
    "Liam", "Maya", "Noah", "Olga", "Priya", "Quinn", "Rosa", "Sam", "Tariq", "Uma", "Vera",
    "Wei", "Yara", "Zoe",
]  # fmt: skip
LAST_NAMES = [
    "Abbott", "Berg", "Costa", "Dubois", "Evans", "Fischer", "García", "Hughes", "Ito", "Jensen",
    "Kowalski", "Larsen", "Müller", "Nakamura", "O'Neill", "Patel", "Rossi", "Smith", "Tanaka",
    "Van Dijk", "Weber", "Young",
]  # fmt: skip


@dataclass(frozen=True)
class DemoParams:
    """True parameters of the simulated shop (time unit: weeks; money: major units)."""

    r: float = 0.25
    alpha: float = 4.0
    a: float = 0.8
    b: float = 2.5
    p: float = 6.0
    q: float = 3.8
    gamma: float = 15.0
    n_customers: int = 5_000
    start: datetime = datetime(2025, 1, 1, tzinfo=UTC)
    acquisition_weeks: float = 26.0
    end: datetime = datetime(2026, 6, 30, 23, 59, 59, tzinfo=UTC)
    currency: str = "USD"
    drop_after_first: bool = False  # True: MBG/NBD story (dropout possible after purchase one)
    dropout: bool = True  # False: nobody ever leaves (gamma-Poisson / NBD)

    @property
    def weeks(self) -> float:
        """Length of the observation window in weeks."""
        return (self.end - self.start).total_seconds() / WEEK_SECONDS


def simulate_orders(
    params: DemoParams | None = None,
    seed: int = 0,
    clock: tuple[np.ndarray, np.ndarray] | None = None,
) -> pl.DataFrame:
    """One row per order of every simulated customer, sorted by time.

    Columns: customer_id, email, name, country, channel, product, discount_code, order_id,
    ordered_at (UTC), amount (2 decimals), currency. Times are continuous (second resolution);
    several orders can fall on one day, as in real shops.

    ``clock`` = (calendar weeks, operational weeks), increasing: the story runs in operational
    time and is mapped back to the calendar (the seasonal shop, ``clvtui.demo.seasonal``).
    """
    params = params or DemoParams()
    rng = np.random.default_rng(seed)
    n = params.n_customers
    lam = rng.gamma(params.r, 1.0 / params.alpha, n)
    drop = rng.beta(params.a, params.b, n) if params.dropout else np.zeros(n)
    nu = rng.gamma(params.q, 1.0 / params.gamma, n)
    birth = rng.uniform(0.0, params.acquisition_weeks, n)
    cal, op = clock if clock is not None else (np.array([0.0, 1.0]), np.array([0.0, 1.0]))
    end = float(np.interp(params.weeks, cal, op)) if clock is not None else params.weeks
    birth = np.interp(birth, cal, op) if clock is not None else birth

    who, when = _purchase_times(rng, lam, drop, birth, end, params.drop_after_first)
    when = np.interp(when, op, cal) if clock is not None else when
    amount = np.maximum(np.round(rng.gamma(params.p, 1.0 / nu[who]), 2), 0.01)

    order = np.argsort(when, kind="stable")
    who, when, amount = who[order], when[order], amount[order]
    seconds = np.floor(when * WEEK_SECONDS).astype("int64")
    start_us = int(params.start.timestamp()) * 1_000_000
    ordered_at = pl.Series("ordered_at", start_us + seconds * 1_000_000, dtype=pl.Int64).cast(
        pl.Datetime("us", "UTC")
    )

    customers = _customer_attributes(rng, lam)
    orders = pl.DataFrame({"idx": who.astype("int64"), "amount": amount}).with_columns(
        ordered_at, order_id=(pl.int_range(pl.len()) + 1001).cast(pl.Utf8)
    )
    return (
        orders.join(customers, on="idx", how="left")
        .with_columns(currency=pl.lit(params.currency))
        .select(ORDER_COLUMNS)
    )


def _purchase_times(
    rng: np.random.Generator,
    lam: np.ndarray,
    drop: np.ndarray,
    birth: np.ndarray,
    end: float,
    drop_after_first: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised BG/NBD story: purchase, exponential wait, repeat purchase, coin flip, ..."""
    idx = np.arange(len(lam))
    t = birth.copy()
    whos, whens = [idx], [t]
    first = True
    while idx.size:
        if drop_after_first or not first:
            alive = rng.random(idx.size) >= drop[idx]
            idx, t = idx[alive], t[alive]
        first = False
        t = t + rng.exponential(1.0, idx.size) / lam[idx]
        inside = t < end
        idx, t = idx[inside], t[inside]
        whos.append(idx)
        whens.append(t)
    return np.concatenate(whos), np.concatenate(whens)


def _customer_attributes(rng: np.random.Generator, lam: np.ndarray) -> pl.DataFrame:
    """Identity and attributes; channel and product lean with the purchase rate's rank."""
    n = len(lam)
    rank = np.argsort(np.argsort(lam)) / max(n - 1, 1)  # 0 = slowest buyer, 1 = fastest
    # Email and referral customers buy more often; paid social and marketplace less.
    tilt = np.array([0.0, -1.0, 1.2, 0.8, -0.6])
    channel = _choose_tilted(rng, rank, np.array([0.35, 0.25, 0.15, 0.1, 0.15]), tilt)
    product = _choose_tilted(
        rng, rank, np.array([0.4, 0.2, 0.15, 0.15, 0.1]), np.array([0.2, 0.0, 0.3, -1.0, 1.0])
    )
    country = rng.choice(len(COUNTRIES), n, p=COUNTRY_WEIGHTS)
    first = rng.integers(0, len(FIRST_NAMES), n)
    last = rng.integers(0, len(LAST_NAMES), n)
    discounted = rng.random(n) < 0.2 + 0.15 * (1 - rank)  # deal seekers buy less often
    first_name = pl.Series(np.array(FIRST_NAMES)[first])
    number = pl.int_range(1, n + 1, eager=True).cast(pl.Utf8)
    return (
        pl.DataFrame(
            {
                "idx": np.arange(n, dtype="int64"),
                "customer_id": "C" + number.str.zfill(7),
                "email": first_name.str.to_lowercase() + "." + number + "@example.com",
                "name": first_name + " " + pl.Series(np.array(LAST_NAMES)[last]),
                "country": np.array(COUNTRIES)[country],
                "channel": np.array(CHANNELS)[channel],
                "product": np.array(PRODUCTS)[product],
                "discounted": discounted,
            }
        )
        .with_columns(
            discount_code=pl.when(pl.col("discounted")).then(pl.lit("WELCOME10")).otherwise(None)
        )
        .drop("discounted")
    )


def _choose_tilted(
    rng: np.random.Generator, rank: np.ndarray, base: np.ndarray, tilt: np.ndarray
) -> np.ndarray:
    """Draw a category per customer; weights base·exp(tilt·(rank − ½)), normalised per row."""
    weights = base[None, :] * np.exp(np.outer(rank - 0.5, tilt))
    cum = np.cumsum(weights / weights.sum(axis=1, keepdims=True), axis=1)
    u = rng.random(len(rank))[:, None]
    return np.minimum((u > cum).sum(axis=1), len(base) - 1)


SHAPES = (
    "standard", "steady", "no-dropout", "regular", "wholesale", "one-time", "one-day", "seasonal",
)  # fmt: skip
WHOLESALE_ID = "W0000001"


def simulate_shape(shape: str, params: DemoParams | None = None, seed: int = 0) -> pl.DataFrame:
    """Orders of a simulated shop of one of ``SHAPES`` (columns as ``simulate_orders``).

    - standard: the BG/NBD + Gamma-Gamma shop above (one 26-week cohort, as in CDNOW);
    - steady: the same story with new customers arriving all through the window, as in most
      real shops, so some first orders are only days old (recent one-time buyers);
    - no-dropout: the same buyers, but nobody ever leaves (the NBD; BG/NBD's a → 0 boundary);
    - regular: subscription-like buyers ordering every 2, 4 or 8 weeks (± half a day), who
      cancel with a 3 % chance after each order — far more regular than Poisson;
    - wholesale: the standard shop plus one trade customer with weekly orders of ~25,000;
    - one-time: every customer's first order only (nobody ever came back);
    - one-day: the standard shop's customers all buying on the last day, at different hours;
    - seasonal: the standard story in operational time with a known month-of-year pattern
      (``clvtui.demo.seasonal``; ``SEASONAL_PARAMS`` give it three years).
    """
    params = params or DemoParams()
    if shape not in SHAPES:
        raise ValueError(f"unknown demo shape {shape!r}; choose one of {', '.join(SHAPES)}")
    if shape == "no-dropout":
        return simulate_orders(replace(params, dropout=False), seed)
    if shape == "steady":
        return simulate_orders(replace(params, acquisition_weeks=params.weeks), seed)
    if shape == "seasonal":
        from clvtui.demo.seasonal import simulate_seasonal

        return simulate_seasonal(params, seed=seed)
    orders = simulate_orders(params, seed)
    if shape == "standard":
        return orders
    rng = np.random.default_rng(seed + 1)
    if shape == "one-time":
        return orders.unique("customer_id", keep="first", maintain_order=True)
    if shape == "one-day":
        firsts = orders.unique("customer_id", keep="first", maintain_order=True)
        day = int(params.end.timestamp()) // 86400 * 86400
        seconds = rng.integers(0, 86400, firsts.height)
        return firsts.with_columns(
            ordered_at=pl.Series((day + seconds) * 1_000_000).cast(pl.Datetime("us", "UTC"))
        ).sort("ordered_at")
    if shape == "regular":
        return _regular(orders, params, rng)
    return _with_wholesale(orders, params, rng)


def _regular(orders: pl.DataFrame, params: DemoParams, rng: np.random.Generator) -> pl.DataFrame:
    """Every customer's first order, then a fixed-period subscription until they cancel."""
    firsts = orders.unique("customer_id", keep="first", maintain_order=True)
    start_us = int(params.start.timestamp()) * 1_000_000
    birth = (firsts["ordered_at"].dt.epoch("us").to_numpy() - start_us) / (WEEK_SECONDS * 1e6)
    period = rng.choice([2.0, 4.0, 8.0], firsts.height, p=[0.2, 0.6, 0.2])
    who, when = [np.arange(firsts.height)], [birth]
    idx, t = np.arange(firsts.height), birth.copy()
    while idx.size:
        keep = rng.random(idx.size) >= 0.03
        idx, t = idx[keep], t[keep] + period[idx[keep]]
        jitter = t + rng.normal(0.0, 0.5 / 7.0, idx.size)
        inside = jitter < params.weeks
        idx, t = idx[inside], t[inside]
        who.append(idx)
        when.append(jitter[inside])
    w, tt = np.concatenate(who), np.concatenate(when)
    seconds = np.floor(tt * WEEK_SECONDS).astype("int64")
    base = firsts.drop("order_id", "ordered_at", "amount")[w]
    return (
        base.with_columns(
            ordered_at=pl.Series(start_us + seconds * 1_000_000).cast(pl.Datetime("us", "UTC")),
            amount=pl.Series(np.round(rng.gamma(6.0, 5.0, len(w)), 2)),
        )
        .sort("ordered_at")
        .with_columns(order_id=(pl.int_range(pl.len()) + 1001).cast(pl.Utf8))
        .select(ORDER_COLUMNS)
    )


def _with_wholesale(
    orders: pl.DataFrame, params: DemoParams, rng: np.random.Generator
) -> pl.DataFrame:
    """The shop plus one trade customer: an order of ~25,000 nearly every week."""
    weeks = np.arange(1.0, params.weeks - 1.0)
    weeks = weeks[rng.random(weeks.size) < 0.8] + rng.uniform(0, 1, 1)[0]
    start_us = int(params.start.timestamp()) * 1_000_000
    trade = pl.DataFrame(
        {
            "customer_id": WHOLESALE_ID,
            "email": "buyer@trade.example.com",
            "name": "Trade Buyer Ltd",
            "country": "GB",
            "channel": "referral",
            "product": "Coffee beans",
            "discount_code": None,
            "order_id": [f"W{i + 1:05d}" for i in range(weeks.size)],
            "ordered_at": pl.Series(start_us + (weeks * WEEK_SECONDS * 1e6).astype("int64")).cast(
                pl.Datetime("us", "UTC")
            ),
            "amount": np.round(rng.gamma(25.0, 1000.0, weeks.size), 2),
            "currency": params.currency,
        },
        schema_overrides={"discount_code": pl.Utf8},
    )
    return pl.concat([orders, trade.select(ORDER_COLUMNS)]).sort("ordered_at")


def write_demo_export(
    path: str | Path,
    fmt: str = "shopify",
    params: DemoParams | None = None,
    seed: int = 0,
    shape: str = "standard",
) -> Path:
    """Simulate a shop (of ``shape``) and write its orders as a real-looking export of ``fmt``.

    Names and e-mails look real, so the file is treated like a real export: its folder is
    created user-only if missing, and it is written whole, 0600, through a partial file beside
    it (an earlier demo export at ``path`` is replaced: the demo is rebuilt on every run).
    """
    from clvtui.demo.shop_exports import write_export
    from clvtui.safewrite import atomic_write, private_folder

    path = Path(path)
    orders = simulate_shape(shape, params, seed)
    private_folder(path.parent)
    with atomic_write(path, force=True) as partial:
        write_export(orders, partial.path, fmt, seed=seed)
    return path


def demo_start_text(params: DemoParams) -> str:
    """The window the demo covers, for messages ('Jan 2025 – Jun 2026')."""
    return f"{params.start:%b %Y} – {(params.end - timedelta(seconds=1)):%b %Y}"
