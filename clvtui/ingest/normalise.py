"""The shared half of normalising: parsing helpers, rejects, statuses, identity.

Each source in :mod:`clvtui.ingest.sources` turns its rows into one *stage* frame per order
(columns in :data:`STAGE_COLUMNS`, a ``reason`` when the row cannot be used); :func:`finish`
then applies the rules every source shares, so they cannot drift apart:

- a row with a ``reason`` goes to rejects (file row number, reason naming column and
  expectation), never into orders;
- statuses map to a small vocabulary and ``is_purchase`` (completed/processing/partially
  refunded count; cancelled/failed/voided/pending/fully refunded are kept but do not count);
- identity = the shop's customer id (a guest's 0 or negative id is none), else the e-mail
  without spaces in lower case, else (Shopify) the phone; an order with none keeps
  ``customer_id`` NULL and is counted, never merged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

import polars as pl

from clvtui.core.money import _EXPONENTS, describe_expected, detect_decimal, money_series
from clvtui.ingest.dates import DateRule, to_utc, utc_text
from clvtui.ingest.read import ROW

SCALE = 3  # money is parsed to 1/1000 first, so 3-decimal currencies (KWD) parse exactly
ID_FIELDS = ("order_id", "order_name", "customer_id", "phone", "reference_id")

STAGE_COLUMNS = [
    ROW, "order_id", "customer_id", "email", "phone", "name", "when", "ordered_at_raw",
    "amount_minor", "refunded_minor", "currency", "status", "country", "channel", "product",
    "discount_code", "discount_minor", "shipping_minor", "fee_minor", "reason",
]  # fmt: skip

ORDER_COLUMNS = [
    ROW, "order_id", "customer_id", "email", "name", "ordered_at", "ordered_at_raw",
    "amount_minor", "refunded_minor", "currency", "status", "is_purchase", "country", "channel",
    "product", "discount_code", "discount_minor", "shipping_minor", "fee_minor",
]  # fmt: skip

#: Order-level costs in minor units; NULL where the export has no such column.
COST_COLUMNS = ("discount_minor", "shipping_minor", "fee_minor")

#: Source status words → the stored vocabulary.
STATUS = {
    "paid": "completed", "completed": "completed", "complete": "completed",
    "succeeded": "completed", "success": "completed", "shipped": "completed",
    "delivered": "completed", "fulfilled": "completed", "captured": "completed",
    "processing": "processing", "partially paid": "partially_paid",
    "authorized": "authorized", "authorised": "authorized",
    "partially refunded": "partially_refunded", "refunded": "refunded",
    "pending": "pending", "unpaid": "pending", "on hold": "on_hold", "open": "pending",
    "cleared": "completed", "uncleared": "pending", "held": "on_hold",
    "voided": "voided", "void": "voided", "expired": "expired",
    "cancelled": "cancelled", "canceled": "cancelled", "reversed": "cancelled",
    "failed": "failed", "denied": "failed", "declined": "failed", "blocked": "failed",
    "checkout draft": "draft", "draft": "draft", "trash": "cancelled",
    "abgeschlossen": "completed", "ausstehend": "pending", "storniert": "cancelled",
}  # fmt: skip

#: Stored statuses that count as purchases (authorized/partially paid: the customer committed).
PURCHASE_STATUSES = {
    "completed",
    "processing",
    "partially_refunded",
    "authorized",
    "partially_paid",
}


@dataclass
class Normalised:
    """What a source produced: orders to store, rejected rows, and what was set aside."""

    orders: pl.DataFrame
    rejects: pl.DataFrame  # ROW, reason
    refunds: pl.DataFrame = field(  # refunds whose order is not in this file: order_id, ...
        default_factory=lambda: pl.DataFrame(
            schema={"order_id": pl.Utf8, "refunded_minor": pl.Int64, ROW: pl.Int64}
        )
    )
    skipped: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    decimal: str = "."


def clean_fields(frame: pl.LazyFrame, mapping: dict[str, str]) -> pl.LazyFrame:
    """Mapped columns renamed to field names; trimmed text, empty → null, ids without ``'``."""
    exprs: list[pl.Expr] = [pl.col(ROW).cast(pl.Int64)]
    for fld, column in mapping.items():
        if column.startswith("="):
            exprs.append(pl.lit(column[1:], dtype=pl.Utf8).alias(fld))
            continue
        text = pl.col(column).cast(pl.Utf8).str.strip_chars()
        if fld in ID_FIELDS:
            text = text.str.strip_chars_start("'").str.strip_chars()
        exprs.append(pl.when(text.str.len_bytes() > 0).then(text).alias(fld))
    return frame.select(exprs)


