"""A virtual table over a polars frame: only the rows on screen are ever formatted.

Built on textual-fastdatatable (the built-in DataTable needs ~12 s for 100k rows). The backend
keeps the numeric frame and formats a row only when the table asks for it; a sorted or
filtered view is an index of row numbers (``order``), and column widths are given, not
measured, so a new view of a million rows costs one polars arg-sort or filter and nothing else.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.color import Color
from textual.coordinate import Coordinate
from textual.geometry import Region
from textual.strip import Strip
from textual_fastdatatable import DataTable
from textual_fastdatatable.backend import PolarsBackend

from clvtui.tui.widgets.cell_segments import fitting_cell_line
from clvtui.tui.widgets.fit_table import choose_columns, hidden_note
from clvtui.wording import printable

Formatter = Callable[[Any], Text | str]


@dataclass(frozen=True)
class ColumnSpec:
    """One displayed column: frame column, header label, width and cell formatter."""

    key: str
    label: str
    width: int
    fmt: Formatter = str
    numeric: bool = False
    drop: int = 0  # 0: always shown; otherwise the highest goes first when the table is narrow


def text_cell(value: Any) -> Text:
    """A text cell; control characters escaped (a newline in an id must not break the row)."""
    return Text("" if value is None else printable(value), no_wrap=True, overflow="ellipsis")


class FormattedBackend(PolarsBackend):
    """A polars backend that formats on demand and never measures the data.

    ``order`` (row numbers into ``frame``) is the view: a sort or a filter is an index of
    4-byte row numbers, so a new view of a million customers never copies their columns.
    """

    def __init__(
        self,
        frame: pl.DataFrame,
        columns: Sequence[ColumnSpec],
        order: pl.Series | None = None,
    ) -> None:
        super().__init__(frame.select([c.key for c in columns]))
        self._specs = list(columns)
        self._column_content_widths = [c.width for c in columns]
        # numpy indexing of one element is ~10x cheaper than a polars Series'
        self._order = None if order is None else order.to_numpy()
        self._row_at = -1  # the view row whose values ``_row_values`` holds
        self._row_values: tuple[Any, ...] = ()

    @property
    def row_count(self) -> int:
        return len(self.data) if self._order is None else len(self._order)

    @property
    def column_content_widths(self) -> list[int]:
        return self._column_content_widths

    def _row(self, index: int) -> int:
        if not 0 <= index < self.row_count:
            raise IndexError(f"no row {index} in a view of {self.row_count} rows")
        return index if self._order is None else int(self._order[index])

    def _cell(self, spec: ColumnSpec, value: Any) -> Text | str:
        if value is None:
            return ""
        text = spec.fmt(value)
        if spec.numeric and isinstance(text, str):
            return Text(text, justify="right", no_wrap=True)
        return text

    def get_row_at(self, index: int) -> Sequence[Any]:
        row = self.data.row(self._row(index))
        return [self._cell(s, v) for s, v in zip(self._specs, row, strict=True)]

    def get_cell_at(self, row_index: int, column_index: int) -> Any:
        # the table draws a row cell by cell: one polars row read serves all its cells (a
        # frame lookup per cell was a tenth of a page key's time at a million customers)
        if row_index != self._row_at:
            self._row_values = self.data.row(self._row(row_index))
            self._row_at = row_index
        return self._cell(self._specs[column_index], self._row_values[column_index])

    def get_column_at(self, column_index: int) -> Sequence[Any]:
        column = self.data.to_series(column_index)
        if self._order is not None:
            column = column.gather(self._order)
        return [self._cell(self._specs[column_index], v) for v in column]


def _cell_line(console: Console, cell: Text, width: int, pre: Style, post: Style) -> list[Segment]:
    """What ``console.render_lines(Styled(Padding(cell, (0, 1)), pre, post), width × 1)``
    gives for a one-line ``Text``, step by step without the console's dispatch."""
    fitting = fitting_cell_line(console, cell, width, pre, post)
    if fitting is not None:
        return fitting
    inner = width - 2
    wrapped = cell.wrap(
        console,
        inner,
        justify=cell.justify or "default",
        overflow=cell.overflow or "fold",
        tab_size=(console.tab_size if cell.tab_size is None else cell.tab_size) or 8,
        no_wrap=bool(cell.no_wrap),
    )
    segments = list(Text("\n").join(wrapped).render(console, end=cell.end))
    null = Style.null()  # Padding's style ("none")
    split = Segment.split_and_crop_lines
    padded = next(split(segments, inner, style=null, pad=True, include_new_lines=False), None)
    if padded is None:
        padded = [Segment(" " * inner, null)]
    line = [Segment(" ", null), *padded, Segment(" ", null), Segment.line()]
    styled = Segment.apply_style(line, style=pre, post_style=post)
    return next(split(styled, width, pad=True, include_new_lines=False))


