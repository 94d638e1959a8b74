"""Order lines: what each stored order contained (product, SKU, quantity, line amount).

Lines are read in a pass of their own after the orders are normalised, so the order path (and
its memory) is unchanged. Each row of a line-item export is grouped under the same raw key
the source grouped its orders by (Shopify ``Name``, a transaction id, an invoice); the stored
order id of each key is then found through the order's first file row, so a line always
lands on exactly the order the source stored, whatever rule built that order's id. Lines of
rejected orders are not stored.

Per source: Shopify ``Lineitem *`` rows (price × quantity); WooCommerce ``line_item_N``
cells (``name:…|product_id:…|quantity:…|total:…``) or one-row-per-item columns; Square items
(net sales + tax, refund rows left out); PayPal ``Item Title`` (the gross); UCI Online Retail
(quantity × unit price; postage, fees and manual adjustments are not products); a generic CSV
with ``product``/``sku``/``quantity``/``line_amount`` (``--map``; the row's amount by default).
"""

from __future__ import annotations

import re

import polars as pl

from clvtui.core.money import _EXPONENTS, money_series
from clvtui.ingest.formats import normalise_name
from clvtui.ingest.ledgers import UCI_NOT_SALE
from clvtui.ingest.normalise import SCALE, clean_fields
from clvtui.ingest.read import ROW, Table

#: Where each source keeps its line fields (normalised header names, preferred first).
LINE_ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "shopify": {"product": ("lineitem name",), "sku": ("lineitem sku",),
                "quantity": ("lineitem quantity",), "unit_price": ("lineitem price",)},
    "square": {"product": ("item",), "sku": ("sku",), "quantity": ("qty",),
               "line_amount": ("net sales",), "tax": ("tax",), "type": ("event type",)},
    "paypal": {"product": ("item title", "artikelbezeichnung"),
               "sku": ("item id", "artikelnummer"), "quantity": ("quantity", "menge"),
               "line_amount": ("gross", "brutto")},
    "online-retail": {"product": ("description",), "sku": ("stockcode",),
                      "quantity": ("quantity",), "unit_price": ("unitprice", "price")},
    "woocommerce": {"product": ("item name", "line item name", "product name"),
                    "sku": ("item sku", "line item sku", "sku"),
                    "quantity": ("item quantity", "line item quantity", "quantity"),
                    "line_amount": ("item total", "line item total", "line total")},
    "generic": {"product": ("product", "item", "product name", "category"),
                "sku": ("sku", "product id", "item id", "stockcode"),
                "quantity": ("quantity", "qty"),
                "line_amount": ("line amount", "line total", "line price")},
}  # fmt: skip
#: The field each source groups its order rows by (as in the importer).
GROUP_KEY = {"shopify": "order_name", "woocommerce": "order_id", "square": "order_id",
             "paypal": "order_id", "online-retail": "order_id", "generic": "order_id"}  # fmt: skip
#: UCI stock codes that are part of an invoice but are not products.
UCI_NOT_PRODUCT = sorted({*UCI_NOT_SALE, "POST", "DOT", "C2", "M", "D"})
_WOO_ITEM = re.compile(r"^line item \d+$")
LINE_COLUMNS = ["order_id", "line_no", "product_id", "product", "quantity", "amount_minor",
                "currency"]  # fmt: skip


def line_mapping(name: str, columns: list[str], mapping: dict[str, str]) -> dict[str, str] | None:
    """field → the file's column for the line fields, or None when the file carries no lines.

    ``--map product=…``, ``sku=…``, ``quantity=…``, ``line_amount=…`` win over the aliases.
    """
    aliases = LINE_ALIASES.get(name)
    if aliases is None:
        return None
    by_name: dict[str, str] = {}
    for column in columns:
        by_name.setdefault(normalise_name(column), column)
    found = {f: mapping[f] for f in aliases if f in mapping and not mapping[f].startswith("=")}
    for fld, names in aliases.items():
        if fld not in found:
            hit = next((by_name[n] for n in names if n in by_name), None)
            if hit is not None:
                found[fld] = hit
    woo = name == "woocommerce"
    items = [c for c in columns if woo and _WOO_ITEM.match(normalise_name(c))]
    if items:
        return {f"_item{i}": c for i, c in enumerate(items)}
    if "product" not in found and "sku" not in found:
        return None
    if name == "square" and "quantity" not in found:  # the transactions file: no items
        return None
    if name == "generic" and "line_amount" not in found and "amount" in mapping:
        found["line_amount"] = mapping["amount"]
    return found


