"""The sums a cohort table is made of, on integer customer codes (``insights.cohorts`` lays
them out as rows and cells).

Why integer codes: at 1 M customers every join or group-by on the customer-id strings costs
about a second, and the table needed five of them. Here the ids of the orders, the scores and
the ``--by`` groups are hashed once into one dense code per customer; every later step — the
first order, each order's cohort, the per-cohort sums of the orders and of the scores — is a
numpy gather or bincount, and no customers × periods matrix is built.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
import polars as pl

from clvtui.insights.forecast import (
    WEEKS_PER_MONTH,
    group_sums,
    order_paths,
    sorted_codes,
    variance_factor,
)

NO_ORDER = np.iinfo(np.int32).max  # periods (months or weeks since 1970) fit in 32 bits
CHECK_CHUNK = 1 << 20  # hashes compared a million at a time (memory)


@dataclass(frozen=True)
class CodedCohorts:
    """Every order's and every scored customer's cohort key — a (group, cohort) row of
    ``keys`` — and each order's period since its customer's first order."""

    keys: pl.DataFrame  # group, cohort, customers (one row per key, customers with orders)
    order_key: np.ndarray
    order_offset: np.ndarray
    scored_key: np.ndarray  # −1: a scored customer without an order (left out)


@dataclass(frozen=True)
class CustomerCodes:
    """The orders' and the scores' customer ids as dense integer codes, ``count`` distinct."""

    orders: np.ndarray
    scored: np.ndarray
    count: int


def customer_codes(orders: pl.DataFrame, scored: pl.DataFrame) -> CustomerCodes:
    """Code the customers of a run's orders and scores once (a screen valuing two tables of
    the same run reuses them)."""
    (o, s), first = dense_codes(orders["customer_id"], scored["customer_id"])
    return CustomerCodes(o, s, len(first))


def coded_customers(people: pl.Series, purchases: np.ndarray, scored: pl.Series) -> CustomerCodes:
    """:func:`customer_codes` of purchases already coded (``purchases``: each order's row of
    ``people``, distinct ids) and the scored ``customer_id`` s: each scored id is looked up
    among the people by its hash and checked by its text (a miss — a collision, or a scored
    customer without purchases — by a join); one without purchases gets a code past them."""
    n = people.len()
    found = np.zeros(scored.len(), dtype=bool)
    codes = np.zeros(scored.len(), dtype=np.int64)
    if n:
        hashed, wanted = people.hash().to_numpy(), scored.hash().to_numpy()
        order, asked = np.argsort(hashed), np.argsort(wanted)  # sorted needles: 3x faster
        at = np.empty(len(wanted), dtype=np.int64)
        at[asked] = order[np.minimum(np.searchsorted(hashed[order], wanted[asked]), n - 1)]
        found = (people.gather(at) == scored).fill_null(False).to_numpy()
        codes[found] = at[found]
    extra = 0
    if not found.all():
        missed = scored.filter(pl.Series(~found)).to_frame("customer_id")
        rows = people.to_frame("customer_id").with_row_index("row")
        known = missed.join(rows, on="customer_id", how="left", maintain_order="left")
        at = known["row"].cast(pl.Int64).fill_null(-1).to_numpy().copy()
        new = at < 0
        extra = int(new.sum())
        at[new] = n + np.arange(extra)
        codes[~found] = at
    return CustomerCodes(purchases, codes, n + extra)


def dense_codes(
    *ids: pl.Series, hashes: np.ndarray | None = None
) -> tuple[list[np.ndarray], np.ndarray]:
    """One dense code per distinct value across ``ids`` (equal values, equal codes), and the
    position in the concatenated ``ids`` of each code's first value. ``hashes``: the values'
    64-bit hashes (default: polars'; the tests pass colliding ones)."""
    codes, first = sorted_codes(_hashes(ids) if hashes is None else hashes)
    if not _hashes_held(ids, codes, first):
        every = pl.concat(list(ids), rechunk=False) if ids else pl.Series(dtype=pl.Utf8)
        codes, first = sorted_codes(_exact_keys(every))
    bounds = np.cumsum([0, *(len(s) for s in ids)])
    return [codes[a:b] for a, b in pairwise(bounds)], first


def _hashes(ids: Sequence[pl.Series], seed: int = 0) -> np.ndarray:
    out = np.empty(sum(len(s) for s in ids), dtype=np.uint64)
    at = 0
    for s in ids:
        out[at : at + len(s)] = s.hash(seed=seed).to_numpy()
        at += len(s)
    return out


def _hashes_held(ids: Sequence[pl.Series], codes: np.ndarray, first: np.ndarray) -> bool:
    """Whether no two distinct values share a 64-bit hash (~1e-8 likely at 1 M ids): a second,
    independently seeded hash agrees within every code (both colliding: ~1e-27)."""
    check = _hashes(ids, seed=0x5EED)
    of_code = check[first]
    return all(
        np.array_equal(check[a : a + CHECK_CHUNK], of_code[codes[a : a + CHECK_CHUNK]])
        for a in range(0, len(check), CHECK_CHUNK)
    )


def _exact_keys(every: pl.Series) -> np.ndarray:
    """Integer keys equal exactly when the values are (the slower route after a collision)."""
    return every.cast(pl.Categorical).to_physical().to_numpy().astype(np.uint64)


def code_cohorts(
    orders: pl.DataFrame,
    period: np.ndarray,
    scored: pl.DataFrame,
    groups: pl.DataFrame | None,
    codes: CustomerCodes | None = None,
) -> CodedCohorts:
    """Cohort keys from the orders (``period``: each order's calendar period) and the groups
    (customer_id, group; none: one group "(all)", a customer without a row: "(none)").
    ``codes``: :func:`customer_codes` of these orders and scores, when already made."""
    same = groups is None or groups["customer_id"].equals(scored["customer_id"])
    if same:
        coded = codes or customer_codes(orders, scored)
        group_codes = coded.scored
    else:
        assert groups is not None
        ids = [orders["customer_id"], scored["customer_id"], groups["customer_id"]]
        (o, sc, group_codes), first = dense_codes(*ids)
        coded = CustomerCodes(o, sc, len(first))
    n = coded.count
    period = np.asarray(period, dtype=np.int32)  # 32 bits an order: 2.9 M at 1 M customers
    cohort_of = np.full(n, NO_ORDER, dtype=np.int32)
    np.minimum.at(cohort_of, coded.orders, period)
    labels, group_of = _groups(groups, group_codes, n)
    has = cohort_of != NO_ORDER
    lo = int(cohort_of[has].min()) if has.any() else 0
    span = int(cohort_of[has].max()) - lo + 1 if has.any() else 1
    key = group_of[has] * span + (cohort_of[has].astype(np.int64) - lo)
    sizes = np.bincount(key, minlength=len(labels) * span)
    present = np.flatnonzero(sizes)
    keymap = np.full(len(labels) * span, -1, dtype=np.int64)
    keymap[present] = np.arange(len(present))
    code_key = np.full(n, -1, dtype=np.int32)
    code_key[has] = keymap[key]
    keys = pl.DataFrame(
        {
            "group": labels.gather(present // span),
            "cohort": (present % span + lo).astype(np.int64),
            "customers": sizes[present].astype(np.int64),
        }
    )
    offset = period - cohort_of[coded.orders]
    return CodedCohorts(keys, code_key[coded.orders], offset, code_key[coded.scored])


def _groups(groups: pl.DataFrame | None, codes: np.ndarray, n: int) -> tuple[pl.Series, np.ndarray]:
    """The group labels, and each customer code's label number."""
    if groups is None:
        return pl.Series("group", ["(all)"], dtype=pl.Utf8), np.zeros(n, dtype=np.int64)
    names = groups["group"].cast(pl.Utf8).fill_null("(none)")
    none = pl.Series(["(none)"], dtype=pl.Utf8)
    (label, none_code), first = dense_codes(names, none)
    labels = pl.concat([names, none]).gather(first).alias("group")
    group_of = np.full(n, int(none_code[0]), dtype=np.int64)
    group_of[codes] = label
    return labels, group_of


def actual_cumulative(coded: CodedCohorts, value: np.ndarray, last: int) -> pl.DataFrame:
    """Per key and offset up to period ``last`` (the as-of period): the cohort's cumulative
    actual value (total, not yet per customer). ``value``: each order's value."""
    keys = coded.keys
    n_keys = keys.height
    cohort = keys["cohort"].to_numpy()
    width = max(int(last - cohort.min()) + 1, 1) if n_keys else 1
    key, offset, value = coded.order_key, coded.order_offset, value
    inside = (offset >= 0) & (offset < width)
    if not inside.all():  # else (orders up to as-of, the usual) no copies of 2.9 M orders
        key, offset, value = key[inside], offset[inside], value[inside]
    cell = key.astype(np.int64)
    cell *= width
    cell += offset
    sums = np.bincount(cell, weights=value, minlength=n_keys * width)
    del cell
    cum = np.cumsum(sums.reshape(n_keys, width), axis=1)
    lengths = np.clip(last - cohort + 1, 0, None)
    row = np.repeat(np.arange(n_keys), lengths)
    offset = np.arange(len(row)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    return keys.select("group", "cohort")[row].with_columns(
        pl.Series("offset", offset, dtype=pl.Int64),
        pl.Series("actual", cum[row, offset], dtype=pl.Float64),
    )


def expected_sums(
    scored: pl.DataFrame,
    coded: CodedCohorts,
    unit: np.ndarray,
    times: list[float],
    horizon_months: int,
    model: str,
    params: dict[str, float | None],
) -> pl.DataFrame:
    """Per key and step j (period as-of + j): expected future value, its process variance,
    and the cohort's parameter band as fractions of its CLV. ``unit``: each scored customer's
    value per order."""
    keep = coded.scored_key >= 0
    every = bool(keep.all())  # the usual case: no copies of a million customers' columns
    key = coded.scored_key if every else coded.scored_key[keep]
    n_keys = coded.keys.height

    def col(name: str) -> np.ndarray:
        values = scored[name].to_numpy().astype(float, copy=False)
        return values if every else values[keep]

    x, stored, unit = col("x"), col("expected_orders"), unit if every else unit[keep]
    paths = order_paths(model, params, x, col("T"), times, horizon_months * WEEKS_PER_MONTH)
    factor = variance_factor(model, params, x, col("p_alive"))
    terms = [(stored * unit, 1), (stored * unit**2, 1)]
    if factor is not None:
        terms.append((stored**2 * unit**2 * factor, 2))
    value, *var = group_sums(paths.shares, paths.pair, key, n_keys, terms)
    variance = var[0] if len(var) == 1 else var[0] + var[1]
    seen = np.flatnonzero(np.bincount(key, minlength=n_keys))
    clv = {k: np.bincount(key, weights=col(k), minlength=n_keys)[seen]
           for k in ("clv", "clv_low", "clv_high")}  # fmt: skip
    per_key = (
        coded.keys[seen]
        .select("group", "cohort")
        .with_columns(pl.Series(k, v, dtype=pl.Float64) for k, v in clv.items())
    )
    c = pl.col("clv")
    ok = c.abs() > 1e-12
    per_key = per_key.select(
        "group", "cohort",
        pl.when(ok).then(pl.col("clv_low") / c).otherwise(1.0).alias("f_low"),
        pl.when(ok).then(pl.col("clv_high") / c).otherwise(1.0).alias("f_high"),
    )  # fmt: skip
    n_steps = len(times)
    return per_key[np.repeat(np.arange(len(seen)), n_steps)].with_columns(
        pl.Series("step", np.tile(np.arange(n_steps), len(seen)), dtype=pl.Int32),
        pl.Series("expected", value[seen].ravel(), dtype=pl.Float64),
        pl.Series("variance", variance[seen].ravel(), dtype=pl.Float64),
    )
