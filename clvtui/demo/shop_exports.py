"""Write a simulated orders frame as a real-looking export of each supported format.

Used by the demo, tests and benchmarks: the file has the source's real header and its traps
(Shopify line-item rows with totals on the first row only and ``'``-prefixed phones, Stripe
lower-case currencies, Square ``$`` strings and Rails zones, PayPal zone abbreviations, UCI
lines), and a few cancelled / failed / fully refunded orders are added **on top of** the true
purchases — so importing the file gives back exactly the simulated purchases.

Input columns: customer_id, email, name, country, channel, product, discount_code, order_id,
ordered_at (Datetime UTC), amount (Float64 major units), currency.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from clvtui.demo.lines import order_lines
from clvtui.ingest.dates import utc_text


def _split(header: str) -> list[str]:
    """A header line as columns (kept as one string above: easy to compare with real files)."""
    return header.split(",")


HEADERS: dict[str, list[str]] = {
    "shopify": _split(
        "Name,Email,Financial Status,Paid at,Fulfillment Status,Fulfilled at,Accepts Marketing,"
        "Currency,Subtotal,Shipping,Taxes,Total,Discount Code,Discount Amount,Shipping Method,"
        "Created at,Lineitem quantity,Lineitem name,Lineitem price,Lineitem compare at price,"
        "Lineitem sku,Lineitem requires shipping,Lineitem taxable,Lineitem fulfillment status,"
        "Billing Name,Billing Street,Billing Address1,Billing Address2,Billing Company,"
        "Billing City,Billing Zip,Billing Province,Billing Country,Billing Phone,Shipping Name,"
        "Shipping Street,Shipping Address1,Shipping Address2,Shipping Company,Shipping City,"
        "Shipping Zip,Shipping Province,Shipping Country,Shipping Phone,Notes,Note Attributes,"
        "Cancelled at,Payment Method,Payment Reference,Refunded Amount,Vendor,"
        "Outstanding Balance,Employee,Location,Device ID,Id,Tags,Risk Level,Source,"
        "Lineitem discount,Tax 1 Name,Tax 1 Value,Tax 2 Name,Tax 2 Value,Tax 3 Name,Tax 3 Value,"
        "Tax 4 Name,Tax 4 Value,Tax 5 Name,Tax 5 Value,Phone,Receipt Number,Duties,"
        "Billing Province Name,Shipping Province Name,Payment ID,Payment Terms Name,"
        "Next Payment Due At,Payment References"
    ),
    "woocommerce": _split(
        "order_id,order_number,order_date,paid_date,status,shipping_total,shipping_tax_total,"
        "fee_total,tax_total,cart_discount,order_discount,discount_total,order_total,"
        "order_subtotal,order_currency,payment_method,payment_method_title,transaction_id,"
        "customer_ip_address,customer_user_agent,shipping_method,customer_id,customer_user,"
        "customer_email,billing_first_name,billing_last_name,billing_company,billing_email,"
        "billing_phone,billing_address_1,billing_address_2,billing_postcode,billing_city,"
        "billing_state,billing_country,order_refund,line_item_1,coupon_items"
    ),
    "etsy": _split(
        "Sale Date,Order ID,Buyer User ID,Full Name,First Name,Last Name,Number of Items,"
        "Payment Method,Date Shipped,Street 1,Street 2,Ship City,Ship State,Ship Zipcode,"
        "Ship Country,Currency,Order Value,Coupon Code,Coupon Details,Discount Amount,"
        "Shipping Discount,Shipping,Sales Tax,Order Total,Status,Card Processing Fees,Order Net,"
        "Adjusted Order Total,Adjusted Card Processing Fees,Adjusted Net Order Amount,Buyer,"
        "Order Type,Payment Type,InPerson Discount,InPerson Location,SKU"
    ),
    "square": _split(
        "Date,Time,Time Zone,Category,Item,Qty,Price Point Name,SKU,Modifiers Applied,"
        "Gross Sales,Discounts,Net Sales,Tax,Transaction ID,Payment ID,Device Name,Notes,"
        "Details,Event Type,Location,Dining Option,Customer ID,Customer Name,"
        "Customer Reference ID,Unit,Count,GTIN,Itemization Type,Commission,Employee,"
        "Fulfillment Note,Channel,Token,Card Brand,PAN Suffix"
    ),
    "stripe": _split(
        "id,Created date (UTC),Amount,Amount Refunded,Currency,Captured,Converted Amount,"
        "Converted Amount Refunded,Converted Currency,Fee,Status,Description,Customer ID,"
        "Customer Email,Customer Description,Invoice ID,Card Address Country"
    ),
    "paypal": _split(
        "Date,Time,TimeZone,Name,Type,Status,Currency,Gross,Fee,Net,From Email Address,"
        "To Email Address,Transaction ID,Shipping Address,Address Status,Item Title,Item ID,"
        "Shipping and Handling Amount,Insurance Amount,Sales Tax,Option 1 Name,Option 1 Value,"
        "Option 2 Name,Option 2 Value,Reference Txn ID,Invoice Number,Custom Number,Quantity,"
        "Receipt ID,Balance,Address Line 1,Address Line 2/District/Neighborhood,Town/City,"
        "State/Province/Region/County/Territory/Prefecture/Republic,Zip/Postal Code,Country,"
        "Contact Phone Number,Subject,Note,Country Code,Balance Impact"
    ),
    "online-retail": _split(
        "Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country"
    ),
    "generic": ["order_id", "customer", "email", "date", "amount", "currency", "status"],
}
EXTRA_SHARE = 0.02  # cancelled/failed/refunded orders added on top of the true ones


def write_export(orders: pl.DataFrame, path: str | Path, fmt: str, *, seed: int = 0) -> Path:
    """Write ``orders`` as an export of ``fmt`` at ``path`` (CSV; UCI: .xlsx if asked)."""
    path = Path(path)
    rng = np.random.default_rng(seed)
    base = _with_extras(orders, rng, fmt)
    frame = _BUILDERS[fmt](base, rng)
    frame = frame.select([pl.col(c) if c in frame.columns else pl.lit(None, pl.Utf8).alias(c)
                          for c in HEADERS[fmt]])  # fmt: skip
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "online-retail" and path.suffix.lower() == ".xlsx":
        frame.write_excel(path, worksheet="Year 2010-2011")
    else:
        frame.write_csv(path)
    return path


def _with_extras(orders: pl.DataFrame, rng: np.random.Generator, fmt: str) -> pl.DataFrame:
    """True orders (``kind`` = paid) plus a few non-purchases that must not count."""
    base = orders.with_columns(kind=pl.lit("paid"))
    n = max(1, int(orders.height * EXTRA_SHARE)) if orders.height else 0
    if n == 0 or fmt == "online-retail":
        return base
    idx = rng.choice(orders.height, n, replace=orders.height < n)
    kinds = np.array(["cancelled", "failed", "refunded"])[rng.integers(0, 3, n)]
    extra = orders[idx].with_columns(
        order_id=pl.lit("X") + pl.Series(np.arange(n)).cast(pl.Utf8),
        kind=pl.Series(kinds),
        ordered_at=pl.col("ordered_at") + pl.duration(minutes=7),
    )
    return pl.concat([base, extra]).sort("ordered_at", maintain_order=True)


def _fmt2(col: str = "amount") -> pl.Expr:
    """Exact two-decimal text without per-row Python: cents as integers, then split."""
    cents = (pl.col(col) * 100).round(0).cast(pl.Int64)
    return pl.format(
        "{}{}.{}",
        pl.when(cents < 0).then(pl.lit("-")).otherwise(pl.lit("")),
        (cents.abs() // 100).cast(pl.Utf8),
        (cents.abs() % 100).cast(pl.Utf8).str.zfill(2),
    )


def _shopify(df: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """First row carries the order; about half the orders get 1–2 more line-item rows (Name
    only), priced so an order's lines add up to its total (``clvtui.demo.lines``)."""
    kind = pl.col("kind")
    first = df.with_columns(
        Name="#" + pl.col("order_id"),
        Id=pl.col("order_id"),
        Email=pl.col("email"),
        **{
            "Financial Status": pl.when(kind == "paid")
            .then(pl.lit("paid"))
            .when(kind == "refunded")
            .then(pl.lit("refunded"))
            .when(kind == "failed")
            .then(pl.lit("voided"))
            .otherwise(pl.lit("paid")),
            "Created at": pl.col("ordered_at").dt.strftime("%Y-%m-%d %H:%M:%S %z"),
            "Cancelled at": pl.when(kind == "cancelled").then(
                pl.col("ordered_at").dt.strftime("%Y-%m-%d %H:%M:%S %z")
            ),
            "Refunded Amount": pl.when(kind == "refunded").then(_fmt2()).otherwise(pl.lit("0.00")),
            "Billing Name": pl.col("name"),
            "Billing Country": pl.col("country"),
            "Discount Code": pl.col("discount_code"),
            "Lineitem name": pl.col("product"),
            "Lineitem quantity": pl.lit("1"),
        },
        Currency=pl.col("currency"),
        Total=_fmt2(),
        Subtotal=_fmt2(),
        Source=pl.col("channel"),
        _line=pl.lit(0, dtype=pl.Int64),
        _o=pl.int_range(pl.len(), dtype=pl.Int64),
    )
    lines = order_lines(df, rng).select(
        "_o", "_line",
        **{"Lineitem name": pl.col("product"), "Lineitem price": pl.col("price"),
           "Lineitem sku": pl.col("sku"), "Lineitem quantity": pl.lit("1")},
    )  # fmt: skip
    first = first.drop("Lineitem name", "Lineitem quantity").join(
        lines.filter(pl.col("_line") == 0), on=["_o", "_line"], how="left"
    )
    names = df.select(Name="#" + pl.col("order_id"), _o=pl.int_range(pl.len(), dtype=pl.Int64))
    more = lines.filter(pl.col("_line") > 0).join(names, on="_o", how="left")
    out = pl.concat([first, more], how="diagonal_relaxed")
    return out.sort("_o", "_line")  # an order's lines are contiguous, as in real exports


