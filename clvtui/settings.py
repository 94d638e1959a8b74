"""The economics and rules the user controls: margin, costs, discounting, tiers, budget.

Stored as key/value JSON in the ``settings`` table (see ``store.saved_settings``); every value has a
sane default and is validated here, so a bad value gets a clear message before any work starts.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from clvtui.errors import SettingsError

#: The next-best actions a rule-table cell (``action_*`` settings) may name: what each means,
#: what it may cost and when it happens is ``insights.actions.ACTIONS``.
ACTION_NAMES: tuple[str, ...] = (
    "vip", "personal-winback", "winback", "cross-sell", "second-order", "no-paid-contact",
)  # fmt: skip


@dataclass(frozen=True)
class Settings:
    """Everything a CLV run or an insight depends on besides the data.

    ``margin`` is the gross margin as a fraction (0.35 = 35 %); ``None`` means it is unknown and
    every value is *revenue* CLV, which every output must say.
    """

    # --- economics of an order --------------------------------------------------------------
    margin: float | None = None
    cost_per_order: float = 0.0
    acquisition_cost: float = 0.0  # per new customer, where known (0 = unknown / not charged)
    annual_discount_rate: float = 0.10
    horizon_months: int = 12
    # --- profitability tiers ------------------------------------------------------------------
    top_value_share: float = 0.5  # Highly profitable: smallest group holding this share of value
    # Not profitable: net CLV at or below this; None (the default) = the cost of one marketing
    # contact (winback_cost_per_contact): a customer worth less than reaching them costs is not
    # worth marketing to, and "Profitable" no longer holds customers worth cents
    profit_floor: float | None = None
    # --- churn-risk bands on P(alive) -----------------------------------------------------------
    active_min_p_alive: float = 0.7
    lost_max_p_alive: float = 0.3
    # "Valuable but slipping away" lists a customer only when CLV × (1 − P(alive)) is at least
    # this many times the fit's average CLV: what an average customer is worth in all
    slipping_min_stake: float = 1.0
    # --- acquisition and budget ---------------------------------------------------------------
    ltv_cac_ratio: float = 3.0
    winback_response_rate: float = 0.15  # share of contacted at-risk customers who come back
    winback_cost_per_contact: float = 2.0
    acquisition_saturation: float = 0.5  # spend (as a share of budget) where returns halve
    lookalike_pool: float = 1.0  # at most this many new look-alikes per existing tier member
    allow_below_target: bool = False  # may the budget go where return < what the ratio allows?
    # --- next-best action per tier × risk cell (``clvtui actions``; names: ACTION_NAMES) ------
    action_high_active: str = "vip"  # Highly profitable & active: loyalty care, no discount
    action_high_at_risk: str = "personal-winback"
    action_high_lost: str = "personal-winback"
    action_profitable_active: str = "cross-sell"
    action_profitable_at_risk: str = "winback"  # an offer capped at the allowable cost
    action_profitable_lost: str = "winback"
    action_unprofitable: str = "no-paid-contact"  # Not profitable, whatever the risk band
    action_one_time: str = "second-order"  # recent one-time buyers of the two valuable tiers
    # --- cost to serve (issue 13) ---------------------------------------------------------------
    shipping_cost: float = 0.0  # what shipping one order costs the shop (0: not counted)
    own_costs: bool = True  # net CLV: each customer's own cost to serve, where exports carry it

    def __post_init__(self) -> None:
        _validate(self)

    @property
    def value_kind(self) -> str:
        """``'net'`` when a margin is set, else ``'revenue'`` (CLV is then revenue, not profit)."""
        return "revenue" if self.margin is None else "net"

    @property
    def tier_floor(self) -> float:
        """The CLV at or below which a customer is "Not profitable": ``profit_floor`` when set,
        else what one marketing contact costs (``winback_cost_per_contact``)."""
        if self.profit_floor is None:
            return self.winback_cost_per_contact
        return self.profit_floor

    @property
    def monthly_discount_rate(self) -> float:
        """The monthly rate equivalent to the annual one: (1 + annual)^(1/12) − 1."""
        return (1.0 + self.annual_discount_rate) ** (1.0 / 12.0) - 1.0

    def to_mapping(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_mapping(cls, values: dict[str, Any]) -> Settings:
        """Build from stored or user-given values; unknown keys are an error, not ignored."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise SettingsError(
                f"unknown setting(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}"
            )
        return cls(**values)

    def with_changes(self, **changes: Any) -> Settings:
        return replace(self, **changes)


def parse_value(key: str, text: str) -> Any:
    """Turn ``--set key=value`` text into the setting's type (``35%`` → 0.35, ``none`` → None)."""
    known = {f.name: f for f in fields(Settings)}
    if key not in known:
        raise SettingsError(f"unknown setting {key!r}; known: {', '.join(sorted(known))}")
    raw = text.strip()
    if raw.lower() in {"none", "null", ""}:
        if key not in NULLABLE:
            raise SettingsError(f"{key} needs a value")
        return None
    default = getattr(Settings(), key)
    if isinstance(default, str):
        return raw.lower()  # checked against ACTION_NAMES when the settings are built
    if isinstance(default, bool):
        if raw.lower() in {"1", "true", "yes", "on"}:
            return True
        if raw.lower() in {"0", "false", "no", "off"}:
            return False
        raise SettingsError(f"{key} must be yes or no, not {text!r}")
    try:
        if raw.endswith("%"):
            value: float = float(raw[:-1]) / 100.0
        elif isinstance(default, int):
            return int(raw)
        else:
            value = float(raw)
    except ValueError:
        raise SettingsError(f"{key} must be a number, not {text!r}") from None
    if not math.isfinite(value):  # nan, inf, and 1e400 (which float() turns into inf)
        raise SettingsError(f"{key} must be a finite number, not {text!r}")
    return value