def ensure(frame: pl.DataFrame, *fields: str) -> pl.DataFrame:
    """Add absent optional fields as null text so sources can refer to them uniformly."""
    missing = [pl.lit(None, dtype=pl.Utf8).alias(f) for f in fields if f not in frame.columns]
    return frame.with_columns(missing) if missing else frame


def money_units(
    frame: pl.DataFrame, fld: str, label: str, decimal: str
) -> tuple[pl.Series, pl.Expr]:
    """(units of 1/1000, reason when the text is not an amount) for a money field.

    The reason refers to the materialised ``<field>_u`` column (the caller adds it first).
    """
    units = money_series(frame.get_column(fld), decimal=decimal, scale=SCALE)
    bad = pl.col(fld).is_not_null() & pl.col(f"{fld}_u").is_null()
    reason = pl.when(bad).then(
        pl.format(
            "column '{}': expected {}, got '{}'",
            pl.lit(label),
            pl.lit(describe_expected(decimal)),
            pl.col(fld),
        )
    )
    return units, reason


def column_decimal(frame: pl.DataFrame, fields: list[str], default: str) -> str:
    """The file's decimal mark, judged on all of its money columns together."""
    present = [frame.get_column(f).drop_nulls().head(200_000) for f in fields if f in frame.columns]
    if not present:
        return default
    return detect_decimal(pl.concat(present), default=default)


