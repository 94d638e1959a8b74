"""Per-source rules for exports with one order per row (or line items repeating the order).

Shopify, WooCommerce, Etsy, Stripe and the generic CSV. Ledger-like sources, where refunds and
line amounts arrive as their own rows (Square, PayPal, UCI Online Retail), live in
:mod:`clvtui.ingest.ledgers`. Each function takes the cleaned field frame (see
:func:`clvtui.ingest.normalise.clean_fields`) and returns a :class:`Normalised`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import polars as pl

from clvtui.core.money import currency_from_symbols
from clvtui.ingest.dates import DateRule, resolve_rule, utc_text
from clvtui.ingest.formats import COST_FIELDS, FormatSpec
from clvtui.ingest.normalise import (
    STAGE_COLUMNS,
    Normalised,
    column_decimal,
    email_key,
    ensure,
    finish,
    first_reason,
    group_orders,
    money_units,
    normalise_status,
    parse_when,
    required,
    to_minor,
)
from clvtui.ingest.read import ROW


@dataclass
class Context:
    """What a source function needs besides its rows: the spec and the file's column names."""

    spec: FormatSpec
    mapping: dict[str, str]
    naive_zone: str | None = None  # the user's --timezone for times that carry no zone

    @property
    def dates(self) -> DateRule:
        """The source's date rule, with the user's zone for zone-less times if given."""
        if self.naive_zone is None:
            return self.spec.dates
        return replace(self.spec.dates, naive_zone=self.naive_zone)

    def label(self, fld: str) -> str:
        """The file's column for a field (reject reasons name the user's column, not ours)."""
        column = self.mapping.get(fld, fld)
        return column[1:] if column.startswith("=") else column


def mapped_costs(ctx: Context) -> tuple[str, ...]:
    """The cost fields (discount, shipping, fee) this file carries: parsed like the amount."""
    return tuple(f for f in COST_FIELDS if f in ctx.mapping)


def lazy_ensure(frame: pl.LazyFrame, *fields: str) -> pl.LazyFrame:
    """Absent optional fields as null text, on a lazy frame."""
    names = frame.collect_schema().names()
    missing = [pl.lit(None, dtype=pl.Utf8).alias(f) for f in fields if f not in names]
    return frame.with_columns(missing) if missing else frame


@dataclass(frozen=True)
class Decisions:
    """Per-file choices made once on the whole file, so slices are parsed consistently."""

    decimal: str
    rule: DateRule
    currency: str | None  # the currency to assume when the file has no currency column


def decide(df: pl.DataFrame, ctx: Context, money: tuple[str, ...]) -> Decisions:
    """Decimal mark, day order and implied currency of this file."""
    df = ensure(df, *money, "currency", "ordered_at")
    decimal = column_decimal(df, list(money), ctx.spec.decimal)
    currency = None
    if df.get_column("currency").null_count() == df.height:
        currency = ctx.spec.default_currency or "USD"
        if "amount" in df.columns:
            currency = currency_from_symbols(df.get_column("amount"), currency)
    return Decisions(decimal, resolve_rule(df.get_column("ordered_at"), ctx.dates), currency)


def in_slices(
    df: pl.DataFrame, step: Callable[[pl.DataFrame], pl.DataFrame], size: int = 400_000
) -> pl.DataFrame:
    """Apply a row-wise step slice by slice: bounds the intermediate columns' memory."""
    if df.height <= size:
        return step(df)
    return pl.concat([step(part) for part in df.iter_slices(size)], how="vertical_relaxed")


