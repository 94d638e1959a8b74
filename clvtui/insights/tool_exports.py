"""Customer lists in the columns each marketing tool imports without a mapping step.

Every tool documents the header names it maps automatically (sources in docs/commands.md,
"export --for"); a column named otherwise has to be mapped by hand or is dropped. So each
tool gets exactly its documented headers, in its documented spelling and order, plus the
value columns it accepts (custom properties, merge fields, tags, Meta's customer value).

Identity is normalised the way the tools ask: e-mail trimmed and lower-cased (a customer
without a usable e-mail is left out: every tool here matches on it first), the stored name
split at its first space into first and last name, the country as an ISO 3166-1 alpha-2 code
(lower case for Meta, which hashes what it gets). Nothing is hashed here: every tool hashes
plain text itself, and a hashed file could not be checked by the owner before uploading.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

#: Country names some shop exports write instead of a code (Shopify and WooCommerce write
#: codes; PayPal and hand-made CSVs often write names). "UK" is not ISO: Mailchimp, Google
#: and Meta all want GB.
COUNTRY_NAMES = {
    "united states": "US", "united states of america": "US", "usa": "US", "u.s.": "US",
    "united kingdom": "GB", "great britain": "GB", "england": "GB", "uk": "GB",
    "scotland": "GB", "wales": "GB", "germany": "DE", "deutschland": "DE", "france": "FR",
    "canada": "CA", "australia": "AU", "netherlands": "NL", "the netherlands": "NL",
    "spain": "ES", "italy": "IT", "ireland": "IE", "belgium": "BE", "austria": "AT",
    "switzerland": "CH", "sweden": "SE", "denmark": "DK", "norway": "NO", "finland": "FI",
    "poland": "PL", "portugal": "PT", "new zealand": "NZ", "japan": "JP", "mexico": "MX",
    "brazil": "BR", "india": "IN", "singapore": "SG", "south africa": "ZA",
}  # fmt: skip

#: What a tool-ready frame is built from (``customer_lists.export_frame`` plus ``country``).
SOURCE_COLUMNS = ("email", "name", "country", "tier", "risk", "clv", "next_order_from")


@dataclass(frozen=True)
class ToolFormat:
    """One tool's import file: its headers (exactly as documented) and how rows are made."""

    name: str
    headers: tuple[str, ...]
    build: Callable[[pl.DataFrame], pl.DataFrame]
    maps_automatically: str  # what the tool recognises by header, for the docs and --help