def to_minor(units: pl.Expr, currency: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """1/1000 units → the currency's minor units; second expr true when digits were lost."""
    exponent = currency.replace_strict(_EXPONENTS, default=2, return_dtype=pl.Int64)
    step = pl.lit(10, dtype=pl.Int64).pow(SCALE - exponent)
    minor = units // step
    inexact = (units % step) != 0
    return minor, inexact


def required(fld: str, label: str, what: str) -> pl.Expr:
    """Reason for an empty required field."""
    return pl.when(pl.col(fld).is_null()).then(
        pl.lit(f"column '{label}' is empty; expected {what}")
    )


def parse_when(
    frame: pl.DataFrame, rule: DateRule, label: str, zone_label: str | None = None
) -> pl.DataFrame:
    """Add ``when`` (UTC) and its reject reason from ``ordered_at`` (+ ``time``, ``timezone``).

    Separate date and time columns are joined first; the raw text kept at rest joins all three.
    """
    frame = ensure(frame, "time", "timezone")
    text = pl.concat_str([pl.col("ordered_at"), pl.col("time")], separator=" ", ignore_nulls=True)
    frame = frame.with_columns(
        _when_text=text,
        ordered_at_raw=pl.concat_str(
            [pl.col("ordered_at"), pl.col("time"), pl.col("timezone")],
            separator=" ",
            ignore_nulls=True,
        ),
    )
    zone_col = "timezone" if frame.get_column("timezone").null_count() < frame.height else None
    when = to_utc(frame, "_when_text", rule, zone_col=zone_col)
    frame = frame.with_columns(when.alias("when")).drop("_when_text")
    expected = "a date like 2024-05-01 10:00:00 +0000, 05/01/2024 or 01.05.2024"
    if zone_col:
        expected += f" with a known zone in '{zone_label or 'Time Zone'}'"
    floor, latest = plausible_dates()
    reason = (
        pl.when(pl.col("ordered_at").is_null())
        .then(pl.lit(f"column '{label}' is empty; expected a date"))
        .when(pl.col("when").is_null())
        .then(
            pl.format(
                "column '{}': expected {}, got '{}'",
                pl.lit(label),
                pl.lit(expected),
                pl.col("ordered_at_raw"),
            )
        )
        .when(pl.col("when") < floor)
        .then(
            pl.format(
                "column '{}': expected an order date on or after {}, got '{}'",
                pl.lit(label),
                pl.lit(f"{floor:%Y-%m-%d}"),
                pl.col("ordered_at_raw"),
            )
        )
        .when(pl.col("when") >= latest)
        .then(
            pl.format(
                "column '{}': expected an order date no later than {} (tomorrow), got '{}'",
                pl.lit(label),
                pl.lit(f"{latest - timedelta(days=1):%Y-%m-%d}"),
                pl.col("ordered_at_raw"),
            )
        )
    )
    return frame.with_columns(_date_reason=reason)


#: Orders before this are typos or placeholders (0001-01-01), not a small shop's history.
EARLIEST_ORDER = date(1990, 1, 1)


def plausible_dates(today: date | None = None) -> tuple[datetime, datetime]:
    """[floor, limit) of believable order instants (UTC): 1990-01-01 up to the end of
    tomorrow. One day of slack covers shops whose zone is ahead of UTC; a year 2099 or 9999
    would otherwise become the "as of" date of every later fit."""
    today = today or datetime.now(UTC).date()
    floor = datetime.combine(EARLIEST_ORDER, time(), tzinfo=UTC)
    return floor, datetime.combine(today + timedelta(days=2), time(), tzinfo=UTC)


def first_reason(*reasons: pl.Expr) -> pl.Expr:
    """The first failing check of a row names its reject reason."""
    return pl.coalesce(*reasons).alias("reason")


def normalise_status(raw: pl.Expr) -> pl.Expr:
    """Source status text → stored vocabulary (unknown words kept, lower-cased)."""
    key = (
        raw.str.to_lowercase()
        .str.strip_chars()
        .str.replace(r"^wc-", "")
        .str.replace_all(r"[_\-]+", " ")
    )
    return key.replace_strict(STATUS, default=key.str.replace_all(" ", "_"), return_dtype=pl.Utf8)


def finish(stage: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(orders, rejects) from a source's stage frame: the rules all sources share."""
    stage = ensure(stage, *[c for c in STAGE_COLUMNS if c not in (ROW, "when")])
    bad = stage.get_column("reason").is_not_null()
    rejects = stage.filter(bad).select(ROW, "reason")
    good = stage.filter(~bad) if rejects.height else stage  # no copy in the common case
    email = email_key(pl.col("email"))
    customer = pl.col("customer_id").str.replace(r"^(\d+)\.0+$", "$1")
    guest = customer.str.contains(r"^[+-]?0*$|^-\d+$") | customer.is_in(["null", "none", "guest"])
    customer = pl.when(customer.str.contains("@")).then(email_key(customer)).otherwise(customer)
    customer = pl.when(~guest).then(customer)
    phone = pl.col("phone").str.replace_all(r"[^\d+]", "")
    phone = pl.when(phone.str.len_chars() >= 6).then("tel:" + phone)
    amount = pl.col("amount_minor")
    # A refund column is a magnitude whatever its sign: Shopify and Stripe write 10.00, Square's
    # Transactions export writes ($10.00). Taken as signed, a refund would add to net spend.
    refunded = pl.col("refunded_minor").fill_null(0).abs()
    status = pl.col("status").fill_null("completed")
    status = (
        pl.when((amount > 0) & (refunded >= amount) & status.is_in(list(PURCHASE_STATUSES)))
        .then(pl.lit("refunded"))
        .when((refunded > 0) & (refunded < amount) & (status == "completed"))
        .then(pl.lit("partially_refunded"))
        .otherwise(status)
    )
    orders = good.with_columns(
        customer_id=pl.coalesce(customer, email, phone),
        email=email,
        refunded_minor=refunded,
        status=status,
        ordered_at=utc_text(pl.col("when")),
        currency=pl.col("currency").str.to_uppercase().str.strip_chars(),
        # magnitudes whatever the sign: PayPal and Square write fees and discounts negative
        **{c: pl.col(c).cast(pl.Int64).abs() for c in COST_COLUMNS},
    ).with_columns(is_purchase=pl.col("status").is_in(list(PURCHASE_STATUSES)).cast(pl.Int64))
    return orders.select(ORDER_COLUMNS), rejects


def email_key(text: pl.Expr) -> pl.Expr:
    """An e-mail as an identity: no spaces anywhere, lower case; null unless it has an ``@``.

    ``Guest@Example.com `` and ``guest@example.com`` are one customer in every format.
    """
    key = text.str.replace_all(r"\s+", "").str.to_lowercase()
    return pl.when(key.str.contains("@")).then(key)


def group_orders(frame: pl.LazyFrame, key: str) -> pl.DataFrame:
    """Line-item rows → one row per order, keeping the row number of its first line.

    Order-level fields are filled on an order's first row (Shopify) or repeated on every row,
    so when each order's rows are contiguous — as exports write them — the first rows *are*
    the orders (a filter, ~10× cheaper than grouping). Otherwise (a re-sorted file,
    overlapping downloads appended) group and take each field's first non-empty value. Order
    totals are never summed over line rows.
    """
    df = frame.collect(engine="streaming")
    keys = df.get_column(key)
    starts = keys.ne_missing(keys.shift(1)).fill_null(True)
    n_starts = int(starts.sum())
    if n_starts == keys.n_unique():
        return df if n_starts == df.height else df.filter(starts)
    others = [c for c in df.columns if c not in (key, ROW)]
    return (
        df.lazy()
        .group_by(key, maintain_order=True)
        .agg(pl.col(ROW).min(), *[pl.col(c).first(ignore_nulls=True) for c in others])
        .collect()
    )