def money_and_time(
    df: pl.DataFrame,
    ctx: Context,
    *,
    money: tuple[str, ...] = ("amount", "refunded"),
    decisions: Decisions | None = None,
) -> tuple[pl.DataFrame, list[pl.Expr], str]:
    """Parse the money fields (to ``<field>_u``, 1/1000 units), currency and ``when``.

    Returns the frame, the reject reasons in check order, and the decimal mark used.
    """
    money = (*money, *[f for f in mapped_costs(ctx) if f not in money])
    decisions = decisions or decide(df, ctx, money)
    df = ensure(df, *money, "currency")
    decimal = decisions.decimal
    reasons: list[pl.Expr] = []
    if decisions.currency is not None:
        df = df.with_columns(currency=pl.lit(decisions.currency))
    df = parse_when(df, decisions.rule, ctx.label("ordered_at"), ctx.label("timezone"))
    reasons.append(pl.col("_date_reason"))
    for fld in money:
        units, reason = money_units(df, fld, ctx.label(fld), decimal)
        df = df.with_columns(units.alias(f"{fld}_u"))
        reasons.append(reason)
    currency = pl.col("currency").str.to_uppercase()
    reasons.append(
        pl.when(~currency.str.contains(r"^[A-Z]{3}$")).then(
            pl.format(
                "column '{}': expected an ISO currency code like USD, got '{}'",
                pl.lit(ctx.label("currency")),
                pl.col("currency"),
            )
        )
    )
    return df.with_columns(currency=currency), reasons, decimal


def minor_columns(df: pl.DataFrame, ctx: Context, *fields: str) -> tuple[pl.DataFrame, pl.Expr]:
    """``<field>_u`` → ``<field>_minor`` in the row's currency, with a reason when inexact."""
    checks = []
    for fld in fields:
        minor, inexact = to_minor(pl.col(f"{fld}_u"), pl.col("currency"))
        df = df.with_columns(minor.alias(f"{fld}_minor"), inexact.alias(f"_{fld}_inexact"))
        checks.append(
            pl.when(pl.col(f"_{fld}_inexact")).then(
                pl.format(
                    "column '{}': more decimals than {} has, got '{}'",
                    pl.lit(ctx.label(fld)),
                    pl.col("currency"),
                    pl.col(fld),
                )
            )
        )
    return df, pl.coalesce(checks)


def _stage(df: pl.DataFrame, reasons: list[pl.Expr]) -> pl.DataFrame:
    """Attach the first failing reason, renaming money columns to their stored names."""
    out = df.with_columns(first_reason(*reasons))
    if "refunded_minor" in out.columns:
        out = out.with_columns(pl.col("refunded_minor").fill_null(0))
    return out


def shopify(frame: pl.LazyFrame | list[pl.DataFrame], ctx: Context) -> Normalised:
    """Line items share ``Name``; order fields sit on the first row only → first non-empty.

    Key on ``Id`` when present, else ``Name``. A non-empty ``Cancelled at`` means cancelled;
    ``Refunded Amount`` is subtracted; Email, else Phone, is the identity (no customer id).

    ``frame`` may also be the reader's list of batches already reduced to one row per order
    (contiguous orders): they are then normalised one by one and released as they go, which
    keeps the import's peak memory near one copy of the orders.
    """
    fields = ("order_id", "order_name", "cancelled_at", "status", "amount", "refunded")
    key = "order_name" if "order_name" in ctx.mapping else "order_id"
    if isinstance(frame, list):
        parts = frame
    else:
        parts = [group_orders(lazy_ensure(frame, *fields), key)]
        del frame
    parts[:] = [ensure(p, *fields, "currency", "ordered_at") for p in parts]
    sample = pl.concat(
        [p.select("amount", "refunded", "currency", "ordered_at") for p in parts],
        how="vertical_relaxed",
    )
    decisions = decide(sample, ctx, ("amount", "refunded"))
    del sample
    stages = []
    while parts:  # consume the batches: each is freed once normalised
        part = parts.pop(0).with_columns(order_id=pl.coalesce("order_id", "order_name"))
        stages.append(in_slices(part, lambda p: _shopify_step(p, ctx, decisions, key)))
        del part
    stage = pl.concat(stages, how="vertical_relaxed")
    stages.clear()
    orders, rejects = finish(stage)
    return Normalised(orders, rejects, decimal=decisions.decimal)


