"""A per-customer summary made elsewhere (a warehouse GROUP BY), read and checked.

The contract (docs/warehouse.md): one row per customer with ``customer_id``, ``x`` (repeat
purchase days), ``t_x`` (first to last purchase day), ``T`` (first purchase day to as-of) in
weeks — or days with ``unit="days"`` — and ``m`` (mean value of the repeat purchases); optional
``first_order``, ``last_order``, ``orders``, ``revenue``, ``currency``, ``email``, ``name`` and
``x_holdout`` (purchase days in a holdout window after the summary's end).

Why strict: a summary cannot be re-derived here (the orders stay in the warehouse), so a wrong
query would silently become wrong forecasts. Every rule failure is one line naming the file, the
row (CSV: the line in the file, header = 1; Parquet: the data row, first = 1) and the column.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from clvtui.core.memory import share_arenas
from clvtui.errors import InputError
from clvtui.ingest.csvscan import sniff_utf16

REQUIRED = ("customer_id", "x", "t_x", "T", "m")
OPTIONAL = (
    "first_order", "last_order", "orders", "revenue", "currency", "email", "name", "x_holdout",
)  # fmt: skip
UNITS = {"weeks": 1.0, "days": 7.0}  # divisor to weeks
_INTEGER = ("x", "orders", "x_holdout")
_NUMBER = ("t_x", "T", "m", "revenue")
_DATE = ("first_order", "last_order")
_TEXT = ("customer_id", "currency", "email", "name")
_TOLERANCE = 1e-9  # weeks: t_x ≤ T allows for the rounding of a division by 7


@dataclass(frozen=True)
class SummaryFile:
    """The checked summary: ``frame`` has the contract's columns present in the file, typed
    (x Int64, t_x/T in weeks, m = 0 where x = 0, dates as Date), in file order."""

    path: Path
    frame: pl.DataFrame
    currency: str | None
    first_row: int = 1  # the row number of the frame's first row: CSV 2 (its file line), else 1

    def has(self, column: str) -> bool:
        return column in self.frame.columns

    def row_number(self, index: int) -> int:
        """The row a message names for the frame's ``index``-th row (from 0): for a CSV its line
        in the file (header = 1), as every other summary error and the order importer say."""
        return index + self.first_row


def read_summary(path: str | Path, unit: str = "weeks") -> SummaryFile:
    """Read and validate a summary file (.parquet/.pq or .csv); raise InputError on any rule."""
    path = Path(path)
    if unit not in UNITS:
        raise InputError(f"--unit must be weeks or days (got {unit!r})")
    raw, first_row = _read(path)
    name = path.name
    raw = _contract_names(raw, name)
    missing = [c for c in REQUIRED if c not in raw.columns]
    if missing:
        raise InputError(
            f"{name}: missing column(s) {', '.join(missing)}; a summary needs "
            f"{', '.join(REQUIRED)} (see docs/warehouse.md)"
        )
    if raw.height == 0:
        raise InputError(f"{name}: no customers (the file has a header but no rows)")
    keep = [c for c in (*REQUIRED, *OPTIONAL) if c in raw.columns]
    raw = raw.select(keep)  # the values as written, shown in errors
    frame = _typed(raw.with_row_index("_row", offset=first_row), name, raw)
    frame = _rules(frame, name, UNITS[unit], raw)
    currency = _single_currency(frame, name, raw)
    if currency is not None:
        frame = frame.with_columns(currency=pl.lit(currency))
    return SummaryFile(path, frame.drop("_row"), currency, first_row)


def read_summary_in_background(path: str | Path, unit: str = "weeks") -> Future[SummaryFile]:
    """``read_summary`` in a thread; its result (or its InputError) in the future.

    Why: reading and checking 10 M rows is polars and numpy, which let go of the interpreter,
    while the model code a fit imports next (statsmodels, scipy, pandas: ~1.3 s) is Python
    holding it; side by side on two cores the import costs no wall time (as ``fit`` overlaps
    its orders read with it). This module imports neither, so the thread starts at once.
    """
    out: Future[SummaryFile] = Future()
    share_arenas()

    def read() -> None:
        try:
            out.set_result(read_summary(path, unit))
        except BaseException as err:  # handed to the caller, who raises it from result()
            out.set_exception(err)

    threading.Thread(target=read, name="read-summary", daemon=True).start()
    return out


def _read(path: Path) -> tuple[pl.DataFrame, int]:
    """The file's columns (CSV: all as text) and the row number of its first data row."""
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    suffix = path.suffix.lower()
    try:
        if suffix in (".parquet", ".pq"):
            return pl.read_parquet(path), 1
        if suffix == ".csv":
            return pl.read_csv(_csv_source(path), infer_schema=False, encoding="utf8"), 2
    except (pl.exceptions.PolarsError, OSError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise InputError(f"{path.name}: cannot be read as {suffix[1:]} ({first})") from None
    raise InputError(f"{path.name}: a summary must be a .parquet or .csv file")


def _csv_source(path: Path) -> Path | io.BytesIO:
    """The CSV as polars can read it: a UTF-16 file (Excel's "Unicode Text", SQL Server's bcp
    -w) re-encoded to UTF-8 in memory, detected as the order importer detects it; otherwise
    the path (a warehouse's UTF-8 file is read straight from disk)."""
    with path.open("rb") as fh:
        encoding = sniff_utf16(fh.read(4096))
    if encoding is None:
        return path
    try:
        text = path.read_bytes().decode(encoding).lstrip("\ufeff")
    except UnicodeDecodeError as err:
        raise InputError(
            f"{path.name}: looks like UTF-16 but does not decode ({err.reason})"
        ) from None
    return io.BytesIO(text.encode("utf-8"))


def _contract_names(raw: pl.DataFrame, name: str) -> pl.DataFrame:
    """Columns renamed to the contract's spelling, matched without case (Snowflake writes
    ``T_X``, Postgres ``t``); other columns are left as they are (and ignored)."""
    spelling = {c.lower(): c for c in (*REQUIRED, *OPTIONAL)}
    renames: dict[str, str] = {}
    for col in raw.columns:
        target = spelling.get(col.strip().lower())
        if target is None:
            continue
        if target in renames.values():
            raise InputError(f"{name}: two columns are named {target} (case aside); keep one")
        renames[col] = target
    return raw.rename(renames)


def _typed(frame: pl.DataFrame, name: str, raw: pl.DataFrame) -> pl.DataFrame:
    """Each column cast to its type; a value that does not cast is an error on its row.

    Typed (Parquet) numbers are cast directly: going through text would cost seconds and
    gigabytes at 10 M customers.
    """
    casts: dict[str, pl.Expr] = {}
    checks: dict[str, pl.Expr] = {}
    for col in raw.columns:
        src, dtype = pl.col(col), raw.schema[col]
        if dtype.is_nested():  # a Parquet list or struct: no single value to check
            raise InputError(
                f"{name}, column {col}: must be {_EXPECTED.get(col, 'one value per row')}, "
                f"not a {dtype.base_type()} of values"
            )
        text = src.cast(pl.Utf8).str.strip_chars()
        if col in _TEXT and dtype == pl.Utf8 and not raw[col].str.contains(r"^\s*$|^\s|\s$").any():
            continue  # already clean (a warehouse's ids): no copy of 10 M strings
        if col in _TEXT:
            casts[col] = pl.when(text == "").then(None).otherwise(text)
        elif col in _INTEGER or col in _NUMBER:
            if dtype.is_numeric():  # left as typed; checked in numpy (freed as it goes)
                if dtype.is_float():
                    values = raw[col].to_numpy()
                    bad = ~np.isfinite(values) & ~raw[col].is_null().to_numpy()
                    _refuse(frame, pl.Series(bad), name, col, raw, _EXPECTED[col])
            else:
                casts[col] = text.cast(pl.Float64, strict=False)
                cast_failed = casts[col].is_null() & text.is_not_null() & (text != "")
                checks[col] = cast_failed | (casts[col].is_not_null() & ~casts[col].is_finite())
        elif col in _DATE:
            casts[col] = _as_date(src, dtype)
            if dtype not in (pl.Date,) and not isinstance(dtype, pl.Datetime):
                checks[col] = casts[col].is_null() & text.is_not_null() & (text != "")
    typed = frame.with_columns(**casts)
    if checks:
        flags = frame.select(**checks)
        for col in checks:
            _refuse(frame, flags[col], name, col, raw, _EXPECTED[col])
    return typed


_EXPECTED = {
    "x": "a whole number ≥ 0",
    "orders": "a whole number ≥ 1",
    "x_holdout": "a whole number ≥ 0",
    "t_x": "a number of weeks (or days) ≥ 0",
    "T": "a number of weeks (or days) ≥ 0",
    "m": "an amount ≥ 0",
    "revenue": "an amount",
    "first_order": "a date like 2025-06-30",
    "last_order": "a date like 2025-06-30",
    "customer_id": "text",
    "currency": "a currency code like EUR",
    "email": "text",
    "name": "text",
}


def _as_date(src: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    if dtype == pl.Date:
        return src
    if isinstance(dtype, pl.Datetime):
        return src.dt.date()
    return (
        src.cast(pl.Utf8).str.strip_chars().str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False)
    )


def _refuse(
    frame: pl.DataFrame, bad: pl.Series, name: str, col: str, raw: pl.DataFrame, expected: str
) -> None:
    """Raise for the first row flagged in ``bad`` (with how many more there are), showing the
    value as the file has it."""
    if not bad.any():
        return
    at = int(bad.arg_true()[0])
    more = int(bad.sum()) - 1
    value = raw[col][at]
    value = None if value is None else str(value).strip()
    got = "empty" if value is None or value == "" else f"got {value!r}"
    extra = f" (and {more:,} more row{'s' if more > 1 else ''})" if more else ""
    raise InputError(
        f"{name} row {frame['_row'][at]}, column {col}: must be {expected}, {got}{extra}"
    )


def _rules(frame: pl.DataFrame, name: str, per_week: float, shown: pl.DataFrame) -> pl.DataFrame:
    """The summary's own rules: ids present and unique, x whole, 0 ≤ t_x ≤ T, m ≥ 0 when x > 0.

    In numpy, every rule on a slice of rows before the next slice (``_broken``; rule by rule
    over every row only when one fails, for its message): the temporaries stay small (polars'
    allocator keeps freed memory, ~1 GB of it at 10 M customers), and a missing value is
    NaN, which no comparison matches — as polars' nulls.
    """
    num: dict[str, np.ndarray] = {
        c: np.asarray(frame[c].to_numpy(), dtype=float)
        for c in ("x", "t_x", "T", "m", "orders", "x_holdout")
        if c in frame.columns
    }
    x, t_x, T, m = (num[c] for c in ("x", "t_x", "T", "m"))
    values: dict[str, np.ndarray] = {**num, "no_id": frame["customer_id"].is_null().to_numpy()}
    rules = _rule_list(per_week, num)
    if _broken(rules, values, frame.height):  # then rule by rule, for the first one's message
        for col, expected, test in rules:
            bad = test(values)
            if bad.any():
                _refuse(frame, pl.Series(bad), name, col, shown, expected)
    _duplicates(frame, name)
    # numpy divides; polars multiplies by 1/7, one ulp off clvtui's own summary
    whole = {  # optional counts keep their empty cells as nulls
        c: pl.Series(num[c], nan_to_null=True).cast(pl.Int64)
        for c in ("orders", "x_holdout")
        if c in num
    }
    return frame.with_columns(
        x=pl.Series(x.astype(np.int64)),
        t_x=pl.Series(t_x / per_week if per_week != 1.0 else t_x),
        T=pl.Series(T / per_week if per_week != 1.0 else T),
        m=pl.Series(np.where(x > 0, m, 0.0)),
        **whole,
    )


MAX_WEEKS = 5_200  # a century of history
MAX_ORDER_VALUE = 1e9  # the settings' cap on amounts

Rule = tuple[str, str, Callable[[dict[str, np.ndarray]], np.ndarray]]
_PASS_ROWS = 1 << 17  # rows per pass of every rule: 1 MB per column, held in the CPU's cache


def _rule_list(per_week: float, num: dict[str, np.ndarray]) -> list[Rule]:
    """The rules in the order their messages take precedence: (column, what it must be, the
    rows breaking it, as a function of the columns' values)."""
    rules: list[Rule] = [
        ("customer_id", "a customer id", lambda v: v["no_id"]),
        *((c, _EXPECTED[c], lambda v, c=c: np.isnan(v[c])) for c in ("x", "t_x", "T")),
        *(
            (c, _EXPECTED[c], lambda v, c=c: (v[c] < (1 if c == "orders" else 0))
             | (v[c] != np.floor(v[c])) & ~np.isnan(v[c]))
            for c in _INTEGER
            if c in num
        ),
        ("T", _EXPECTED["T"], lambda v: v["T"] < 0),
        ("t_x", _EXPECTED["t_x"], lambda v: v["t_x"] < 0),
        ("t_x", f"at most T ({_unit(per_week)})",
         lambda v: v["t_x"] / per_week > v["T"] / per_week + _TOLERANCE),
        ("t_x", "0 when x = 0 (one purchase day: first = last)",
         lambda v: (v["x"] == 0) & (v["t_x"] != 0)),
        ("t_x", "above 0 when x > 0 (repeat purchases are on later days)",
         lambda v: (v["x"] > 0) & (v["t_x"] == 0)),
        ("m", "an amount ≥ 0 when x > 0",
         lambda v: (v["x"] > 0) & (np.isnan(v["m"]) | (v["m"] < 0))),
        # what no shop has: caught here, not as an overflow or a fit that never ends
        ("T", f"at most {MAX_WEEKS:,} weeks (a century)", lambda v: v["T"] / per_week > MAX_WEEKS),
        ("x", "at most one repeat purchase a day (x ≤ t_x in days)",
         lambda v: v["x"] > v["t_x"] / per_week * 7.0 + _TOLERANCE),
        ("m", f"at most {MAX_ORDER_VALUE:,.0f} (a mean order value)",
         lambda v: v["m"] > MAX_ORDER_VALUE),
    ]  # fmt: skip
    if "orders" in num:
        rules.append(("orders", "at least x + 1 (purchase days count once each)",
                      lambda v: v["orders"] < v["x"] + 1))  # fmt: skip
    return rules


def _broken(rules: list[Rule], values: dict[str, np.ndarray], n: int) -> bool:
    """Whether any row breaks any rule: every rule on a cache-sized slice of rows before the
    next slice (each rule over all 10 M rows streamed its columns from memory: ~3x the CPU)."""
    for lo in range(0, n, _PASS_ROWS):
        part = {c: v[lo : lo + _PASS_ROWS] for c, v in values.items()}
        if any(test(part).any() for _, _, test in rules):
            return True
    return False


def _unit(per_week: float) -> str:
    return "days" if per_week == 7.0 else "weeks"


def _duplicates(frame: pl.DataFrame, name: str) -> None:
    """Duplicate ids. Distinct 64-bit hashes prove distinct ids (one fast pass over integers,
    where ``is_duplicated`` on 10 M strings took ~10 s here); only a clash looks closer. The
    hashes are sorted by numpy and neighbours compared: half the CPU of polars' ``n_unique``."""
    ids = frame["customer_id"]
    hashes = np.sort(ids.hash().to_numpy())
    if not np.any(hashes[1:] == hashes[:-1]):
        return
    dup = ids.is_duplicated()
    if not dup.any():  # a hash collision between different ids
        return
    first_id = frame["customer_id"].filter(dup)[0]
    rows = frame.filter(pl.col("customer_id") == first_id)["_row"].to_list()
    n = int(frame.filter(dup)["customer_id"].n_unique())
    more = f" ({n:,} ids appear more than once)" if n > 1 else ""
    raise InputError(
        f"{name} rows {rows[0]} and {rows[1]}, column customer_id: {first_id!r} appears twice; "
        f"a summary has one row per customer{more}"
    )


def _single_currency(frame: pl.DataFrame, name: str, raw: pl.DataFrame) -> str | None:
    """The file's one currency (upper case), None without the column; several is an error."""
    if "currency" not in frame.columns:
        return None
    codes = frame["currency"].str.to_uppercase()
    bad = codes.is_null() | ~codes.str.contains(r"^[A-Z]{3}$")
    _refuse(frame, bad, name, "currency", raw, _EXPECTED["currency"])
    distinct = codes.unique(maintain_order=True)
    if distinct.len() > 1:
        other = int((codes != distinct[0]).arg_true()[0])
        raise InputError(
            f"{name} row {frame['_row'][other]}, column currency: {distinct[1]} where row "
            f"{frame['_row'][0]} has {distinct[0]}; a run is in one currency — summarise "
            "each currency into its own file"
        )
    return str(distinct[0])
