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
