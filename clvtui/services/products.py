"""Product value of a fitted run (``clvtui products``, the Products screen, the tier
drill-down, the customer detail, and the Actions' cross-sell suggestion).

Values (CLV, repeat purchases, tiers) are the run's, tiers by today's rule (``services.tiers``);
the lines are the stored order lines of purchases up to the run's as-of date. A run fitted from
a summary file, or a shop whose exports carried no line items, gets a plain message instead of
empty tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl
import sqlite_utils

from clvtui.core.group_sums import sums_by
from clvtui.insights.products import ProductRules

if TYPE_CHECKING:
    from clvtui.core.order_masks import ShopMasks
    from clvtui.store.order_lines import PurchaseCodes

NO_LINES = (
    "products need order lines: import an export that lists line items (Shopify, WooCommerce, "
    "Square items, PayPal, UCI Online Retail, or a CSV with a product column)"
)
FROM_SUMMARY = (
    "this run was fitted from a customer summary file, which has no orders and so no products; "
    "products need order lines (import the shop's order export and fit again)"
)


EMPTY_LINES = pl.DataFrame(
    schema={"customer_id": pl.Utf8, "order_key": pl.Utf8, "ordered_at": pl.Utf8, "product": pl.Utf8}
)


@dataclass
class ProductReport:
    """Entry products, the journey and affinity of one run (``message`` set: none of them)."""

    run_id: int
    currency: str
    tier: str | None = None
    message: str | None = None
    customers_with_lines: int = 0
    entry: pl.DataFrame = field(default_factory=pl.DataFrame)
    journey: pl.DataFrame = field(default_factory=pl.DataFrame)
    median_days_to_second: float | None = None
    second_order_customers: int = 0
    pairs: pl.DataFrame = field(default_factory=pl.DataFrame)
    rules: ProductRules = field(default_factory=ProductRules)


@dataclass
class RunLines:
    """A run's values with tiers, and the purchase lines of its customers: as a frame
    (``given``), or as read by :func:`run_lines` (``coded``; the frame made when asked for),
    or only as the masks the store keeps (``store.buyer_masks``: neither, no lines needed)."""

    run_id: int
    currency: str
    values: pl.DataFrame  # customer_id, clv, x, tier, risk
    given: pl.DataFrame | None  # customer_id, order_key, ordered_at, product
    message: str | None
    coded: PurchaseCodes | None = None  # its people are ``values``' ids, in order
    _masks: list[ShopMasks | None] = field(default_factory=list, repr=False)
    _rows: list[np.ndarray] = field(default_factory=list, repr=False)

    @property
    def lines(self) -> pl.DataFrame:
        """customer_id (categorical), order_key, ordered_at, product: one row per line
        (the general path's input; the bit-mask path needs none)."""
        if self.given is None:
            self.given = EMPTY_LINES if self.coded is None else self.coded.frame()
        return self.given

    def masks(self) -> ShopMasks | None:
        """The lines as bit masks (built once; None: more products than a mask holds)."""
        from clvtui.core.order_masks import coded_shop_masks, shop_masks

        if not self._masks:
            c = self.coded
            self._masks.append(
                shop_masks(self.lines) if c is None
                else coded_shop_masks(c.order, c.product, c.customer, c.ordered_at, c.people)
            )  # fmt: skip
        return self._masks[0]

    def value_rows(self) -> np.ndarray:
        """Each of ``values``' rows' customer's row in :meth:`masks` (-1: no lines)."""
        shop = self.masks()
        if shop is None:
            raise ValueError("no masks: more products than a mask holds")
        if not self._rows and self.coded is not None:  # the masks' codes are values' rows
            rows = np.full(self.values.height, -1, dtype=np.int64)
            rows[shop.code] = np.arange(shop.code.size)
            self._rows.append(rows)
        if not self._rows:
            self._rows.append(shop.rows_of(self.values.get_column("customer_id")))
        return self._rows[0]


def run_lines(db: sqlite_utils.Database, run_id: int | None = None) -> RunLines:
    """The run's values and its customers' purchase lines up to its as-of date."""
    from clvtui.services.product_codes import coded_lines
    from clvtui.services.runs import load_context
    from clvtui.store.buyer_masks import stored_masks
    from clvtui.store.order_lines import has_lines, read_purchase_codes, run_from_summary
    from clvtui.store.run_people import kept_codes
    from clvtui.store.run_scores import latest_run_id, scores_columns

    rid = latest_run_id(db) if run_id is None else run_id
    kept_run = kept_codes(db.conn, rid)  # the fit's: the run's ids gathered, not decoded
    ctx = load_context(db, ["x"], run_id=rid, ids=kept_run is None)
    as_of = f"{ctx.as_of.isoformat()}T23:59:59Z"
    from_summary, lines = run_from_summary(db, ctx.run_id), has_lines(db)
    if lines and not from_summary and kept_run is not None:
        coded = coded_lines(db, ctx.scored, kept_run, as_of)
        if coded is not None:
            return RunLines(ctx.run_id, ctx.currency, *coded)
    if kept_run is not None:  # stale codes: the ids as they were always read
        ids = scores_columns(db, rid, ["customer_id"]).to_series()
        ctx = replace(ctx, scored=ctx.scored.with_columns(ids))
    values = ctx.scored.select("customer_id", "clv", "x", "tier", "risk")
    if from_summary:
        return RunLines(ctx.run_id, ctx.currency, values, EMPTY_LINES, FROM_SUMMARY)
    if not lines:
        return RunLines(ctx.run_id, ctx.currency, values, EMPTY_LINES, NO_LINES)
    kept = stored_masks(db, as_of)  # every buyer's masks, made at import: no lines to read
    if kept is not None:
        shop, rows = kept.of_people(values.get_column("customer_id"))
        found = None if shop.code.size else NO_LINES
        return RunLines(ctx.run_id, ctx.currency, values, None, found, None, [shop], [rows])
    codes = read_purchase_codes(db, as_of, people=values.get_column("customer_id"))
    found = None if codes.order.size else NO_LINES
    return RunLines(ctx.run_id, ctx.currency, values, None, found, coded=codes)


def product_report(
    db: sqlite_utils.Database,
    run_id: int | None = None,
    *,
    tier: str | None = None,
    rules: ProductRules | None = None,
    data: RunLines | None = None,
) -> ProductReport:
    """Entry products, journey and affinity of a run (of one tier's customers with ``tier``)."""
    rules = rules or ProductRules()
    data = data or run_lines(db, run_id)
    report = ProductReport(data.run_id, data.currency, tier, data.message, rules=rules)
    if data.message is not None:
        return report
    values = data.values
    shop = data.masks()
    if shop is None and data.coded is not None:
        return report_by_baskets(report, data, tier)
    if shop is None:
        part = values if tier is None else values.filter(pl.col("tier") == tier)
        return report_by_joins(report, data.lines, part, tier is not None)
    from clvtui.insights import mask_products as fast

    return _fill(report, fast, *_of_tier(shop, values, data.value_rows(), tier))


def report_by_baskets(report: ProductReport, data: RunLines, tier: str | None) -> ProductReport:
    """:func:`product_report` of a catalogue too big for bit masks, from the read's codes
    (sparse customer × product matrices: no frame of text lines)."""
    from clvtui.insights import coded_products as wide

    codes, values = data.coded, data.values
    if codes is None:
        raise ValueError("no codes: the lines were given as a frame")
    shop = wide.shop_baskets(codes.order, codes.product, codes.customer, codes.ordered_at)
    rows = np.full(values.height, -1, dtype=np.int64)
    rows[shop.code] = np.arange(shop.code.size)  # the codes are values' rows
    return _fill(report, wide, *_of_tier(shop, values, rows, tier))


def _of_tier(shop: Any, values: pl.DataFrame, rows: np.ndarray, tier: str | None) -> tuple:
    """``shop`` (bit masks or sparse baskets), ``values`` and each value row's shop row (-1:
    no lines), kept to one tier's customers when ``tier`` is given."""
    if tier is None:
        return shop, values, rows
    chosen = (values.get_column("tier") == tier).to_numpy()
    values, rows = values.filter(pl.Series(chosen)), rows[chosen]
    keep = np.zeros(shop.code.size, dtype=bool)
    keep[rows[rows >= 0]] = True
    shop, moved = shop.part(keep)
    return shop, values, np.where(rows >= 0, moved[rows], -1)


def _fill(
    report: ProductReport, paths: Any, shop: Any, values: pl.DataFrame, rows: np.ndarray
) -> ProductReport:
    """The report's entry products, journey and pairs by ``paths`` (``mask_products`` or
    ``coded_products``: the same three functions on their own kind of shop)."""
    rules = report.rules
    report.customers_with_lines = shop.code.size
    report.entry = paths.entry_products(shop, values, rules, rows)
    report.journey, report.median_days_to_second, report.second_order_customers = paths.journey(
        shop, rules.top
    )
    report.pairs = paths.affinity(shop, rules.min_pair_customers).head(rules.top)
    return report


def report_by_joins(
    report: ProductReport, lines: pl.DataFrame, values: pl.DataFrame, part: bool
) -> ProductReport:
    """:func:`product_report` by the general joins (catalogues too big for bit masks)."""
    from clvtui.insights import products as ins

    rules = report.rules
    if part:
        lines = lines.join(
            ins.keyed_like(values.select("customer_id"), lines), on="customer_id", how="semi"
        )
    report.customers_with_lines = lines.select(pl.col("customer_id").n_unique()).item()
    firsts = ins.first_orders(lines)
    report.entry = ins.entry_products(lines, values, rules, firsts)
    report.journey, report.median_days_to_second, report.second_order_customers = ins.journey(
        lines, rules.top, firsts
    )
    report.pairs = ins.affinity(ins.customer_products(lines), rules.min_pair_customers).head(
        rules.top
    )
    return report


def best_next_products(
    db: sqlite_utils.Database,
    run_id: int | None = None,
    customers: list[str] | None = None,
    *,
    rules: ProductRules | None = None,
    data: RunLines | None = None,
) -> pl.DataFrame:
    """Per customer (all, or ``customers``), the product they have not bought with the highest
    lift: customer_id, next_product, lift, because. Affinity is measured on the whole shop.
    Empty when the shop has no lines."""
    from clvtui.insights import products as ins

    rules = rules or ProductRules()
    data = data or run_lines(db, run_id)
    wanted = pl.Series(customers, dtype=pl.Utf8) if customers is not None else None
    shop = data.masks()
    if shop is not None:
        from clvtui.insights import mask_products as fast

        pairs = fast.affinity(shop, rules.min_pair_customers)
        return fast.best_next_products(shop, pairs, wanted)
    if data.coded is not None:
        from clvtui.services.product_codes import best_next_from_codes

        return best_next_from_codes(data, rules, wanted)
    bought = ins.customer_products(data.lines)
    pairs = ins.affinity(bought, rules.min_pair_customers)
    return ins.best_next_products(bought, pairs, wanted)


@dataclass
class TierProducts:
    """The tier drill-down's products: its entry products (against the tier's own average)
    and the best next products of its customers, most customers first."""

    report: ProductReport
    next_products: pl.DataFrame  # next_product, customers, mean_lift


def tier_products(
    db: sqlite_utils.Database, run_id: int | None, tier: str, rules: ProductRules | None = None
) -> TierProducts:
    """Products of one tier's customers (affinity measured on the whole shop)."""
    rules = rules or ProductRules(min_customers=5)
    data = run_lines(db, run_id)
    report = product_report(db, tier=tier, rules=rules, data=data)
    if report.message is not None:
        return TierProducts(report, pl.DataFrame())
    ids = data.values.filter(pl.col("tier") == tier).get_column("customer_id").to_list()
    best = best_next_products(db, customers=ids, rules=rules, data=data)
    return TierProducts(report, next_product_counts(best, rules.top))


def next_product_counts(best: pl.DataFrame, top: int) -> pl.DataFrame:
    """The ``top`` next products most of ``best``'s customers should be offered, with their
    mean lift: a row-order sum ÷ count (``sums_by``), as a group-by's mean varied in its
    last digits from run to run."""
    return (
        sums_by(best.select("next_product", "lift"), ["next_product"], ["lift"])
        .select("next_product", "customers", mean_lift=pl.col("lift") / pl.col("customers"))
        .sort(["customers", "next_product"], descending=[True, False])
        .head(top)
    )


@dataclass
class CustomerProducts:
    """One customer's order lines and their best next product (None: no product stands out)."""

    lines: list[dict[str, Any]]
    best_next: dict[str, Any] | None


def customer_products(
    db: sqlite_utils.Database, customer_id: str, rules: ProductRules | None = None
) -> CustomerProducts:
    """The customer detail's products: their lines, newest first, and the product they have
    not bought with the highest lift against one they have (lift on the whole shop)."""
    from clvtui.store.order_lines import has_lines, read_purchase_lines

    own = customer_lines(db, customer_id)
    if not own or not has_lines(db):
        return CustomerProducts(own, None)
    return CustomerProducts(own, best_next_of(read_purchase_lines(db), customer_id, rules))


def best_next_of(
    lines: pl.DataFrame, customer_id: str, rules: ProductRules | None = None
) -> dict[str, Any] | None:
    """One customer's best next product — next_product, lift, because, customers — from
    every customer's ``lines`` (None: no product with lift > 1 against one of theirs)."""
    from clvtui.core.order_masks import shop_masks
    from clvtui.insights import products as ins

    rules = rules or ProductRules()
    shop = shop_masks(lines)
    if shop is None:
        bought = ins.customer_products(lines)
        mine = bought.filter(pl.col("customer_id") == customer_id).get_column("product")
        best = ins.next_for(bought, mine.to_list(), rules.min_pair_customers)
        return best.row(0, named=True) if best.height else None
    from clvtui.insights import mask_products as fast

    pairs = fast.affinity(shop, rules.min_pair_customers)
    found = fast.best_next_products(shop, pairs, pl.Series([customer_id], dtype=pl.Utf8))
    if not found.height:
        return None
    row = found.row(0, named=True)
    both = sorted((row["next_product"], row["because"]))
    pair = pairs.filter((pl.col("product_a") == both[0]) & (pl.col("product_b") == both[1]))
    return {
        "next_product": row["next_product"],
        "lift": row["lift"],
        "because": row["because"],
        "customers": pair.get_column("customers").item(),
    }


def customer_lines(db: sqlite_utils.Database, customer_id: str) -> list[dict[str, Any]]:
    """One customer's order lines, newest order first (the customer detail)."""
    from clvtui.store.order_lines import order_lines_of

    return order_lines_of(db, customer_id)


def report_json(report: ProductReport) -> dict[str, Any]:
    """The ``clvtui products --json`` document."""
    from clvtui.insights.jsonsafe import json_ready

    def rows(frame: pl.DataFrame) -> list[dict[str, Any]]:
        return list(frame.iter_rows(named=True))

    return json_ready(
        {
            "run_id": report.run_id,
            "currency": report.currency,
            "tier": report.tier,
            "message": report.message,
            "customers_with_lines": report.customers_with_lines,
            "rules": {
                "min_customers": report.rules.min_customers,
                "min_pair_customers": report.rules.min_pair_customers,
            },
            "entry_products": rows(report.entry),
            "journey": {
                "median_days_to_second_order": report.median_days_to_second,
                "customers_with_second_order": report.second_order_customers,
                "transitions": rows(report.journey),
            },
            "affinity": rows(report.pairs),
        }
    )