def _shopify_step(part: pl.DataFrame, ctx: Context, decisions: Decisions, key: str) -> pl.DataFrame:
    part, reasons, _ = money_and_time(part, ctx, decisions=decisions)
    part, inexact = minor_columns(part, ctx, "amount", "refunded", *mapped_costs(ctx))
    status = normalise_status(pl.col("status"))
    part = part.with_columns(
        status=pl.when(pl.col("cancelled_at").is_not_null())
        .then(pl.lit("cancelled"))
        .otherwise(status)
    )
    checks = [
        required("order_id", ctx.label(key), "an order number"),
        reasons[0],
        required("amount", ctx.label("amount"), "an amount"),
        *reasons[1:],
        inexact,
    ]
    return _stage(part, checks).select(
        [c for c in STAGE_COLUMNS if c in part.columns or c == "reason"]
    )


def _name_or_first_last() -> pl.Expr:
    """The full-name column, else "first last" (exports carry one or the other, or both)."""
    first_last = pl.concat_str(["first_name", "last_name"], separator=" ", ignore_nulls=True)
    return pl.coalesce("name", first_last.replace("", None))


def woocommerce(frame: pl.LazyFrame, ctx: Context) -> Normalised:
    """Plugin exports: one row per order (or per line item, order fields repeated).

    ``customer_id`` 0 means a guest: identity falls back to ``customer_email``, else (guest
    checkouts leave it empty) ``billing_email``. Statuses may
    carry a ``wc-`` prefix; WebToffee packs line items and coupons as ``name:…|…`` text.
    """
    frame = lazy_ensure(frame, "first_name", "last_name", "name", "status", "product")
    frame = lazy_ensure(frame, "discount_code", "email", "billing_email")
    df = group_orders(frame, "order_id")
    df = df.with_columns(
        email=pl.coalesce(email_key(pl.col("email")), email_key(pl.col("billing_email"))),
        name=_name_or_first_last(),
        product=pl.coalesce(pl.col("product").str.extract(r"name:([^|]+)"), "product"),
        discount_code=pl.coalesce(
            pl.col("discount_code").str.extract(r"code:([^|;]+)"), "discount_code"
        ),
        status=normalise_status(pl.col("status")),
    )
    return _simple(df, ctx)


def etsy(frame: pl.LazyFrame, ctx: Context) -> Normalised:
    """One row per order; overlapping monthly downloads repeat orders (grouped by Order ID).

    A filled ``Adjusted Order Total`` below the total is a refund of the difference. Etsy has no
    e-mail: the buyer's user id is the identity. ``SKU`` may list several; the first is kept.
    """
    frame = lazy_ensure(frame, "adjusted_amount", "first_name", "last_name", "name", "status")
    frame = lazy_ensure(frame, "product")
    df = group_orders(frame, "order_id")
    df = df.with_columns(
        name=_name_or_first_last(),
        product=pl.col("product").str.split(",").list.first().str.strip_chars(),
        status=normalise_status(pl.col("status")),
    )
    df, reasons, decimal = money_and_time(df, ctx, money=("amount", "adjusted_amount"))
    df, inexact = minor_columns(df, ctx, "amount", "adjusted_amount", *mapped_costs(ctx))
    df = df.with_columns(
        refunded_minor=pl.when(pl.col("adjusted_amount_minor") < pl.col("amount_minor"))
        .then(pl.col("amount_minor") - pl.col("adjusted_amount_minor"))
        .otherwise(0)
    )
    stage = _stage(
        df,
        [
            required("order_id", ctx.label("order_id"), "an order id"),
            reasons[0],
            required("amount", ctx.label("amount"), "an amount"),
            *reasons[1:],
            inexact,
        ],
    )
    orders, rejects = finish(stage)
    return Normalised(orders, rejects, decimal=decimal)


