"""The table's own cell drawing (FrameTable._render_cell) against the base table's: the same
segments, cell by cell, for every kind of value and highlight a customer table shows."""

from __future__ import annotations

import asyncio

import polars as pl
from rich.style import Style
from textual.app import App, ComposeResult
from textual_fastdatatable import DataTable

from clvtui.tui.widgets import frame_table
from clvtui.tui.widgets.frame_table import ColumnSpec, FrameTable, text_cell

COLUMNS = [
    ColumnSpec("customer_id", "Customer", 14, text_cell),
    ColumnSpec("name", "Name", 10, text_cell),
    ColumnSpec("clv", "CLV", 9, lambda v: f"{v:,.2f}", numeric=True),
    ColumnSpec("orders", "Orders", 3, str, numeric=True),
    ColumnSpec("tier", "Tier", 2, text_cell),
]
FRAME = pl.DataFrame(
    {
        "customer_id": ["shopify:a@x.com", "b", "shopify:a-very-long-id@example.com", "ü", ""],
        "name": ["Ann", None, "宮崎 駿 Hayao", "line\nbreak", "tab\there"],
        "clv": [1234.5, 0.0, -3.25, 1e9, 12.0],
        "orders": [1, 22, 333, 4444, 5],
        "tier": ["High", "Low", "Profitable", "x", "y"],
    }
)


class _Table(App[None]):
    def compose(self) -> ComposeResult:
        yield FrameTable(COLUMNS, FRAME, id="t")


def test_cells_are_drawn_as_the_base_table_draws_them(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    drawn = []
    real = frame_table._cell_line
    monkeypatch.setattr(frame_table, "_cell_line", lambda *a: drawn.append(a) or real(*a))

    async def run() -> int:
        app = _Table()
        async with app.run_test(size=(60, 12)) as pilot:
            await pilot.pause()
            table = app.query_one("#t", FrameTable)
            drawn.clear()  # the first paint's
            compared = 0
            for base in (Style(), Style(bgcolor="red", bold=True)):
                for row in range(FRAME.height):
                    for col, spec in enumerate(COLUMNS):
                        for flags in [(False, False, False), (True, False, False),
                                      (False, True, False), (True, True, True)]:  # fmt: skip
                            table._cell_render_cache.clear()
                            ours = table._render_cell(row, col, base, spec.width + 2, *flags)
                            table._cell_render_cache.clear()
                            theirs = DataTable._render_cell(
                                table, row, col, base, spec.width + 2, *flags
                            )
                            assert ours == theirs, (row, spec.key, flags)
                            compared += 1
            return compared

    assert asyncio.run(run()) == 2 * FRAME.height * len(COLUMNS) * 4
    # every cell went through the table's own drawing (line breaks and tabs are escaped by
    # text_cell, a None is an empty Text): none of the above compared the base with itself
    assert len(drawn) == 2 * FRAME.height * len(COLUMNS) * 4
