"""Declarative column maps: which header names mean which field, per source.

Columns are found by *normalised name* (lower case, punctuation collapsed: ``Created date
(UTC)`` → ``created date utc``, ``order_total`` → ``order total``), never by position, because
Square, Stripe and PayPal let users choose and reorder columns and PayPal localises headers.
Each field lists aliases in order of preference; ``--map FIELD=COLUMN`` overrides any of them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from clvtui.ingest.dates import DateRule

#: Every field a mapping may name (``--map FIELD=COLUMN``), with what it holds.
FIELDS = {
    "order_id": "the order's id (unique per order)",
    "order_name": "the order's display number (Shopify Name), used when there is no id",
    "customer_id": "the shop's customer id",
    "email": "the customer's e-mail",
    "billing_email": "a second e-mail, used when the first is empty (WooCommerce guests)",
    "phone": "the customer's phone (fallback identity)",
    "name": "the customer's name",
    "first_name": "the customer's first name",
    "last_name": "the customer's last name",
    "ordered_at": "when the order was placed (date or date and time)",
    "time": "the time of day, when separate from the date",
    "timezone": "the zone of date and time, when a separate column",
    "amount": "the order total (money)",
    "refunded": "the amount refunded (money)",
    "adjusted_amount": "the order total after adjustments (Etsy)",
    "tax": "the tax on a line (Square items)",
    "quantity": "items on a line",
    "unit_price": "price of one item",
    "currency": "ISO currency code (or a constant: --map currency=EUR)",
    "status": "the order or payment status",
    "cancelled_at": "when the order was cancelled (non-empty = cancelled)",
    "captured": "whether a card payment was captured (Stripe)",
    "type": "the transaction type (PayPal, Square event type)",
    "balance_impact": "Credit/Debit/Memo (PayPal)",
    "reference_id": "the original transaction a refund belongs to",
    "country": "the customer's country",
    "channel": "the sales channel or source",
    "product": "the (first) product or category",
    "sku": "the product code (UCI StockCode: tells postage and fees from products)",
    "discount_code": "the discount or coupon code",
    "discount": "the discount given on the order (money; cost to serve)",
    "shipping": "the shipping charged to the customer (money; cost to serve)",
    "fee": "the payment processing fee (money; Stripe Fee, PayPal Fee; cost to serve)",
    "line_amount": "the amount of one order line (generic CSV with a row per line item)",
}

#: The order-level cost fields (money), stored as ``<field>_minor`` (NULL: not in the export).
COST_FIELDS = ("discount", "shipping", "fee")


def normalise_name(name: str) -> str:
    """Header text → comparison key: no BOM/quotes, lower case, punctuation runs → one space."""
    text = name.replace("\ufeff", "").strip().strip("\"'").lower()
    return re.sub(r"[^0-9a-zà-ÿß]+", " ", text).strip()


@dataclass(frozen=True)
class FormatSpec:
    """One source: how to recognise its header and where each field lives."""

    name: str
    title: str
    signatures: tuple[frozenset[str], ...]  # any one fully present identifies the format
    fields: dict[str, tuple[str, ...]]  # field -> normalised aliases, preferred first
    required: tuple[tuple[str, ...], ...]  # each tuple: at least one of these fields
    dates: DateRule = field(default_factory=DateRule)
    decimal: str = "."  # default decimal mark when the column itself is ambiguous
    default_currency: str | None = None  # when there is no currency column


def _sig(*names: str) -> frozenset[str]:
    return frozenset(names)


SPECS: dict[str, FormatSpec] = {
    spec.name: spec
    for spec in [
        FormatSpec(
            "shopify",
            "Shopify orders export",
            (_sig("name", "financial status", "created at", "total", "lineitem name"),),
            {
                "order_id": ("id",),
                "order_name": ("name",),
                "customer_id": ("customer id",),
                "email": ("email",),
                "phone": ("phone", "billing phone", "shipping phone"),
                "name": ("billing name", "shipping name"),
                "ordered_at": ("created at",),
                "amount": ("total",),
                "refunded": ("refunded amount",),
                "currency": ("currency",),
                "status": ("financial status",),
                "cancelled_at": ("cancelled at",),
                "country": ("billing country", "shipping country"),
                "channel": ("source",),
                "product": ("lineitem name",),
                "discount_code": ("discount code",),
                "discount": ("discount amount",),
                "shipping": ("shipping",),
            },
            (("order_id", "order_name"), ("ordered_at",), ("amount",)),
        ),
        FormatSpec(
            "woocommerce",
            "WooCommerce order export (WebToffee / SkyVerge / Advanced Order Export)",
            (
                _sig("order id", "order date", "order total", "status"),
                _sig("order number", "order date", "order total", "status"),
                _sig("order number", "order status", "order date", "order total amount"),
                _sig("order id", "order date", "order total", "order status"),
            ),
            {
                "order_id": ("order id", "order number", "order no"),
                "customer_id": ("customer id", "customer user", "customer user id", "user id"),
                "email": ("customer email", "email"),
                "billing_email": ("billing email", "email billing"),
                "first_name": ("billing first name", "first name billing", "first name"),
                "last_name": ("billing last name", "last name billing", "last name"),
                "ordered_at": ("order date", "date created", "paid date"),
                "amount": ("order total", "order total amount", "total"),
                "refunded": (
                    "order refund",
                    "refunded total",
                    "order refund amount",
                    "refund amount",
                    "refunded",
                ),
                "currency": ("order currency", "currency"),
                "status": ("status", "order status"),
                "country": ("billing country", "country code billing", "country billing"),
                "channel": ("created via", "payment method title", "payment method"),
                "product": ("line item 1", "item name", "product name", "line items"),
                "discount_code": ("coupon items", "coupon code", "coupons", "coupon"),
                "discount": ("discount total", "cart discount", "order discount amount"),
                "shipping": ("shipping total", "order shipping", "order shipping amount"),
                "fee": ("stripe fee", "meta stripe fee", "paypal transaction fee", "payment fee"),
            },
            (("order_id",), ("ordered_at",), ("amount",)),
            DateRule(day_first=False),
        ),
        FormatSpec(
            "etsy",
            "Etsy sold orders (EtsySoldOrders*.csv)",
            (
                _sig("sale date", "order id", "order total", "buyer user id"),
                _sig("sale date", "order id", "order value", "adjusted order total"),
            ),
            {
                "order_id": ("order id",),
                "customer_id": ("buyer user id", "buyer"),
                "name": ("full name", "ship name"),
                "first_name": ("first name",),
                "last_name": ("last name",),
                "ordered_at": ("sale date",),
                "amount": ("order total", "order value"),
                "adjusted_amount": ("adjusted order total",),
                "currency": ("currency",),
                "status": ("status",),
                "country": ("ship country",),
                "channel": ("order type",),
                "product": ("sku",),
                "discount_code": ("coupon code",),
                "discount": ("discount amount",),
                "shipping": ("shipping",),
                "fee": ("card processing fees",),
            },
            (("order_id",), ("ordered_at",), ("amount",)),
            DateRule(day_first=False),
        ),
        FormatSpec(
            "square",
            "Square items or transactions export",
            (
                _sig("date", "time", "time zone", "transaction id", "net sales"),
                _sig("date", "time", "time zone", "transaction id", "total collected"),
            ),
            {
                "order_id": ("transaction id",),
                "customer_id": ("customer id", "customer reference id"),
                "name": ("customer name",),
                "ordered_at": ("date",),
                "time": ("time",),
                "timezone": ("time zone",),
                "amount": ("total collected", "net sales"),
                "tax": ("tax",),
                "refunded": ("partial refunds",),
                "status": ("transaction status",),
                "type": ("event type",),
                "country": ("location",),
                "channel": ("channel", "source"),
                "product": ("item", "category", "description"),
                "discount_code": ("discount name",),
                "discount": ("discounts",),
                "fee": ("fees",),
            },
            (("order_id",), ("ordered_at",), ("amount",)),
            DateRule(day_first=None, zone="rails"),
            default_currency="USD",
        ),
        FormatSpec(
            "stripe",
            "Stripe payments export",
            (
                _sig("id", "created date utc", "amount", "currency"),
                _sig("id", "created utc", "amount", "currency"),
            ),
            {
                "order_id": ("id",),
                "customer_id": ("customer id",),
                "email": ("customer email", "receipt email"),
                "name": ("customer description", "card name"),
                "ordered_at": ("created date utc", "created utc", "created"),
                "amount": ("amount",),
                "refunded": ("amount refunded",),
                "currency": ("currency",),
                "status": ("status",),
                "captured": ("captured",),
                "country": ("card address country", "card issue country"),
                "product": ("description",),
                "discount_code": ("coupon", "coupon metadata"),
                "fee": ("fee",),
            },
            (("order_id",), ("ordered_at",), ("amount",), ("currency",)),
        ),
        FormatSpec(
            "paypal",
            "PayPal activity download",
            (
                _sig("date", "time", "gross", "transaction id", "type"),
                _sig("datum", "brutto", "transaktionscode"),
            ),
            {
                "order_id": ("transaction id", "transaktionscode"),
                "email": ("from email address", "absender e mail adresse"),
                "name": ("name",),
                "ordered_at": ("date", "datum"),
                "time": ("time", "uhrzeit"),
                "timezone": ("timezone", "time zone", "zeitzone"),
                "amount": ("gross", "brutto"),
                "currency": ("currency", "währung", "wahrung"),
                "status": ("status",),
                "type": ("type", "beschreibung", "typ"),
                "balance_impact": ("balance impact", "auswirkung auf guthaben"),
                "reference_id": ("reference txn id", "zugehöriger transaktionscode"),
                "country": ("country code", "ländervorwahl", "landervorwahl", "country", "land"),
                "product": ("item title", "artikelbezeichnung"),
                "fee": ("fee", "gebühr", "gebuhr"),
                "shipping": ("shipping and handling amount", "versand und bearbeitungsgebühr"),
            },
            (("order_id",), ("ordered_at",), ("amount",), ("currency",)),
            DateRule(day_first=None, zone="abbreviation"),
        ),
        FormatSpec(
            "online-retail",
            "UCI Online Retail I/II",
            (_sig("stockcode", "quantity", "invoicedate"),),
            {
                "order_id": ("invoiceno", "invoice"),
                "customer_id": ("customerid", "customer id"),
                "ordered_at": ("invoicedate",),
                "quantity": ("quantity",),
                "unit_price": ("unitprice", "price"),
                "country": ("country",),
                "product": ("description",),
                "sku": ("stockcode",),
            },
            (("order_id",), ("ordered_at",), ("quantity",), ("unit_price",)),
            DateRule(day_first=None, naive_zone="Europe/London"),
            default_currency="GBP",
        ),
        FormatSpec(
            "generic",
            "Generic CSV (customer, date, amount, optional order id)",
            (),
            {
                "order_id": (
                    "order id",
                    "order",
                    "order number",
                    "order no",
                    "invoice",
                    "invoice id",
                    "invoice no",
                    "invoice number",
                    "transaction id",
                    "transaction",
                    "id",
                ),
                "customer_id": (
                    "customer id",
                    "customer",
                    "client id",
                    "client",
                    "customer number",
                    "user id",
                    "buyer id",
                    "buyer",
                    "account id",
                ),
                "email": ("email", "customer email", "e mail", "email address", "mail"),
                "name": ("name", "customer name", "client name"),
                "ordered_at": (
                    "date",
                    "order date",
                    "created at",
                    "timestamp",
                    "datetime",
                    "ordered at",
                    "purchase date",
                    "transaction date",
                    "invoice date",
                    "created",
                    "time",
                ),
                "amount": (
                    "amount",
                    "total",
                    "value",
                    "revenue",
                    "sales",
                    "order total",
                    "order value",
                    "price",
                    "spend",
                    "net sales",
                    "gross",
                ),
                "refunded": ("refunded", "refund", "refund amount", "refunded amount"),
                "currency": ("currency", "currency code"),
                "status": ("status", "order status"),
                "country": ("country", "country code"),
                "channel": ("channel", "source", "acquisition channel"),
                "product": ("product", "item", "product name", "sku", "category"),
                "discount_code": ("discount code", "coupon", "coupon code", "promo code"),
                "discount": ("discount", "discount amount"),
                "shipping": ("shipping", "shipping charged", "shipping amount"),
                "fee": ("fee", "fees", "payment fee", "processing fee"),
            },
            (("customer_id", "email"), ("ordered_at",), ("amount",)),
            DateRule(day_first=None),
            default_currency="USD",
        ),
    ]
}

FORMATS: list[str] = list(SPECS)

#: Headers of exports we recognise but cannot use, with what to do instead.
KNOWN_OTHER = {
    _sig("sale date", "item name", "transaction id", "listing id"): (
        "this is Etsy's order *items* file; import EtsySoldOrders….csv (one row per order)"
    ),
    _sig("customer id", "first name", "last name", "total spent", "total orders"): (
        "this is Shopify's customers export (no order dates); import the orders export"
    ),
    _sig("amazon order id", "purchase date", "item price"): (
        "Amazon order reports carry no buyer identity, so per-customer value is impossible"
    ),
}