#: Settings that take ``none``: margin (unknown: revenue CLV), profit_floor (one contact's cost).
NULLABLE = ("margin", "profit_floor")

MAX_AMOUNT = 1e9  # per order, per customer or per contact, in the shop's currency


def _validate(s: Settings) -> None:
    def bad(msg: str) -> SettingsError:
        return SettingsError(msg)

    _check_types(s)
    if s.margin is not None and not 0.0 < s.margin <= 1.0:
        raise bad(f"margin must be between 0 and 100 % (got {s.margin:.0%}); use 0.35 for 35 %")
    for name in ("cost_per_order", "acquisition_cost", "winback_cost_per_contact"):
        if getattr(s, name) < 0:
            raise bad(f"{name} cannot be negative (got {getattr(s, name)})")
        if getattr(s, name) > MAX_AMOUNT:  # finite but absurd: 1e308 overflows every sum
            raise bad(f"{name} must be at most {MAX_AMOUNT:,.0f} (got {getattr(s, name):g})")
    if s.profit_floor is not None and abs(s.profit_floor) > MAX_AMOUNT:
        raise bad(f"profit_floor must be within ±{MAX_AMOUNT:,.0f} (got {s.profit_floor:g})")
    for name, top in (("ltv_cac_ratio", 1e3), ("acquisition_saturation", 1e3)):
        if getattr(s, name) > top:
            raise bad(f"{name} must be at most {top:,.0f} (got {getattr(s, name):g})")
    if not 0.0 <= s.slipping_min_stake <= 1e3:
        raise bad(f"slipping_min_stake must be in [0, 1000] (got {s.slipping_min_stake:g})")
    if s.lookalike_pool > 1e6:
        raise bad(f"lookalike_pool must be at most 1,000,000 (got {s.lookalike_pool:g})")
    if not 0.0 <= s.annual_discount_rate < 1.0:
        raise bad(f"annual_discount_rate must be in [0, 1) (got {s.annual_discount_rate})")
    if not 1 <= s.horizon_months <= 120:
        raise bad(f"horizon_months must be 1–120 (got {s.horizon_months})")
    if not 0.0 < s.top_value_share < 1.0:
        raise bad(f"top_value_share must be strictly between 0 and 1 (got {s.top_value_share})")
    if not 0.0 <= s.lost_max_p_alive < s.active_min_p_alive <= 1.0:
        raise bad(
            "P(alive) bands need 0 ≤ lost_max_p_alive < active_min_p_alive ≤ 1 "
            f"(got {s.lost_max_p_alive} and {s.active_min_p_alive})"
        )
    if s.ltv_cac_ratio <= 0:
        raise bad(f"ltv_cac_ratio must be above 0 (got {s.ltv_cac_ratio})")
    if not 0.0 <= s.winback_response_rate <= 1.0:
        raise bad(f"winback_response_rate must be in [0, 1] (got {s.winback_response_rate})")
    if s.acquisition_saturation <= 0:
        raise bad(f"acquisition_saturation must be above 0 (got {s.acquisition_saturation})")
    if s.lookalike_pool <= 0:
        raise bad(f"lookalike_pool must be above 0 (got {s.lookalike_pool})")
    if not 0.0 <= s.shipping_cost <= MAX_AMOUNT:
        raise bad(f"shipping_cost must be in [0, {MAX_AMOUNT:,.0f}] (got {s.shipping_cost:g})")


def _check_types(s: Settings) -> None:
    """Every value is of its field's kind and every number finite: a NaN slips through most range
    tests below (all comparisons with it are false), and an infinite cost or ratio turns
    budgets and CPAs into nonsense instead of an error."""
    for f in fields(s):
        value = getattr(s, f.name)
        default = getattr(Settings, f.name)
        if value is None and f.name in NULLABLE:
            continue
        if isinstance(default, str):
            if value not in ACTION_NAMES:
                raise SettingsError(
                    f"{f.name} must be one of {', '.join(ACTION_NAMES)} (got {value!r})"
                )
            continue
        if isinstance(default, bool):
            if not isinstance(value, bool):
                raise SettingsError(f"{f.name} must be yes or no (got {value!r})")
            continue
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise SettingsError(f"{f.name} must be a number (got {value!r})")
        whole = isinstance(value, int) or (math.isfinite(value) and value == int(value))
        if isinstance(default, int) and not whole:
            raise SettingsError(f"{f.name} must be a whole number (got {value!r})")
        if not math.isfinite(value):
            raise SettingsError(f"{f.name} must be a finite number (got {value})")
