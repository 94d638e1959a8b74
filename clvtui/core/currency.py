"""ISO 4217 currency codes as a user types them: ``--currency eur`` is EUR, ``euro`` is refused
with "did you mean EUR?" instead of becoming a currency called EURO that no order is in."""

from __future__ import annotations

import difflib

from clvtui.errors import InputError

#: The ISO 4217 codes in use (and a few recently replaced, which old exports still carry).
ISO_4217 = frozenset(
    """AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD
    BTN BWP BYN BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUC CUP CVE CZK DJF DKK DOP
    DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HRK HTG HUF IDR ILS
    INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD
    MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR
    PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS
    SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD USN UYI UYU UYW
    UZS VED VES VND VUV WST XAF XAG XAU XBA XBB XBC XBD XCD XCG XDR XOF XPD XPF XPT XSU XTS
    XUA XXX YER ZAR ZMW ZWG ZWL""".split()  # noqa: SIM905 (a table, read as one)
)

#: What people type instead of a code (singular, lower case).
_NAMES = {
    "euro": "EUR", "eur": "EUR", "dollar": "USD", "usdollar": "USD", "buck": "USD",
    "pound": "GBP", "sterling": "GBP", "quid": "GBP", "yen": "JPY", "yuan": "CNY",
    "renminbi": "CNY", "rmb": "CNY", "rupee": "INR", "won": "KRW", "franc": "CHF",
    "krona": "SEK", "krone": "DKK", "zloty": "PLN", "real": "BRL", "peso": "MXN", "rand": "ZAR",
    "forint": "HUF", "lira": "TRY", "ruble": "RUB", "rouble": "RUB", "koruna": "CZK",
    "$": "USD", "us$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR", "₩": "KRW",
}  # fmt: skip


def currency_code(text: str, where: str = "--currency") -> str:
    """The ISO 4217 code ``text`` names (any case, spaces trimmed), or a one-line
    :class:`InputError` with the likely code: an unknown code would only ever match nothing."""
    code = text.strip().upper()
    if code in ISO_4217:
        return code
    hint = suggest(text)
    tip = f"; did you mean {hint}?" if hint else " (three letters, e.g. EUR, USD, GBP)"
    raise InputError(f"{where}: {text.strip()!r} is not an ISO 4217 currency code{tip}")


def suggest(text: str) -> str | None:
    """The code a mistyped currency most likely means (None when nothing is close)."""
    word = "".join(text.strip().lower().split())
    plain = word.rstrip("s") if len(word) > 3 else word  # euros, dollars, pounds
    for key in (word, plain, word[:3]):
        if key in _NAMES:
            return _NAMES[key]
    if len(word) == 3:  # a typo in the last letter (EUX): the one code sharing the first two
        same_start = [c for c in ISO_4217 if c[:2] == word[:2].upper()]
        if len(same_start) == 1:
            return same_start[0]
    close = difflib.get_close_matches(plain, list(_NAMES), n=1, cutoff=0.75)  # "eruo", "yenn"
    return _NAMES[close[0]] if close else None
