"""How money, shares and axes read, and which columns a narrow table keeps (pure functions)."""

from __future__ import annotations

from clvtui.tui.widgets.fit_table import choose_columns, hidden_note
from clvtui.tui.widgets.fmt import money, nice_ticks, pct, tick_labels


def test_money_has_its_symbol_separators_and_sensible_decimals() -> None:
    assert money(22410.2, "USD") == "$22,410"
    assert money(936.375, "USD") == "$936.38"
    assert money(12.5, "EUR") == "€12.50"
    assert money(1234.5, "GBP") == "£1,234"
    assert money(12.4, "JPY") == "¥12"  # no minor unit
    assert money(12345, "SEK") == "12,345 SEK"  # no symbol: the code
    assert money(42_000_000, "USD") == "$42.0M"
    assert money(-2.29, "USD") == "-$2.29"
    assert money(None, "USD") == "–"


def test_nothing_rounds_to_a_negative_zero() -> None:
    assert pct(-0.001) == "0 %"
    assert pct(-0.02) == "-2 %"
    assert money(-0.001, "USD") == "$0.00"


def test_axis_ticks_are_round_and_whole_where_counts_are_whole() -> None:
    assert nice_ticks(1, 3, 5, whole=True) == [1.0, 2.0, 3.0]  # fits #1–#3, never 1.17
    assert nice_ticks(0, 26, 4, whole=True) == [0.0, 10.0, 20.0]  # weeks, never 16.7
    ticks = nice_ticks(12_000, 44_753.7, 5)
    assert ticks == [20_000.0, 30_000.0, 40_000.0]
    assert tick_labels(ticks, "money", "USD") == ["$20,000", "$30,000", "$40,000"]
    assert tick_labels([0.0, 0.5, 1.0], "pct") == ["0%", "50%", "100%"]
    assert tick_labels([250_000.0], "money", "USD") == ["$250k"]


def test_a_float_noise_past_a_round_range_keeps_its_round_ticks() -> None:
    """100·c/c can be 100.00000000000001 on one CPU and 100 on another: the same axis."""
    assert nice_ticks(0.0, 100.00000000000001, 6) == [0.0, 20.0, 40.0, 60.0, 80.0, 100.0]
    assert nice_ticks(0.0, 100.0, 6) == [0.0, 20.0, 40.0, 60.0, 80.0, 100.0]
    assert nice_ticks(0.0, 100.001, 6) == [0.0, 25.0, 50.0, 75.0, 100.0]  # a real overshoot


def test_narrow_tables_shrink_text_then_drop_the_least_important() -> None:
    # Tier (shrinks to 10), Active (drop 3), Total (drop 1), CLV (never)
    needs, drops, shrinks = [17, 6, 5, 7], [0, 3, 1, 0], [10, None, None, None]
    assert choose_columns(needs, drops, shrinks, 200) == ([0, 1, 2, 3], [17, 6, 5, 7])
    # 35 + 8 padding = 43 > 40: Tier shrinks by 3
    assert choose_columns(needs, drops, shrinks, 40) == ([0, 1, 2, 3], [14, 6, 5, 7])
    # 30 cells: Active goes first, Tier keeps what is left
    assert choose_columns(needs, drops, shrinks, 30) == ([0, 2, 3], [12, 5, 7])
    # nothing left to drop: the columns that always stay are kept
    assert choose_columns(needs, drops, shrinks, 10)[0] == [0, 3]
    assert hidden_note(["Active", "Total"]) == "+2 cols: Active, Total (widen)"
    assert hidden_note(["Active", "Total"], room=20) == "+2 cols hidden (widen)"
    assert hidden_note([]) == ""
