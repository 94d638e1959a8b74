"""Plurals in reports: "1 order", never "1 orders"."""

from __future__ import annotations

import pytest

from clvtui.wording import plural


@pytest.mark.parametrize(
    ("n", "noun", "text"),
    [(0, "order", "0 orders"), (1, "order", "1 order"), (2, "purchase", "2 purchases"),
     (1234, "row", "1,234 rows"), (1, "currency", "1 currency"), (3, "currency", "3 currencies"),
     (2, "new order", "2 new orders")],
)  # fmt: skip
def test_plural(n: int, noun: str, text: str) -> None:
    assert plural(n, noun) == text


def test_value_kind_words_are_the_same_on_every_face() -> None:
    """Net vs revenue CLV: one vocabulary, read by the TUI, the CLI and the tier rule."""
    from clvtui.cli.common import kind_label
    from clvtui.insights.segments import TierRule
    from clvtui.tui.run_facts import run_value_kind
    from clvtui.wording import clv_label, clv_label_long, value_basis

    assert clv_label("net") == "net CLV"
    assert clv_label("revenue") == clv_label(None) == "revenue CLV (no margin set)"
    assert value_basis("net") == "net (after margin and cost per order)"
    assert value_basis("revenue") == "revenue (no margin set)"
    assert clv_label_long("revenue").startswith(clv_label("revenue").removesuffix(")"))
    for kind in ("net", "revenue"):
        assert run_value_kind({"value_kind": kind}) == clv_label(kind)
        assert run_value_kind({"report": {"value_kind": kind}}) == clv_label(kind)
        assert kind_label(kind) == clv_label_long(kind)
        rule = TierRule(top_value_share=0.5, profit_floor=0.0, high_cutoff=10.0, value_kind=kind)
        assert f"by descending {clv_label(kind)}," in rule.describe()


def test_one_count_of_calibration_bars() -> None:
    import numpy as np

    from clvtui.model.validate import HISTOGRAM_BINS, calibration_histogram

    x = np.array([0, 1, 1, 2, 7, 9, 12], dtype=float)
    T = np.full(x.size, 40.0)
    doc = calibration_histogram(np.array([0.5, 5.0, 0.5, 3.0]), x, T)
    assert len(doc["actual"]) == len(doc["expected"]) == len(doc["labels"]) == HISTOGRAM_BINS
    assert doc["labels"][-1] == f"{HISTOGRAM_BINS - 1}+"
    assert doc["actual"] == [1, 2, 1, 0, 0, 0, 0, 3]
    assert sum(doc["expected"]) == pytest.approx(x.size, abs=1e-9)  # the last bar: the rest
