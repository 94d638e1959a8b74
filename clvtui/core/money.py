"""Money strings → exact integer minor units, never through a float.

Shop exports write money as text in many styles: ``$1,149.00 ``, ``-$0.95``, ``($33.62)``,
``"1.234,56"``, ``116,99 €``. Float parsing would drift (0.1 + 0.2) and polars' ``decimal_comma``
cannot be combined with a comma separator, so every amount column is read as ``Utf8`` and parsed
here with an explicit decimal mark. The vectorised :func:`money_series` (the import's hot path) and
the scalar :func:`parse_money` (tests, single values) implement the same rules and are checked
against each other by property tests.
"""

from __future__ import annotations

import re
from decimal import Decimal

import polars as pl

#: ISO 4217 currencies whose minor unit is not 1/100 (everything else has two decimals).
_ZERO = ["BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI",
         "VND", "VUV", "XAF", "XOF", "XPF"]  # fmt: skip
_EXPONENTS = {**dict.fromkeys(_ZERO, 0), **dict.fromkeys(["BHD", "IQD", "JOD", "KWD", "LYD",
                                                          "OMR", "TND"], 3)}  # fmt: skip

#: Currency symbols that identify one currency when an export has no currency column (Square).
SYMBOLS = {"£": "GBP", "€": "EUR", "¥": "JPY", "₹": "INR", "₩": "KRW", "A$": "AUD", "CA$": "CAD"}

# Optional '(' , sign, currency token, sign, the number, currency token, trailing '-', ')'.
_TOKEN = r"(?:[A-Za-z$€£¥₹₩]{1,4}\.?)"
MONEY_RE = (
    r"^\(?\s*[+-]?\s*" + _TOKEN + r"?\s*[+-]?\s*"
    r"(?P<num>\d[\d.,' \x{a0}\x{202f}]*|[.,]\d+)\s*" + _TOKEN + r"?\s*-?\s*\)?$"
)
_NEGATIVE_RE = r"^\s*\(.*\)\s*$|^[^\d]*-|-\s*\)?\s*$"
_GROUPING = {
    ".": r"^(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?$|^\.\d+$",
    ",": r"^(?:\d{1,3}(?:\.\d{3})+|\d+)(?:,\d*)?$|^,\d+$",
}
_MAX_INT_DIGITS = 15  # keeps value * 10**scale inside int64
# Spaces and apostrophes group thousands only in threes ("1 234,56", "1'234.50"): without this a
# phone number such as "+49 170 1234560" would read as an amount.
_SPACE_GROUPED = r"^\d{1,3}(?:[ '\x{a0}\x{202f}]\d{3})+(?:[.,]\d*)?$"
_SPACE = r"[ '\x{a0}\x{202f}]"


def minor_exponent(currency: str | None) -> int:
    """Decimals of the currency's minor unit (JPY 0, most 2, BHD/KWD 3)."""
    return _EXPONENTS.get((currency or "").strip().upper(), 2)


def describe_expected(decimal: str) -> str:
    """How an amount should look, for reject reasons."""
    return "an amount like 1,234.56" if decimal == "." else "an amount like 1.234,56"


def _py(pattern: str) -> str:
    """A polars (Rust) pattern for Python's re: ``\\x{a0}`` → the character itself."""
    return pattern.replace(r"\x{a0}", "\u00a0").replace(r"\x{202f}", "\u202f")


def parse_money(text: str | None, *, decimal: str = ".", scale: int = 2) -> int | None:
    """One money string → integer units of 10**-scale; None when empty; ValueError when bad.

    ``decimal`` is the decimal mark of the file ('.' US/UK, ',' most of Europe); the other mark
    is accepted only as a thousands separator in groups of three.
    """
    if text is None or not text.strip():
        return None
    match = re.match(_py(MONEY_RE), text)
    if not match:
        raise ValueError(f"not an amount: {text!r}")
    raw = match.group("num").strip(" \u00a0\u202f")
    if re.search(_py(_SPACE), raw) and not re.match(_py(_SPACE_GROUPED), raw):
        raise ValueError(f"not an amount (digits grouped oddly): {text!r}")
    num = re.sub(r"[ '\u00a0\u202f]", "", raw)
    if not re.match(_GROUPING[decimal], num):
        raise ValueError(f"not an amount with decimal mark {decimal!r}: {text!r}")
    other = "," if decimal == "." else "."
    whole, _, frac = num.replace(other, "").partition(decimal)
    if len(whole) > _MAX_INT_DIGITS:
        raise ValueError(f"amount too large: {text!r}")
    if len(frac) > scale and frac[scale:].strip("0"):
        raise ValueError(f"more than {scale} decimals: {text!r}")
    value = int(whole or "0") * 10**scale + int((frac[:scale]).ljust(scale, "0") or "0")
    negative = re.search(_NEGATIVE_RE, text) is not None
    return -value if negative else value


#: Currencies shown with a symbol in reports; every other one is written after the amount
#: ("$" alone would be ambiguous for CAD or AUD, "54.00 EUR" never is).
_REPORT_SYMBOLS = {"USD": "$"}


def format_minor(amount_minor: int, currency: str | None) -> str:
    """Stored minor units as people read them, exactly: ``$54.00``, ``54.00 EUR``,
    ``5,400 JPY``, ``54.000 KWD``; the currency's own decimals (ISO 4217), never a float."""
    code = (currency or "").strip().upper()
    exponent = minor_exponent(code)
    sign = "-" if amount_minor < 0 else ""
    whole, frac = divmod(abs(int(amount_minor)), 10**exponent)
    number = f"{whole:,}" + (f".{frac:0{exponent}d}" if exponent else "")
    symbol = _REPORT_SYMBOLS.get(code)
    if symbol:
        return f"{sign}{symbol}{number}"
    return f"{sign}{number} {code}".rstrip()


