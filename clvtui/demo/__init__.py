"""The demo shop: simulated customers (``simulate``) written as real-looking exports
(``shop_exports``), for ``clvtui demo``, the recovery tests and the benchmarks.

Not on the product's import path: nothing in ingest, store, model or the faces' jobs needs it.
"""

from clvtui.demo.simulate import (
    ORDER_COLUMNS,
    SHAPES,
    WHOLESALE_ID,
    DemoParams,
    demo_start_text,
    simulate_orders,
    simulate_shape,
    write_demo_export,
)

__all__ = [
    "ORDER_COLUMNS",
    "SHAPES",
    "WHOLESALE_ID",
    "DemoParams",
    "demo_start_text",
    "simulate_orders",
    "simulate_shape",
    "write_demo_export",
]