def _stripe(df: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    kind = pl.col("kind")
    return df.select(
        id="ch_" + pl.col("order_id"),
        **{
            "Created date (UTC)": pl.col("ordered_at").dt.strftime("%Y-%m-%d %H:%M:%S"),
            "Amount Refunded": pl.when(kind == "refunded").then(_fmt2()).otherwise(pl.lit("0.00")),
            "Customer ID": "cus_" + pl.col("customer_id"),
            "Customer Email": pl.col("email"),
            "Customer Description": pl.col("name"),
            "Card Address Country": pl.col("country"),
        },
        Amount=_fmt2(),
        Currency=pl.col("currency").str.to_lowercase(),
        Captured=pl.when(kind == "cancelled").then(pl.lit("false")).otherwise(pl.lit("true")),
        Status=pl.when(kind == "failed")
        .then(pl.lit("Failed"))
        .when(kind == "refunded")
        .then(pl.lit("Refunded"))
        .otherwise(pl.lit("Paid")),
        Description=pl.col("product"),
    )


def _generic(df: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    kind = pl.col("kind")
    return df.select(
        order_id=pl.col("order_id"),
        customer=pl.col("customer_id"),
        email=pl.col("email"),
        date=utc_text(pl.col("ordered_at")),
        amount=_fmt2(),
        currency=pl.col("currency"),
        status=pl.when(kind == "paid").then(pl.lit("completed")).otherwise(kind),
    )


def _woocommerce(df: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    kind = pl.col("kind")
    return df.select(
        order_id=pl.col("order_id"),
        order_number=pl.col("order_id"),
        order_date=pl.col("ordered_at").dt.strftime("%Y-%m-%d %H:%M:%S"),
        status=pl.when(kind == "paid").then(pl.lit("wc-completed")).otherwise("wc-" + kind),
        order_total=_fmt2(),
        order_currency=pl.col("currency"),
        customer_id=pl.lit("0"),
        customer_email=pl.col("email"),
        billing_first_name=pl.col("name").str.split(" ").list.first(),
        billing_last_name=pl.col("name").str.split(" ").list.last(),
        billing_country=pl.col("country"),
        line_item_1="name:" + pl.col("product") + "|quantity:1",
        coupon_items=pl.when(pl.col("discount_code").is_not_null()).then(
            "code:" + pl.col("discount_code")
        ),
    )


def _online_retail(df: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """One line per order (price = amount, quantity 1); the demo's ids as Customer ID."""
    return df.select(
        Invoice=pl.col("order_id"),
        StockCode=pl.lit("85123A"),
        Description=pl.col("product"),
        Quantity=pl.lit("1"),
        InvoiceDate=pl.col("ordered_at")
        .dt.convert_time_zone("Europe/London")
        .dt.strftime("%Y-%m-%d %H:%M:%S"),
        Price=_fmt2(),
        **{"Customer ID": pl.col("customer_id")},
        Country=pl.col("country"),
    )


def _etsy(df: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """Date only (MM/DD/YY); a refund shows as an Adjusted Order Total of 0.00."""
    kind = pl.col("kind")
    return df.filter(kind != "failed").select(
        **{
            "Sale Date": pl.col("ordered_at").dt.strftime("%m/%d/%y"),
            "Order ID": pl.col("order_id"),
            "Buyer User ID": pl.col("customer_id"),
            "Full Name": pl.col("name"),
            "Ship Country": pl.col("country"),
            "Order Value": _fmt2(),
            "Order Total": _fmt2(),
            "Coupon Code": pl.col("discount_code"),
            "Adjusted Order Total": pl.when(kind == "refunded").then(pl.lit("0.00")),
            "Order Type": pl.lit("online"),
        },
        Currency=pl.col("currency"),
        Status=pl.when(kind == "cancelled").then(pl.lit("Canceled")).otherwise(pl.lit("Completed")),
        Buyer=pl.col("email").str.split("@").list.first(),
        SKU=pl.col("product"),
    )


def _square(df: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """Items file: ``$`` strings, Rails zone, 12-hour times; refunds as their own rows."""
    kind = pl.col("kind")
    local = pl.col("ordered_at").dt.convert_time_zone("America/New_York")
    base = df.filter(kind != "failed").with_columns(
        Date=local.dt.strftime("%m/%d/%Y"),
        Time=local.dt.strftime("%-I:%M:%S %p"),
        **{
            "Time Zone": pl.lit("Eastern Time (US & Canada)"),
            "Net Sales": "$" + _fmt2(),
            "Gross Sales": "$" + _fmt2(),
            "Tax": pl.lit("$0.00"),
            "Transaction ID": pl.col("order_id"),
            "Event Type": pl.lit("Payment"),
            "Customer ID": pl.col("customer_id"),
            "Customer Name": pl.col("name"),
            "Item": pl.col("product"),
            "Channel": pl.col("channel"),
        },
    )
    refunds = base.filter(kind != "paid").with_columns(
        **{
            "Event Type": pl.lit("Refund"),
            "Net Sales": "-$" + _fmt2(),
            "Gross Sales": "-$" + _fmt2(),
        }
    )
    return pl.concat([base, refunds])


def _paypal(df: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """Credit sales, refund rows pointing back, denied payments; times in PST/PDT."""
    kind = pl.col("kind")
    local = pl.col("ordered_at").dt.convert_time_zone("America/Los_Angeles")
    sales = df.with_columns(
        Date=local.dt.strftime("%m/%d/%Y"),
        Time=local.dt.strftime("%H:%M:%S"),
        TimeZone=pl.when(local.dt.dst_offset() > pl.duration(seconds=0))
        .then(pl.lit("PDT"))
        .otherwise(pl.lit("PST")),
        Name=pl.col("name"),
        Type=pl.lit("Express Checkout Payment"),
        Status=pl.when(kind == "failed").then(pl.lit("Denied")).otherwise(pl.lit("Completed")),
        Currency=pl.col("currency"),
        Gross=_fmt2(),
        **{
            "From Email Address": pl.col("email"),
            "Transaction ID": "TX" + pl.col("order_id"),
            "Item Title": pl.col("product"),
            "Country Code": pl.col("country"),
            "Balance Impact": pl.lit("Credit"),
        },
    )
    refunds = sales.filter(kind.is_in(["refunded", "cancelled"])).with_columns(
        Type=pl.lit("Payment Refund"),
        Gross="-" + _fmt2(),
        **{
            "Reference Txn ID": pl.col("Transaction ID"),
            "Transaction ID": "RF" + pl.col("order_id"),
            "Balance Impact": pl.lit("Debit"),
        },
    )
    return pl.concat([sales, refunds], how="diagonal_relaxed")


_BUILDERS = {
    "etsy": _etsy,
    "square": _square,
    "paypal": _paypal,
    "shopify": _shopify,
    "stripe": _stripe,
    "generic": _generic,
    "woocommerce": _woocommerce,
    "online-retail": _online_retail,
}