def normalised_email() -> pl.Expr:
    """Trimmed and lower-cased; NULL unless it looks like an address (one @, no spaces)."""
    e = pl.col("email").str.strip_chars().str.to_lowercase()
    looks_valid = e.str.contains(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    return pl.when(looks_valid).then(e).otherwise(None)


def first_name() -> pl.Expr:
    """The stored name up to its first space ("Ada Lovelace" → "Ada")."""
    name = pl.col("name").str.strip_chars().str.replace_all(r"\s+", " ")
    return pl.when(name != "").then(name.str.split(" ").list.first()).otherwise(None)


def last_name() -> pl.Expr:
    """Everything after the first space ("Anna van Dijk" → "van Dijk"); NULL for one word."""
    name = pl.col("name").str.strip_chars().str.replace_all(r"\s+", " ")
    rest = name.str.splitn(" ", 2).struct.field("field_1")
    return pl.when(rest != "").then(rest).otherwise(None)


def country_code() -> pl.Expr:
    """ISO 3166-1 alpha-2 in upper case from a code or a common country name; NULL if unknown."""
    raw = pl.col("country").str.strip_chars()
    lower = raw.str.to_lowercase()
    named = lower.replace_strict(COUNTRY_NAMES, default=None, return_dtype=pl.Utf8)
    is_code = raw.str.contains(r"^[A-Za-z]{2}$") & (lower != "uk")
    return pl.when(is_code).then(raw.str.to_uppercase()).otherwise(named)


def tag(prefix: str, column: str) -> pl.Expr:
    """A tag that survives every tool's tag rules: lower case, no commas or spaces."""
    slug = pl.col(column).cast(pl.Utf8).str.to_lowercase().str.replace_all(r"[^a-z0-9]+", "-")
    return pl.lit(prefix) + slug


def tags() -> pl.Expr:
    """``clv-highly-profitable, risk-at-risk``: tier and churn-risk band as two tags."""
    return pl.concat_str([tag("clv-", "tier"), tag("risk-", "risk")], separator=", ")


def _two_decimals(column: str) -> pl.Expr:
    """``997.70``, not ``997.7``: money in a note reads as money."""
    cents = (pl.col(column) * 100).round(0).cast(pl.Int64)
    whole = (cents.abs() // 100).cast(pl.Utf8)
    sign = pl.when(cents < 0).then(pl.lit("-")).otherwise(pl.lit(""))
    return sign + whole + "." + (cents.abs() % 100).cast(pl.Utf8).str.zfill(2)


def _date(column: str) -> pl.Expr:
    return pl.col(column).dt.strftime("%Y-%m-%d")


def _klaviyo(df: pl.DataFrame) -> pl.DataFrame:
    return df.select(
        pl.col("email").alias("Email"),
        first_name().alias("First Name"),
        last_name().alias("Last Name"),
        country_code().alias("Country"),
        pl.col("tier").alias("CLV Tier"),
        pl.col("risk").alias("Churn Risk"),
        pl.col("clv").alias("CLV"),
        _date("next_order_from").alias("Next Order Date"),
    )


def _mailchimp(df: pl.DataFrame) -> pl.DataFrame:
    return df.select(
        pl.col("email").alias("Email Address"),
        first_name().alias("First Name"),
        last_name().alias("Last Name"),
        tags().alias("Tags"),
        pl.col("clv").alias("CLV"),
        _date("next_order_from").alias("Next Order Date"),
        country_code().alias("Country"),
    )


def _meta(df: pl.DataFrame) -> pl.DataFrame:
    """Meta's customer-value column takes non-negative numbers: a loss-making customer is 0."""
    return df.select(
        pl.col("email").alias("email"),
        first_name().str.to_lowercase().alias("fn"),
        last_name().str.to_lowercase().alias("ln"),
        country_code().str.to_lowercase().alias("country"),
        pl.col("clv").clip(lower_bound=0.0).alias("value"),
    )


def _google_ads(df: pl.DataFrame) -> pl.DataFrame:
    """Customer Match takes identifiers only (no custom values); Zip and Phone stay empty
    (clvtui does not keep them) but their headers stay, as in Google's template."""
    return df.select(
        pl.col("email").alias("Email"),
        first_name().alias("First Name"),
        last_name().alias("Last Name"),
        country_code().alias("Country"),
        pl.lit(None, dtype=pl.Utf8).alias("Zip"),
        pl.lit(None, dtype=pl.Utf8).alias("Phone"),
    )


SHOPIFY_HEADERS = (
    "First Name", "Last Name", "Email", "Accepts Email Marketing", "Default Address Company",
    "Default Address Address1", "Default Address Address2", "Default Address City",
    "Default Address Province Code", "Default Address Country Code", "Default Address Zip",
    "Default Address Phone", "Phone", "Accepts SMS Marketing", "Tags", "Note", "Tax Exempt",
)  # fmt: skip


def _shopify(df: pl.DataFrame) -> pl.DataFrame:
    """Shopify's customer template; consent columns stay empty (clvtui does not know it, and
    an import must never subscribe anyone), tier and risk go into Tags, CLV into Note."""
    filled = {
        "First Name": first_name(),
        "Last Name": last_name(),
        "Email": pl.col("email"),
        "Default Address Country Code": country_code(),
        "Tags": tags(),
        "Note": pl.format("clvtui: CLV {}, next order from {}", _two_decimals("clv"),
                          _date("next_order_from").fill_null("–")),
    }  # fmt: skip
    return df.select(filled.get(h, pl.lit(None, dtype=pl.Utf8)).alias(h) for h in SHOPIFY_HEADERS)


TOOLS: dict[str, ToolFormat] = {
    "klaviyo": ToolFormat(
        "klaviyo", ("Email", "First Name", "Last Name", "Country", "CLV Tier", "Churn Risk",
                    "CLV", "Next Order Date"), _klaviyo,
        "Email, First Name, Last Name, Country (Klaviyo properties); the rest become custom "
        "properties under their header",
    ),
    "mailchimp": ToolFormat(
        "mailchimp", ("Email Address", "First Name", "Last Name", "Tags", "CLV",
                      "Next Order Date", "Country"), _mailchimp,
        "Email Address, First Name, Last Name, Tags; CLV, Next Order Date and Country are "
        "matched to (or created as) audience fields in the import step",
    ),
    "meta": ToolFormat(
        "meta", ("email", "fn", "ln", "country", "value"), _meta,
        "email, fn, ln, country, and value (the customer-value column for value-based "
        "audiences)",
    ),
    "google-ads": ToolFormat(
        "google-ads", ("Email", "First Name", "Last Name", "Country", "Zip", "Phone"),
        _google_ads, "Email, First Name, Last Name, Country, Zip, Phone (identifiers only)",
    ),
    "shopify": ToolFormat(
        "shopify", SHOPIFY_HEADERS, _shopify,
        "every column of Shopify's customer template; tier and risk as Tags, CLV in Note",
    ),
}  # fmt: skip


def tool_frame(export: pl.DataFrame, tool: str) -> tuple[pl.DataFrame, int]:
    """The rows of ``export`` (``SOURCE_COLUMNS``, best customer first) in ``tool``'s import
    columns, and how many customers were left out for want of a usable e-mail.

    One row per e-mail: two customers sharing an address (a couple, a shop account) are one
    contact to the tool, and the first (higher CLV) row speaks for it.
    """
    spec = TOOLS[tool]
    rows = export.with_columns(normalised_email().alias("email"), pl.col("clv").round(2))
    usable = rows.filter(pl.col("email").is_not_null()).unique("email", keep="first",
                                                              maintain_order=True)  # fmt: skip
    return spec.build(usable), export.height - usable.height
