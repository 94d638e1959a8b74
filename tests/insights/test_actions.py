"""Next-best actions on a hand-built frame: who gets what, what it may cost, when, and sums."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from clvtui.errors import SettingsError
from clvtui.insights.actions import (
    ACTIONS,
    ONE_TIME,
    action_table,
    assign_actions,
    cell_filter,
    cell_table,
)
from clvtui.settings import ACTION_NAMES, Settings, parse_value

AS_OF = dt.date(2026, 6, 30)
H, P, N = "Highly profitable", "Profitable", "Not profitable"

# id, tier, risk, clv, p_alive, x (repeat orders), next_order_low (weeks)
ROWS = [
    ("a", H, "active", 300.0, 0.9, 5, 2.0),
    ("b", H, "at risk", 240.0, 0.5, 3, None),
    ("c", H, "likely lost", 150.0, 0.2, 2, None),
    ("d", P, "active", 60.0, 0.8, 1, 4.0),
    ("e", P, "at risk", 30.0, 0.4, 1, 10.0),
    ("f", P, "likely lost", 12.0, 0.1, 1, None),
    ("g", P, "active", 45.0, 0.95, 0, 3.0),  # a recent one-time buyer
    ("h", N, "active", -5.0, 0.9, 0, 1.0),  # one order but not profitable: no paid contact
    ("i", N, "likely lost", 0.0, 0.05, 0, None),
    ("j", P, "likely lost", 20.0, 0.2, 0, None),  # one order, no longer active: win-back
]


def frame() -> pl.DataFrame:
    return pl.DataFrame(
        ROWS,
        schema=["customer_id", "tier", "risk", "clv", "p_alive", "x", "next_order_low"],
        orient="row",
    )


def test_each_customer_gets_the_rule_tables_action_and_its_cost() -> None:
    out = assign_actions(frame(), Settings(ltv_cac_ratio=3.0), AS_OF)
    got = {r["customer_id"]: r for r in out.to_dicts()}
    want = {
        "a": ("vip", 300.0 / 3, None),
        "b": ("personal-winback", 240.0 * 0.5 / 3, AS_OF),
        "c": ("personal-winback", 150.0 * 0.8 / 3, AS_OF),
        "d": ("cross-sell", 60.0 / 3, AS_OF + dt.timedelta(days=28)),
        "e": ("winback", 30.0 * 0.6 / 3, AS_OF),
        "f": ("winback", 12.0 * 0.9 / 3, AS_OF),
        "g": ("second-order", 45.0 / 3, AS_OF + dt.timedelta(days=21)),
        "h": ("no-paid-contact", 0.0, None),
        "i": ("no-paid-contact", 0.0, None),
        "j": ("winback", 20.0 * 0.8 / 3, AS_OF),
    }
    for cid, (action, spend, when) in want.items():
        assert got[cid]["action"] == action, cid
        assert got[cid]["max_spend"] == pytest.approx(spend, abs=1e-12), cid
        assert got[cid]["contact_on"] == when, cid
    assert got["g"]["one_time"] and not got["h"]["one_time"] and not got["j"]["one_time"]


def test_second_order_nudge_comes_at_the_shops_typical_second_order() -> None:
    """One order cannot time a customer's next: g's nudge comes at first order + the shop's
    median gap (6 weeks, g bought 2 weeks ago: in 4 weeks), or now once that has passed."""
    recent = frame().with_columns(T=pl.lit(2.0))
    out = assign_actions(recent, Settings(), AS_OF, second_order_weeks=6.0)
    got = dict(zip(out["customer_id"], out["contact_on"], strict=True))
    assert got["g"] == AS_OF + dt.timedelta(days=28)
    assert got["d"] == AS_OF + dt.timedelta(days=28)  # repeat buyer: their own window (4 weeks)
    late = assign_actions(frame().with_columns(T=pl.lit(9.0)), Settings(), AS_OF,
                          second_order_weeks=6.0)  # fmt: skip
    assert late.filter(pl.col("customer_id") == "g")["contact_on"].item() == AS_OF


def test_numbers_add_up_over_actions_and_cells() -> None:
    s = Settings()
    out = assign_actions(frame(), s, AS_OF)
    actions = action_table(out, s)
    cells = cell_table(out, s)
    assert out["action"].null_count() == 0
    assert sum(a["customers"] for a in actions) == len(ROWS)
    assert sum(c["customers"] for c in cells) == len(ROWS)
    stake = sum(clv * (1 - p) for _, _, _, clv, p, _, _ in ROWS)
    assert sum(a["value_at_stake"] for a in actions) == pytest.approx(stake, abs=1e-9)
    assert sum(c["value_at_stake"] for c in cells) == pytest.approx(stake, abs=1e-9)
    by = {a["action"]: a for a in actions}
    assert by["winback"]["customers"] == 3
    assert by["winback"]["max_spend_total"] == pytest.approx((18 + 10.8 + 16) / 3)
    assert by["winback"]["max_spend_each"] == pytest.approx((18 + 10.8 + 16) / 9)
    assert by["cross-sell"]["contact_median"] == AS_OF + dt.timedelta(days=28)
    assert [a["action"] for a in actions] == list(ACTION_NAMES)  # all six in use by default
    # every cell's filter finds exactly its customers, and each customer is in one cell
    seen: list[str] = []
    for c in cells:
        ids = out.filter(cell_filter(c["tier"], c["risk"]))["customer_id"].to_list()
        assert len(ids) == c["customers"]
        seen += ids
    assert sorted(seen) == sorted(r[0] for r in ROWS)
    assert cells[-1]["tier"] == ONE_TIME and cells[-1]["customers"] == 1


def test_the_owner_edits_the_rule_table() -> None:
    s = Settings(action_profitable_lost="no-paid-contact", action_one_time="cross-sell")
    out = assign_actions(frame(), s, AS_OF)
    got = dict(zip(out["customer_id"], out["action"], strict=True))
    assert got["f"] == got["j"] == "no-paid-contact"
    assert got["g"] == "cross-sell"
    names = [a["action"] for a in action_table(out, s)]
    assert "second-order" not in names  # unused and empty: not listed


def test_an_unknown_action_is_one_clear_line() -> None:
    assert parse_value("action_high_active", " VIP ") == "vip"
    with pytest.raises(SettingsError, match="action_high_active must be one of vip, "):
        Settings.from_mapping({"action_high_active": "discount-everyone"})
    assert set(ACTIONS) == set(ACTION_NAMES)


def test_one_time_buyers_from_orders_when_x_is_not_read() -> None:
    by_x = assign_actions(frame(), Settings(), AS_OF)
    by_orders = assign_actions(
        frame().with_columns((pl.col("x") + 1).alias("orders")).drop("x"), Settings(), AS_OF
    )
    assert by_orders["action"].to_list() == by_x["action"].to_list()
    assert by_orders["one_time"].sum() == 1