def stripe(frame: pl.LazyFrame, ctx: Context) -> Normalised:
    """One row per charge, amounts in major units, times naive UTC, currency lower case.

    The export includes failed and uncaptured charges: ``Captured=false`` is stored as
    ``uncaptured`` and does not count; ``Amount Refunded`` may be partial.
    """
    frame = lazy_ensure(frame, "captured", "status")
    df = group_orders(frame, "order_id")
    captured = pl.col("captured").str.to_lowercase()
    df = df.with_columns(
        status=pl.when(captured.is_in(["false", "no", "0"]))
        .then(pl.lit("uncaptured"))
        .otherwise(normalise_status(pl.col("status")))
    )
    return _simple(df, ctx)


def generic(frame: pl.LazyFrame, ctx: Context) -> Normalised:
    """Customer, date, amount (+ optional order id, currency, status, refund).

    Rows sharing an order id are line items of one order and their amounts are summed. Without
    an order id each row is an order keyed by its content — identity, UTC time, amount and the
    occurrence number among identical rows — so re-importing the same file changes nothing.
    """
    frame = lazy_ensure(frame, "status", "order_id", "customer_id", "email", "phone")
    df = frame.collect(engine="streaming")
    df, reasons, decimal = money_and_time(df, ctx)
    df, inexact = minor_columns(df, ctx, "amount", "refunded", *mapped_costs(ctx))
    who = pl.coalesce(pl.col("customer_id"), email_key(pl.col("email")))
    checks = [
        reasons[0],
        required("amount", ctx.label("amount"), "an amount"),
        *reasons[1:],
        inexact,
    ]
    df = df.with_columns(
        first_reason(*checks),
        status=normalise_status(pl.col("status")),
        _who=who,
    )
    rejects = df.filter(pl.col("reason").is_not_null()).select(ROW, "reason")
    good = df.filter(pl.col("reason").is_null())
    occurrence = pl.int_range(1, pl.len() + 1).over(["_who", "when", "amount_minor"])
    content_key = pl.format(
        "k:{}|{}|{}|{}",
        pl.col("_who").fill_null("-"),
        utc_text(pl.col("when")),
        pl.col("amount_minor"),
        occurrence,
    )
    good = good.with_columns(order_id=pl.coalesce(pl.col("order_id"), content_key))
    summed = ["amount_minor", "refunded_minor", *[f"{f}_minor" for f in mapped_costs(ctx)]]
    others = [c for c in good.columns if c not in ("order_id", *summed)]
    good = good.group_by("order_id", maintain_order=True).agg(
        *[pl.col(c).first(ignore_nulls=c != ROW) for c in others],
        pl.col("amount_minor").sum(),
        pl.col("refunded_minor").fill_null(0).sum(),
        *[pl.col(c).sum() for c in summed[2:]],  # a line's discount/fee is part of its order's
    )
    orders, _ = finish(good.with_columns(reason=pl.lit(None, dtype=pl.Utf8)))
    return Normalised(orders, rejects, decimal=decimal)


def _simple(df: pl.DataFrame, ctx: Context) -> Normalised:
    """Money, time, currency and finish for sources with one clean row per order."""
    decisions = decide(df, ctx, ("amount", "refunded"))
    stage = in_slices(df, lambda part: _simple_step(part, ctx, decisions))
    del df
    orders, rejects = finish(stage)
    return Normalised(orders, rejects, decimal=decisions.decimal)


def _simple_step(df: pl.DataFrame, ctx: Context, decisions: Decisions) -> pl.DataFrame:
    df, reasons, _ = money_and_time(df, ctx, decisions=decisions)
    df, inexact = minor_columns(df, ctx, "amount", "refunded", *mapped_costs(ctx))
    stage = _stage(
        df,
        [
            required("order_id", ctx.label("order_id"), "an order id"),
            reasons[0],
            required("amount", ctx.label("amount"), "an amount"),
            required("currency", ctx.label("currency"), "a currency code"),
            *reasons[1:],
            inexact,
        ],
    )
    return stage.select([c for c in STAGE_COLUMNS if c in stage.columns])
