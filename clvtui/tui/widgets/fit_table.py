"""Tables whose columns adapt to the width they get: nothing is cut without a marker.

A wide table on a 13-inch laptop used to lose its right-hand columns (Total, CLV, Value at
risk) behind a scrollbar nobody noticed. Here each column says how early it may go
(``drop``: 0 never; higher goes first) and how narrow a text column may get (``shrink``: its
cells then end in ``…``). When the columns do not fit, the table shrinks the shrinkable ones,
then drops the least important, and its border subtitle says how many are hidden.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rich.cells import cell_len
from rich.text import Text
from textual.widgets import DataTable

CELL_PADDING = 2  # DataTable's default: one cell of padding each side


@dataclass(frozen=True)
class FitColumn:
    """A column of a ``FitTable``: its label, drop order and narrowest width (text only)."""

    label: str
    drop: int = 0
    shrink: int | None = None
    numeric: bool = False


def choose_columns(
    needs: Sequence[int], drops: Sequence[int], shrinks: Sequence[int | None], room: int
) -> tuple[list[int], list[int]]:
    """Which columns to show (indexes, in order) and at what widths, for ``room`` cells.

    Shrinkable columns give up width first, then the highest ``drop`` goes, until it fits
    (columns with ``drop`` 0 are always shown, even if they must overflow); a dropped column
    narrow enough for the room left comes back (the most important first).
    """
    shown = list(range(len(needs)))
    widths = _squeeze(shown, needs, shrinks, room)
    while sum(widths) + CELL_PADDING * len(shown) > room:
        droppable = [i for i in shown if drops[i] > 0]
        if not droppable:
            break
        shown.remove(max(droppable, key=lambda i: (drops[i], i)))
        widths = _squeeze(shown, needs, shrinks, room)
    for i in sorted(set(range(len(needs))) - set(shown), key=lambda i: drops[i]):
        trial = sorted([*shown, i])
        trial_widths = _squeeze(trial, needs, shrinks, room)
        if sum(trial_widths) + CELL_PADDING * len(trial) <= room:
            shown, widths = trial, trial_widths
    return shown, widths


def _squeeze(
    shown: Sequence[int], needs: Sequence[int], shrinks: Sequence[int | None], room: int
) -> list[int]:
    """Widths of the ``shown`` columns, shrinkable ones narrowed (to their floor) to fit."""
    widths = [needs[i] for i in shown]
    over = sum(widths) + CELL_PADDING * len(shown) - room
    for k, i in enumerate(shown):
        floor = shrinks[i]
        if over <= 0:
            break
        if floor is not None and widths[k] > floor:
            give = min(widths[k] - floor, over)
            widths[k] -= give
            over -= give
    return widths


def hidden_note(hidden: Sequence[str], room: int = 200) -> str:
    """The visible marker for dropped columns: ``+2 cols: Total, CLV (widen)``, or just
    ``+7 cols hidden (widen)`` when the names would not fit the border."""
    if not hidden:
        return ""
    noun = "col" if len(hidden) == 1 else "cols"
    named = f"+{len(hidden)} {noun}: {', '.join(hidden)} (widen)"
    return named if len(named) <= room - 6 else f"+{len(hidden)} {noun} hidden (widen)"


def _cut(cell: Any) -> Text:
    """``cell`` as one line that ends in ``…`` where its column is narrower (the value itself
    is kept whole: ``get_row_at`` still reads the full text)."""
    text = cell.copy() if isinstance(cell, Text) else Text(str(cell))
    text.no_wrap, text.overflow = True, "ellipsis"
    return text


class FitTable(DataTable[Any]):
    """A DataTable given all its rows at once (``set_rows``) that fits its columns to its width.

    Small tables only (tiers, parameters, a customer's orders): every resize rebuilds the
    rows shown, which is a few hundred cells at most.
    """

    def __init__(self, columns: Sequence[FitColumn], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.fit_columns = list(columns)
        self._rows: list[tuple[Sequence[Any], str | None]] = []
        self._layout: tuple[list[int], list[int]] | None = None
        self._note = ""

    def set_note(self, note: str) -> None:
        """A subtitle of the screen's own, kept beside the hidden-columns marker."""
        self._note = note
        self._show_marker()

    def set_rows(self, rows: Sequence[tuple[Sequence[Any], str | None]]) -> None:
        """Replace every row: (cells, key) pairs, cells in the order of the columns."""
        self._rows = [(list(cells), key) for cells, key in rows]
        self._layout = None
        self._rebuild()

    def on_resize(self) -> None:
        self._rebuild()

    def watch_show_vertical_scrollbar(self, _was: bool, _now: bool) -> None:
        """The scrollbar came or went without a resize: refit to the room it leaves.

        Rows set before the table's final height can show a scrollbar for one layout; fitted
        then, the columns kept its width after it went (a snapshot, on a loaded machine, had
        every column 2 cells narrower beside no scrollbar)."""
        self.call_after_refresh(self._rebuild)

    def _room(self) -> int:
        width = self.scrollable_content_region.width
        if not self.show_vertical_scrollbar and len(self._rows) + 1 > self.content_size.height:
            width -= self.styles.scrollbar_size_vertical  # about to need one
        return width

    def _needs(self) -> list[int]:
        needs = [cell_len(c.label) for c in self.fit_columns]
        for cells, _key in self._rows:
            for i, cell in enumerate(cells):
                plain = cell.plain if isinstance(cell, Text) else str(cell)
                needs[i] = max(needs[i], cell_len(plain))
        return needs

    def _rebuild(self) -> None:
        room = self._room()
        if room <= 0:  # not laid out (a hidden tab): every column, refitted once it is shown
            room = 10**6
        cols = self.fit_columns
        layout = choose_columns(
            self._needs(), [c.drop for c in cols], [c.shrink for c in cols], room
        )
        if layout == self._layout and self.row_count == len(self._rows):
            return
        self._layout = layout
        shown, widths = layout
        row = self.cursor_row
        self.clear(columns=True)
        for i, width in zip(shown, widths, strict=True):
            self.add_column(cols[i].label, width=width)
        for cells, key in self._rows:
            picked = [self._cell(cells[i], cols[i], w) for i, w in zip(shown, widths, strict=True)]
            self.add_row(*picked, key=key)
        if self._rows:
            self.move_cursor(row=min(row, len(self._rows) - 1), animate=False)
        self._show_marker()

    def _show_marker(self) -> None:
        shown = self._layout[0] if self._layout else range(len(self.fit_columns))
        hidden = [c.label for i, c in enumerate(self.fit_columns) if i not in shown]
        note = hidden_note(hidden, self.size.width - len(self._note))
        self.border_subtitle = " · ".join(t for t in (self._note, note) if t)

    @staticmethod
    def _cell(cell: Any, column: FitColumn, width: int) -> Any:
        if column.numeric:
            plain = cell.plain if isinstance(cell, Text) else str(cell)
            return Text(plain, justify="right")
        return _cut(cell)
