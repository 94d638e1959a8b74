"""The bit masks of a shop's order lines, as the insights use them: built in
:mod:`clvtui.core.order_masks` (the store keeps each buyer's masks too, and may not import
the insights); named here for the callers that know them by this module."""

from __future__ import annotations

from clvtui.core.order_masks import (
    ShopMasks,
    coded_shop_masks,
    distinct,
    first_two,
    incidence,
    shop_masks,
    time_order,
    to_time,
)

__all__ = [
    "ShopMasks", "coded_shop_masks", "distinct", "first_two", "incidence", "shop_masks",
    "time_order", "to_time",
]  # fmt: skip