def read_lines(
    table: Table,
    name: str,
    mapping: dict[str, str],
    orders: pl.DataFrame,
    decimal: str,
) -> pl.DataFrame | None:
    """The lines of the stored ``orders`` (``ROW``, order_id, currency) in :data:`LINE_COLUMNS`,
    or None when this format or file carries no lines."""
    fields = line_mapping(name, table.columns, mapping)
    if fields is None:
        return None
    key = GROUP_KEY[name]
    if key not in mapping:
        key = "order_id" if "order_id" in mapping else ROW
    wanted = {**fields}
    if key != ROW:
        wanted[key] = mapping[key]
    used = list(dict.fromkeys(c for c in wanted.values() if not c.startswith("=")))
    rows = pl.concat(
        [clean_fields(b.lazy(), wanted).collect() for b in table.batches(used)],
        how="vertical_relaxed",
    )
    row_key = pl.format("row:{}", pl.col(ROW))  # an order of its own (generic, no order id)
    rows = rows.with_columns(_key=row_key if key == ROW else pl.coalesce(key, row_key))
    keyed = orders.select(ROW, "order_id", "currency").join(
        rows.select(ROW, "_key"), on=ROW, how="inner"
    )
    rows = rows.join(keyed.select("_key", "order_id", "currency"), on="_key", how="inner")
    if name == "woocommerce" and "_item0" in fields:
        rows = _woo_items(rows, [f for f in fields if f.startswith("_item")])
    return _finish(_amounts(rows, name, decimal), name)


def _woo_items(rows: pl.DataFrame, items: list[str]) -> pl.DataFrame:
    """WebToffee cells ``name:X|product_id:9|sku:A|quantity:2|total:10.00`` → one row each."""
    cells = rows.select(ROW, "order_id", "currency", pl.concat_list(items).alias("_cell")).explode(
        "_cell"
    )
    cells = cells.filter(pl.col("_cell").is_not_null()).with_row_index("_n")
    cells = cells.with_columns((pl.col(ROW) * 1000 + pl.col("_n")).alias(ROW))

    def part(label: str) -> pl.Expr:
        return pl.col("_cell").str.extract(rf"(?:^|\|){label}:([^|]*)").str.strip_chars()

    return cells.select(
        ROW, "order_id", "currency",
        product=part("name"),
        sku=pl.coalesce(part("sku").replace("", None), part("product_id")),
        quantity=part("quantity"),
        line_amount=part("total"),
    )  # fmt: skip


def _amounts(rows: pl.DataFrame, name: str, decimal: str) -> pl.DataFrame:
    """``quantity`` as a number and ``amount_minor`` (line amount, or unit price × quantity)."""
    for fld in ("product", "sku", "quantity", "unit_price", "line_amount", "tax", "type"):
        if fld not in rows.columns:
            rows = rows.with_columns(pl.lit(None, dtype=pl.Utf8).alias(fld))
    if name == "square":  # refund rows are money back, not items bought
        refund = pl.col("type").str.contains(r"(?i)refund").fill_null(False)
        rows = rows.filter(~refund)
    if name == "online-retail":
        code = pl.col("sku").str.to_uppercase().fill_null("")
        rows = rows.filter(~code.is_in(UCI_NOT_PRODUCT))
    quantity = pl.col("quantity").str.replace_all(",", ".").cast(pl.Float64, strict=False)
    rows = rows.with_columns(
        _line=money_series(rows.get_column("line_amount"), decimal=decimal, scale=SCALE),
        _price=money_series(rows.get_column("unit_price"), decimal=decimal, scale=SCALE),
        _tax=money_series(rows.get_column("tax"), decimal=decimal, scale=SCALE),
        quantity=quantity,
    )
    by_price = (pl.col("_price") * pl.col("quantity").fill_null(1.0)).round(0).cast(pl.Int64)
    units = pl.coalesce(pl.col("_line") + pl.col("_tax").fill_null(0), by_price)
    # to the currency's minor unit, half away from zero (as UCI order totals are rounded)
    exponent = pl.col("currency").replace_strict(_EXPONENTS, default=2, return_dtype=pl.Int64)
    step = pl.lit(10, dtype=pl.Int64).pow(SCALE - exponent)
    minor = units.sign() * ((units.abs() + step // 2) // step)
    return rows.with_columns(amount_minor=minor.cast(pl.Int64))


def _finish(rows: pl.DataFrame, name: str) -> pl.DataFrame:
    """Number each order's lines in file order; drop rows naming no product at all."""
    rows = rows.filter(pl.col("product").is_not_null() | pl.col("sku").is_not_null())
    rows = rows.sort(ROW).with_columns(
        line_no=pl.int_range(1, pl.len() + 1).over("order_id"),
        product_id=pl.col("sku"),
    )
    return rows.select(LINE_COLUMNS)
