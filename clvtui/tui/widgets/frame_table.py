"""A virtual table over a polars frame: only the rows on screen are ever formatted.

Built on textual-fastdatatable (the built-in DataTable needs ~12 s for 100k rows). The backend
keeps the numeric frame (so sorting is numeric and done by polars over the whole frame) and
formats a row only when the table asks for it; column widths are given, not measured, so a
new view of a million rows costs one polars sort or filter and nothing else.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl
from rich.text import Text
from textual.coordinate import Coordinate
from textual_fastdatatable import DataTable
from textual_fastdatatable.backend import PolarsBackend

Formatter = Callable[[Any], Text | str]


@dataclass(frozen=True)
class ColumnSpec:
    """One displayed column: frame column, header label, width and cell formatter."""

    key: str
    label: str
    width: int
    fmt: Formatter = str
    numeric: bool = False


def text_cell(value: Any) -> Text:
    return Text("" if value is None else str(value), no_wrap=True, overflow="ellipsis")


class FormattedBackend(PolarsBackend):
    """A polars backend that formats on demand and never measures the data."""

    def __init__(self, frame: pl.DataFrame, columns: Sequence[ColumnSpec]) -> None:
        super().__init__(frame.select([c.key for c in columns]))
        self._specs = list(columns)
        self._column_content_widths = [c.width for c in columns]

    @property
    def column_content_widths(self) -> list[int]:
        return self._column_content_widths

    def _cell(self, spec: ColumnSpec, value: Any) -> Text | str:
        if value is None:
            return ""
        text = spec.fmt(value)
        if spec.numeric and isinstance(text, str):
            return Text(text, justify="right", no_wrap=True)
        return text

    def get_row_at(self, index: int) -> Sequence[Any]:
        row = self.data.row(index)
        return [self._cell(s, v) for s, v in zip(self._specs, row, strict=True)]

    def get_cell_at(self, row_index: int, column_index: int) -> Any:
        return self._cell(self._specs[column_index], self.data[row_index, column_index])


class FrameTable(DataTable):
    """Shows a polars frame through ``ColumnSpec``s; ``show(frame)`` swaps the rows in place."""

    DEFAULT_CSS = """
    FrameTable { height: 1fr; }
    """

    def __init__(
        self, columns: Sequence[ColumnSpec], frame: pl.DataFrame | None = None, **kwargs: Any
    ) -> None:
        self.specs = list(columns)
        schema = {c.key: pl.Utf8 for c in columns}
        frame = frame if frame is not None else pl.DataFrame(schema=schema)
        super().__init__(
            backend=FormattedBackend(frame, columns),
            column_labels=[c.label for c in columns],
            column_widths=[c.width for c in columns],
            cursor_type="row",
            zebra_stripes=True,
            **kwargs,
        )
        self.frame = frame

    def show(self, frame: pl.DataFrame, *, keep_cursor: bool = False) -> None:
        """Display ``frame`` (same columns); cursor back to the top unless ``keep_cursor``."""
        self.frame = frame
        self.backend = FormattedBackend(frame, self.specs)
        self.backend.render_markup = False
        self._clear_caches()
        self._update_count += 1
        self._update_dimensions([])
        row = min(self.cursor_row, max(frame.height - 1, 0)) if keep_cursor else 0
        self.cursor_coordinate = Coordinate(row, self.cursor_column)
        if not keep_cursor:
            self.scroll_to(y=0, animate=False)
        self.refresh()

    def row_value(self, key: str, row: int | None = None) -> Any:
        """The raw value of column ``key`` at ``row`` (default: the cursor row)."""
        row = self.cursor_row if row is None else row
        if not 0 <= row < self.frame.height:
            return None
        return self.frame[row, key]
