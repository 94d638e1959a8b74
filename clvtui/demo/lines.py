"""Line items for the demo shop's orders, with real product affinity.

Each order's first line is the customer's product (the simulated attribute the profile and
the customer detail show, so they do not change); about half the orders carry one or two more
lines, drawn mostly from the first product's *family* (coffee buyers add filters and a
grinder, tea buyers a teapot). So pairs within a family are bought together more than chance
(lift > 1) and the Products view has something true to find. Line amounts split the order
total exactly (in cents), so the order totals — and every fitted number — stay as they were.
"""

from __future__ import annotations

import numpy as np
import polars as pl

#: The products sold with each first product (the first entry is the product itself).
FAMILIES: dict[str, list[str]] = {
    "Coffee beans": ["Coffee beans", "Espresso blend", "Paper filters", "Burr grinder"],
    "Tea": ["Tea", "Loose-leaf sampler", "Glass teapot", "Wildflower honey"],
    "Brewing gear": ["Brewing gear", "Pour-over kettle", "Paper filters", "Kitchen scale"],
    "Gift box": ["Gift box", "Dark chocolate", "Stoneware mug", "Greeting card"],
    "Subscription starter": ["Subscription starter", "Espresso blend", "Coffee beans",
                             "Stoneware mug"],
}  # fmt: skip
CATALOGUE = sorted({p for family in FAMILIES.values() for p in family})
SKUS = {p: "SKU-" + "".join(w[:3].upper() for w in p.replace("-", " ").split()) for p in CATALOGUE}
IN_FAMILY = 0.8  # share of extra lines drawn from the first product's family


def order_lines(orders: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """One row per line: _o (the order's position in ``orders``), _line (0, 1, 2), product,
    sku, price (text, 2 decimals) — prices of an order's lines add up to its ``amount``."""
    n = orders.height
    cents = (orders.get_column("amount") * 100).round(0).cast(pl.Int64).to_numpy()
    extra = rng.integers(1, 3, n) * (rng.random(n) < 0.5)
    extra = np.minimum(extra, np.maximum(cents - 1, 0))  # every line costs at least a cent
    first = orders.get_column("product")
    # extra lines, vectorised: line j of an order takes family member 1 + (start + j) mod 3
    # (distinct within the order), or with 1 − IN_FAMILY any product of the catalogue
    o = np.repeat(np.arange(n, dtype="int64"), extra)
    line = np.concatenate([np.arange(1, k + 1) for k in extra[extra > 0]]) if o.size else o
    start = rng.integers(0, 3, n)[o]
    names = list(FAMILIES)
    family = first.replace_strict(names, list(range(len(names))), default=0).to_numpy()
    family_pick = np.array(list(FAMILIES.values()))[family[o], 1 + (start + line) % 3]
    any_pick = np.array(CATALOGUE)[rng.integers(0, len(CATALOGUE), o.size)]
    product = np.where(rng.random(o.size) < IN_FAMILY, family_pick, any_pick)
    more = pl.DataFrame(
        {"_o": o, "_line": line.astype("int64"), "product": product.astype(str)},
        schema={"_o": pl.Int64, "_line": pl.Int64, "product": pl.Utf8},
    )
    base = pl.DataFrame(
        {"_o": np.arange(n, dtype="int64"), "_line": np.zeros(n, dtype="int64"), "product": first}
    )
    lines = pl.concat([base, more]).sort("_o", "_line")
    return lines.with_columns(_split_cents(lines, cents, rng), sku=pl.col("product").replace(SKUS))


def _split_cents(lines: pl.DataFrame, cents: np.ndarray, rng: np.random.Generator) -> pl.Series:
    """Each order's total split over its lines: random shares, whole cents, ≥ 1 cent a line,
    the first line taking the remainder so the sum is exact."""
    o = lines.get_column("_o").to_numpy()
    counts = np.bincount(o, minlength=len(cents))
    weight = rng.uniform(0.3, 1.0, len(o))
    total_weight = np.bincount(o, weights=weight, minlength=len(cents))
    share = np.floor((cents[o] - counts[o]) * weight / total_weight[o]).astype("int64") + 1
    first = lines.get_column("_line").to_numpy() == 0
    spent = np.bincount(o, weights=np.where(first, 0, share), minlength=len(cents)).astype("int64")
    price = np.where(first, cents[o] - spent[o], share)
    text = pl.Series(price).cast(pl.Utf8).str.zfill(3)
    return (text.str.slice(0, text.str.len_chars() - 2) + "." + text.str.slice(-2)).alias("price")