class _DrawnStyles:
    """A component's styles during one drawing pass: ``rich_style`` computed once."""

    def __init__(self, styles: Any) -> None:
        self._styles = styles
        self.rich_style: Style = styles.rich_style

    def __getattr__(self, name: str) -> Any:
        return getattr(self._styles, name)


class FrameTable(DataTable):
    """Shows a polars frame through ``ColumnSpec``s; ``show(frame)`` swaps the rows in place."""

    DEFAULT_CSS = """
    FrameTable { height: 1fr; }
    """
    _pass_styles: dict[Any, Any] | None = None  # styles memoised while the rows are drawn

    def __init__(
        self, columns: Sequence[ColumnSpec], frame: pl.DataFrame | None = None, **kwargs: Any
    ) -> None:
        self.all_specs = list(columns)  # every column it can show
        self.specs = list(columns)  # the ones it shows at its current width
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
        self.order: pl.Series | None = None
        self._styles_to_check = False
        self._drawn_styles: tuple[Any, ...] | None = None

    def set_columns(self, columns: Sequence[ColumnSpec]) -> None:
        """New column set (same frame keys; e.g. formatters in the run's currency)."""
        self.all_specs = list(columns)
        self._use(self.all_specs)
        self._fit_columns()

    def on_resize(self) -> None:
        self._fit_columns()

    def _fit_columns(self) -> None:
        """Show the columns that fit the width; the rest are named in the border subtitle.

        Widths are given, never measured, so this costs the same for any number of rows.
        """
        room = self.scrollable_content_region.width
        if room <= 0:
            return
        if not self.show_vertical_scrollbar:
            room -= self.styles.scrollbar_size_vertical  # rows usually outnumber the lines
        specs = self.all_specs
        shown, _ = choose_columns(
            [c.width for c in specs], [c.drop for c in specs], [None] * len(specs), room
        )
        picked = [specs[i] for i in shown]
        self.border_subtitle = hidden_note(
            [c.label for c in specs if c not in picked], self.size.width
        )
        if picked != self.specs:
            self._use(picked)

    def _use(self, specs: list[ColumnSpec]) -> None:
        """Show these columns (the rows stay, the cursor stays on its row)."""
        self.specs = specs
        self._column_labels = [c.label for c in specs]
        self._column_widths = [c.width for c in specs]
        self._ordered_columns = None
        column = min(self.cursor_column, len(specs) - 1)
        self.cursor_coordinate = Coordinate(self.cursor_row, max(column, 0))
        self.show(self.frame, self.order, keep_cursor=True)

    def watch_loading(self) -> None:
        """While loading, a focused table's keys are not active: tell the footer."""
        self.refresh_bindings()

    def notify_style_update(self) -> None:
        """Re-render the rows only if a style they are drawn with changed.

        Textual re-applies the stylesheet every time a screen is shown, and the base table then
        drops every rendered row (~35 ms for a screen of customers, at each switch to the
        screen). Which styles the rows use is only final once the component classes are
        processed (after this call), so the check waits for the next render.
        """
        self._styles_to_check = True
        self.refresh()

    def _row_styles(self) -> tuple[Any, ...]:
        """Everything the cached rows were drawn with, besides what their cache keys hold."""
        names = sorted(self.COMPONENT_CLASSES)
        return (
            self.app.theme,
            self.rich_style,
            *(self.get_component_styles(name).rich_style for name in names),
            *(self.get_component_styles(name).text_opacity for name in names),
        )

    def render_lines(self, crop: Region) -> list[Strip]:
        if self._styles_to_check:
            self._styles_to_check = False
            styles = self._row_styles()
            if styles != self._drawn_styles:
                self._drawn_styles = styles
                self._clear_caches()
        self._pass_styles = {}
        try:
            return super().render_lines(crop)
        finally:
            self._pass_styles = None

    # While the rows are drawn, the styles they are drawn with cannot change, yet the base
    # table recomputes four of them for every row (each walks the widget's ancestors): a
    # fifth of a sort's or a page's time at a million customers. Memoised for one pass.
    @property
    def rich_style(self) -> Style:
        memo = self._pass_styles
        if memo is None:
            return super().rich_style
        if "rich_style" not in memo:
            memo["rich_style"] = super().rich_style
        return memo["rich_style"]

    @property
    def background_colors(self) -> tuple[Color, Color]:
        memo = self._pass_styles
        if memo is None:
            return super().background_colors
        if "background_colors" not in memo:
            memo["background_colors"] = super().background_colors
        return memo["background_colors"]

    def get_component_styles(self, *names: str) -> Any:
        memo = self._pass_styles
        if memo is None:
            return super().get_component_styles(*names)
        if names not in memo:
            memo[names] = _DrawnStyles(super().get_component_styles(*names))
        return memo[names]

    def _cell_settings(self) -> tuple[int, int, bool, bool, tuple[bool, ...]]:
        """The table's settings a body cell is drawn with (reactive attributes: ~10 reads a
        cell, read once per drawing pass)."""
        memo = self._pass_styles
        if memo is not None and "cell" in memo:
            return memo["cell"]
        flags = (
            self.show_cursor, self._show_hover_cursor, self.cursor_type == "range",
            self.cursor_foreground_priority == "css", self.cursor_background_priority == "css",
        )  # fmt: skip
        settings = (self.fixed_rows, self.fixed_columns, self._show_hover_cursor,
                    self.max_column_content_width is None, flags)  # fmt: skip
        if memo is not None:
            memo["cell"] = settings
        return settings

    def _cell_styles(
        self, hover: bool, cursor: bool, in_range: bool, flags: tuple[bool, ...]
    ) -> tuple[Style, Style]:
        """(component, post) styles of a body cell: three highlights, so a few per pass."""
        memo = self._pass_styles
        key = ("cell styles", hover, cursor, in_range)
        if memo is not None and key in memo:
            return memo[key]
        styles = self._get_styles_to_render_cell(False, False, False, hover, cursor, in_range,
                                                 *flags)  # fmt: skip
        if memo is not None:
            memo[key] = styles
        return styles

    def _render_cell(
        self,
        row_index: int,
        column_index: int,
        base_style: Style,
        width: int,
        cursor: bool = False,
        hover: bool = False,
        in_range: bool = False,
    ) -> list[list[Segment]]:
        """A body cell drawn straight from its one-line ``Text``; the same segments as the base
        table's (``tests/tui/test_frame_table_cells.py`` holds them equal), which renders
        ``Styled(Padding(cell))`` through rich's generic console machinery: half of a page
        key's time at a million customers, as every page of new rows draws ~300 new cells."""
        fixed_rows, fixed_columns, hover_cursor, plain_width, flags = self._cell_settings()
        body = row_index >= max(fixed_rows, 0) and column_index >= fixed_columns
        key = (row_index, column_index, base_style, cursor, hover, in_range,
               hover_cursor, self._update_count, self._pseudo_class_state)  # fmt: skip
        plain = width >= 3 and plain_width  # no forced ellipsis
        if not body or not plain or key in self._cell_render_cache:
            return super()._render_cell(
                row_index, column_index, base_style, width, cursor, hover, in_range
            )
        cell = self._get_cell_renderable(row_index, column_index, max_width=width - 2)
        if not isinstance(cell, Text) or "\n" in cell.plain or "\t" in cell.plain:
            return super()._render_cell(
                row_index, column_index, base_style, width, cursor, hover, in_range
            )
        component, post = self._cell_styles(hover, cursor, in_range, flags)
        pre = base_style + Style.from_meta({"row": row_index, "column": column_index})
        lines = [_cell_line(self.app.console, cell, width, pre + component, post)]
        self._cell_render_cache[key] = lines
        return lines

    def show(
        self,
        frame: pl.DataFrame,
        order: pl.Series | None = None,
        *,
        keep_cursor: bool = False,
    ) -> None:
        """Display ``frame``'s rows ``order`` (default: all, as they are); cursor to the top.

        Nothing is measured or copied: the cost is the same for ten rows or a million.
        """
        self.frame, self.order = frame, order
        self.backend = FormattedBackend(frame, self.specs, order)
        self.backend.render_markup = False
        self._clear_caches()
        self._update_count += 1
        self._update_dimensions([])
        height = self.backend.row_count
        row = min(self.cursor_row, max(height - 1, 0)) if keep_cursor else 0
        self.cursor_coordinate = Coordinate(row, self.cursor_column)
        if not keep_cursor:
            self.scroll_to(y=0, animate=False)
        self.refresh()

    def shown(self) -> pl.DataFrame:
        """The rows on display, in display order, as a frame (for exports)."""
        return self.frame if self.order is None else self.frame[self.order]

    def row_value(self, key: str, row: int | None = None) -> Any:
        """The raw value of column ``key`` at ``row`` (default: the cursor row)."""
        row = self.cursor_row if row is None else row
        if not 0 <= row < self.row_count:
            return None
        index = row if self.order is None else int(self.order[row])
        return self.frame[index, key]
