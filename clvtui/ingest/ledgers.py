"""Sources where lines and refunds are rows of their own: Square, PayPal, UCI Online Retail.

Here amounts must be parsed *per row* and then combined per order (summing item lines,
subtracting refund rows), so one bad line rejects its whole order: storing the other lines'
sum would invent a smaller order.
"""

from __future__ import annotations

import polars as pl

from clvtui.ingest.normalise import (
    COST_COLUMNS,
    Normalised,
    finish,
    first_reason,
    normalise_status,
    required,
)
from clvtui.ingest.read import ROW
from clvtui.ingest.sources import Context, lazy_ensure, mapped_costs, minor_columns, money_and_time

_REFUND = r"(?i)refund|rückzahlung|erstattung|remboursement|reembolso"
# PayPal credit rows that are money moving between the merchant's own accounts, not sales
_NOT_SALE = (
    r"(?i)withdrawal|transfer|deposit|conversion|account hold|reserve|fee|bank|"
    r"reversal|chargeback|adjustment|auszahlung|einzahlung|umrechnung"
)
# UCI stock codes that are not what a customer bought (community-documented; see README)
UCI_NOT_SALE = ["BANK CHARGES", "AMAZONFEE", "CRUK", "B", "S"]


def _lines(df: pl.DataFrame, key: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(good lines, rejects): a bad line rejects every line of its order, naming the bad row."""
    bad_orders = (
        df.filter(pl.col("reason").is_not_null())
        .group_by(key)
        .agg(pl.col(ROW).min().alias("_bad_row"))
    )
    df = df.join(bad_orders, on=key, how="left", nulls_equal=False)
    cascaded = pl.when(pl.col("reason").is_null() & pl.col("_bad_row").is_not_null()).then(
        pl.format("another line of order '{}' was rejected (row {})", pl.col(key), "_bad_row")
    )
    df = df.with_columns(reason=pl.coalesce("reason", cascaded)).drop("_bad_row")
    rejects = df.filter(pl.col("reason").is_not_null()).select(ROW, "reason")
    return df.filter(pl.col("reason").is_null()), rejects


def _combine(
    lines: pl.DataFrame, payments: pl.Expr, refunds_key: str
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Sum payment lines per order and refund lines per original order.

    Returns (orders with ``refunded_minor`` applied, refunds whose order is not in the file).
    """
    pay = lines.filter(payments)
    costs = [c for c in COST_COLUMNS if c in pay.columns]  # per line: the order's is their sum
    summed = ("order_id", ROW, "amount_minor", "refunded_minor", *costs)
    first = [c for c in pay.columns if c not in summed]
    orders = pay.group_by("order_id", maintain_order=True).agg(
        pl.col(ROW).min(),
        *[pl.col(c).first(ignore_nulls=True) for c in first],
        pl.col("amount_minor").sum(),
        pl.col("refunded_minor").fill_null(0).sum(),
        *[pl.col(c).sum() for c in costs],
    )
    back = (
        lines.filter(~payments)
        .group_by(refunds_key)
        .agg((-pl.col("amount_minor")).sum().alias("_refund"), pl.col(ROW).min().alias("_rrow"))
        .rename({refunds_key: "order_id"})
    )
    orders = orders.join(back.select("order_id", "_refund"), on="order_id", how="left")
    orders = orders.with_columns(
        refunded_minor=pl.col("refunded_minor") + pl.col("_refund").fill_null(0)
    ).drop("_refund")
    orphans = back.join(orders.select("order_id"), on="order_id", how="anti").select(
        "order_id", pl.col("_refund").alias("refunded_minor"), pl.col("_rrow").alias(ROW)
    )
    return orders, orphans


def square(frame: pl.LazyFrame, ctx: Context) -> Normalised:
    """Items (one row per item: Net Sales + Tax) or transactions (Total Collected) files.

    ``Event Type=Refund`` rows carry negative amounts and the paid transaction's id; they become
    that order's refund. No currency column: the ``$``/``£``/``€`` of the amounts decides.
    Customer ids are empty for most walk-in buyers: such orders keep no identity.
    """
    frame = lazy_ensure(frame, "tax", "type", "status", "refunded")
    df = frame.collect(engine="streaming")
    df, reasons, decimal = money_and_time(df, ctx, money=("amount", "tax", "refunded"))
    df, inexact = minor_columns(df, ctx, "amount", "tax", "refunded", *mapped_costs(ctx))
    df = df.with_columns(
        first_reason(
            reasons[0], required("amount", ctx.label("amount"), "an amount"), *reasons[1:], inexact
        ),
        amount_minor=pl.col("amount_minor") + pl.col("tax_minor").fill_null(0),
        status=normalise_status(pl.col("status")),
    )
    good, rejects = _lines(df, "order_id")
    refund = pl.col("type").str.contains(_REFUND).fill_null(False)
    orders, orphans = _combine(good, ~refund, "order_id")
    stage = orders.with_columns(reason=pl.lit(None, dtype=pl.Utf8))
    out, _ = finish(stage)
    return Normalised(out, rejects, refunds=orphans, decimal=decimal)


def paypal(frame: pl.LazyFrame, ctx: Context) -> Normalised:
    """Activity rows: sales (Credit), refunds (negative, ``Reference Txn ID`` → the sale),
    memos (authorisations, holds: kept as ``memo``, never purchases) and the merchant's own
    money movements (withdrawals, transfers, conversions: skipped and counted).
    """
    frame = lazy_ensure(frame, "type", "status", "balance_impact", "reference_id")
    df = frame.collect(engine="streaming")
    df, reasons, decimal = money_and_time(df, ctx, money=("amount",))
    df, inexact = minor_columns(df, ctx, "amount", *mapped_costs(ctx))
    df = df.with_columns(
        first_reason(
            reasons[0], required("amount", ctx.label("amount"), "an amount"), *reasons[1:], inexact
        ),
        refunded_minor=pl.lit(0, dtype=pl.Int64),
    )
    impact = pl.col("balance_impact").str.to_lowercase().fill_null("")
    ptype = pl.col("type").fill_null("")
    is_memo = impact == "memo"
    negative_linked = (pl.col("amount_minor") < 0) & pl.col("reference_id").is_not_null()
    is_refund = ~is_memo & (ptype.str.contains(_REFUND) | negative_linked)
    not_sale = (
        ~is_memo & ~is_refund & (ptype.str.contains(_NOT_SALE) | (pl.col("amount_minor") <= 0))
    )
    df = df.with_columns(_kind=pl.when(is_memo).then(pl.lit("memo"))
                         .when(is_refund).then(pl.lit("refund"))
                         .when(not_sale).then(pl.lit("skip"))
                         .otherwise(pl.lit("sale")))  # fmt: skip
    skipped_rows = df.filter((pl.col("_kind") == "skip") & pl.col("reason").is_null())
    skipped = {
        f"not a sale: {t or 'debit'}": n
        for t, n in skipped_rows.group_by("type").len().sort("len", descending=True).iter_rows()
    }
    df = df.filter(pl.col("_kind") != "skip")
    good, rejects = _lines(df, "order_id")
    good = good.with_columns(
        status=pl.when(pl.col("_kind") == "memo")
        .then(pl.lit("memo"))
        .otherwise(normalise_status(pl.col("status"))),
        amount_minor=pl.when(pl.col("_kind") == "memo")
        .then(pl.col("amount_minor").abs())
        .otherwise(pl.col("amount_minor")),
        reference_id=pl.coalesce("reference_id", "order_id"),
    )
    orders, orphans = _combine(good, pl.col("_kind") != "refund", "reference_id")
    out, _ = finish(orders.drop("_kind").with_columns(reason=pl.lit(None, dtype=pl.Utf8)))
    return Normalised(out, rejects, refunds=orphans, skipped=skipped, decimal=decimal)


def online_retail(frame: pl.LazyFrame, ctx: Context) -> Normalised:
    """UCI Online Retail I/II: one row per line, order total = Σ Quantity × UnitPrice (GBP).

    Invoices starting with ``C`` (any case) are cancellations of earlier lines: stored as
    ``cancelled`` with their (negative) total, never purchases, since the data does not say which
    invoice they cancel. Postage (POST, DOT, C2), manual (M) and discount (D) lines are part of
    what the customer paid; bank charges, Amazon fees, CRUK commission, bad-debt adjustments (B)
    and samples (S) are not sales and are skipped (counted). Invoices whose total is not positive
    are stored as ``adjustment``. ``CustomerID`` like ``17850.0`` is read as ``17850``.
    """
    frame = lazy_ensure(frame, "sku", "product", "currency")
    df = frame.collect(engine="streaming")
    df = df.with_columns(currency=pl.coalesce("currency", pl.lit(ctx.spec.default_currency)))
    df, reasons, decimal = money_and_time(df, ctx, money=("unit_price",))
    qty_ok = pl.col("quantity").str.contains(r"^[+-]?\d+(\.0+)?$")
    qty = pl.col("quantity").str.replace(r"\.0+$", "").cast(pl.Int64, strict=False)
    qty_reason = pl.when(pl.col("quantity").is_null()).then(
        pl.lit(f"column '{ctx.label('quantity')}' is empty; expected a whole number")
    ).when(~qty_ok).then(
        pl.format("column '{}': expected a whole number, got '{}'",
                  pl.lit(ctx.label("quantity")), pl.col("quantity"))
    )  # fmt: skip
    df = df.with_columns(
        first_reason(reasons[0], qty_reason,
                     required("unit_price", ctx.label("unit_price"), "a price"), *reasons[1:]),
        _line_u=qty * pl.col("unit_price_u"),
    )  # fmt: skip
    sku = pl.col("sku").str.to_uppercase().fill_null("")
    fee = sku.is_in(UCI_NOT_SALE) | pl.col("order_id").str.starts_with("A").fill_null(False)
    skipped_n = df.filter(fee & pl.col("reason").is_null()).height
    df = df.filter(~fee)
    good, rejects = _lines(df, "order_id")
    orders = good.group_by("order_id", maintain_order=True).agg(
        pl.col(ROW).min(),
        *[
            pl.col(c).first(ignore_nulls=True)
            for c in ("customer_id", "when", "ordered_at_raw", "currency", "country", "product")
        ],
        pl.col("_line_u").sum(),
    )
    # Σ qty × price has up to 3 decimals: round half away from zero to pence (GBP).
    total = pl.col("_line_u")
    pence = pl.when(total >= 0).then((total + 5) // 10).otherwise(-((-total + 5) // 10))
    cancelled = pl.col("order_id").str.to_uppercase().str.starts_with("C")
    orders = orders.with_columns(
        amount_minor=pence,
        refunded_minor=pl.lit(0, dtype=pl.Int64),
        status=pl.when(cancelled)
        .then(pl.lit("cancelled"))
        .when(pence <= 0)
        .then(pl.lit("adjustment"))
        .otherwise(pl.lit("completed")),
        reason=pl.lit(None, dtype=pl.Utf8),
    ).drop("_line_u")
    out, _ = finish(orders)
    skipped = {"not a sale: bank charges, fees, bad-debt adjustments, samples": skipped_n}
    return Normalised(
        out, rejects, skipped={k: v for k, v in skipped.items() if v}, decimal=decimal
    )