def format_money(value: Decimal, *, decimal: str = ".", grouping: bool = True) -> str:
    """A Decimal as an export would print it (test helper and writers' formatter)."""
    sign = "-" if value < 0 else ""
    whole, _, frac = f"{abs(value):f}".partition(".")
    if grouping:
        whole = f"{int(whole):,}".replace(",", "," if decimal == "." else ".")
    return sign + whole + ((decimal + frac) if frac else "")


def money_series(texts: pl.Series, *, decimal: str = ".", scale: int = 2) -> pl.Series:
    """Vectorised :func:`parse_money`: Int64 units of 10**-scale, null when empty or invalid.

    Plain numbers (``-1234.50``: most exports) take a fast path; only the rest (symbols,
    grouping, parentheses) go through the full regex parse.
    """
    texts = texts.cast(pl.Utf8)
    plain = texts.str.contains(r"^-?\d{1,15}(?:" + re.escape(decimal) + r"\d*)?$").fill_null(False)
    out = _plain_money(texts, decimal, scale)
    rest = ~plain & texts.is_not_null()
    if rest.any():
        out = out.scatter(rest.arg_true(), _money_general(texts.filter(rest), decimal, scale))
    return out.alias(texts.name)


def _plain_money(texts: pl.Series, decimal: str, scale: int) -> pl.Series:
    """``-?digits[.digits]`` → units (null for anything else, including excess decimals)."""
    frame = pl.DataFrame({"t": texts}).with_columns(
        parts=pl.col("t").str.strip_chars_start("-").str.split_exact(decimal, 1)
    )
    whole = pl.col("parts").struct.field("field_0")
    frac = pl.col("parts").struct.field("field_1").fill_null("")
    head = frac.str.slice(0, scale).str.pad_end(scale, "0") if scale else pl.lit("0")
    value = whole.cast(pl.Int64, strict=False) * (10**scale) + head.replace("", "0").cast(
        pl.Int64, strict=False
    )
    valid = frac.str.slice(scale).str.contains(r"^0*$") & (whole.str.len_chars() <= _MAX_INT_DIGITS)
    signed = pl.when(pl.col("t").str.starts_with("-")).then(-value).otherwise(value)
    return frame.select(pl.when(valid).then(signed).otherwise(None)).to_series()


def _money_general(texts: pl.Series, decimal: str, scale: int) -> pl.Series:
    """The full parse: currency tokens, signs, parentheses, thousands separators.

    Works step by step on materialised Series: as one expression tree polars would re-run the
    regex for every use of the extracted number.
    """
    frame = pl.DataFrame({"t": texts})
    raw = frame.select(
        pl.col("t").str.extract(MONEY_RE, 1).str.strip_chars(" \u00a0\u202f")
    ).to_series()
    grouped = ~raw.str.contains(_SPACE) | raw.str.contains(_SPACE_GROUPED)
    num = raw.str.replace_all(_SPACE, "")
    other = r"\," if decimal == "." else r"\."
    parts = (
        frame.with_columns(
            num=num,
            ok=num.str.contains(_GROUPING[decimal]) & grouped,
            negative=pl.col("t").str.contains(_NEGATIVE_RE),
        )
        .with_columns(
            split=pl.col("num").str.replace_all(other, "").str.split_exact(decimal, 1),
        )
        .with_columns(
            whole=pl.col("split").struct.field("field_0"),
            frac=pl.col("split").struct.field("field_1").fill_null(""),
        )
    )
    head = pl.col("frac").str.slice(0, scale).str.pad_end(scale, "0") if scale else pl.lit("0")
    value = pl.col("whole").replace("", "0").cast(pl.Int64, strict=False) * (10**scale) + (
        head.replace("", "0").cast(pl.Int64, strict=False)
    )
    valid = (
        pl.col("ok")
        & pl.col("frac").str.slice(scale).str.contains(r"^0*$")
        & (pl.col("whole").str.len_chars() <= _MAX_INT_DIGITS)
    )
    signed = pl.when(pl.col("negative")).then(-value).otherwise(value)
    return parts.select(pl.when(valid).then(signed).otherwise(None)).to_series()


def detect_decimal(values: pl.Series, *, default: str = ".") -> str:
    """The decimal mark a money column uses, by majority of unambiguous values.

    ``1.234,56`` / ``12,5`` vote comma, ``1,234.56`` / ``12.50`` vote point; ``1,250`` or
    ``1.250`` alone are ambiguous and leave the per-source ``default``.
    """
    s = values.drop_nulls().str.replace_all(r"[^\d.,]", "")
    comma = int(s.str.contains(r",\d{1,2}$|\.\d{3},").sum() or 0)
    point = int(s.str.contains(r"\.\d{1,2}$|,\d{3}\.").sum() or 0)
    if comma > point:
        return ","
    if point > comma:
        return "."
    return default


def currency_from_symbols(values: pl.Series, default: str = "USD") -> str:
    """Guess the one currency of a file without a currency column from its money symbols."""
    sample = " ".join(values.drop_nulls().head(200).to_list())
    for symbol in sorted(SYMBOLS, key=len, reverse=True):
        if symbol in sample:
            return SYMBOLS[symbol]
    return default
