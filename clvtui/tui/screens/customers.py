"""Customers (2): everyone ranked by CLV; sort any column, ``/`` filter, Enter for details.

The table is virtual (only visible rows are formatted). A sort is a polars arg-sort and a filter
a literal ``str.contains`` over the pre-lowercased ``search`` column, both kept as row-number
indexes (computed once per column or needle), so neither copies a million customers' columns.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import polars as pl
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Input, Label

from clvtui.errors import ClvError
from clvtui.tui.screens.base import MainScreen
from clvtui.tui.widgets.columns import (
    CUSTOMER_COLUMNS,
    ID_WIDTH,
    customer_columns,
    id_width,
)
from clvtui.tui.widgets.fmt import count
from clvtui.tui.widgets.frame_table import FrameTable

SORT_CYCLE = ["clv", "p_alive", "expected_orders", "orders", "spend", "name", "tier"]


def default_sorts() -> list[tuple[str, bool]]:
    """(column, descending) for each step of the ``s`` cycle: numbers biggest first."""
    numeric = {c.key: c.numeric for c in CUSTOMER_COLUMNS}
    return [(key, numeric[key]) for key in SORT_CYCLE]


@dataclass
class RankingLoaded(Message):
    frame: pl.DataFrame | None
    note: str = ""
    run_id: int | None = None  # the fit the frame comes from (what ``e`` exports)
    currency: str | None = None  # of the run: the table's money columns show it


class CustomersScreen(MainScreen):
    MODE = "customers"
    BINDINGS: ClassVar[list[BindingType]] = [
        # priority: checked before the key is queued to the table, so "/rosa" typed fast goes
        # to the filter (a normal binding runs from the table's queue, after "rosa" is queued)
        Binding(
            "slash", "filter", "Filter", id="filter", priority=True,
            tooltip="Filter: name, e-mail, id, tier",
        ),
        Binding("s", "sort", "Sort", id="sort", tooltip="Sort by the next column"),
        Binding("S", "reverse", "Reverse", id="reverse", tooltip="Reverse the sort order"),
        Binding("enter", "open", "Open", id="open", tooltip="Open the customer", show=True),
        Binding("e", "export", "Export", id="export", tooltip="Export the rows shown (CSV)"),
        Binding("escape", "leave_filter", "Back", id="leave-filter", show=False),
    ]  # fmt: skip

    def __init__(self) -> None:
        super().__init__()
        self.full: pl.DataFrame | None = None
        self.sort_key = "clv"
        self.sort_desc = True
        self.needle = ""
        self.run_id: int | None = None
        # views are row-number indexes over ``full``; each sort or filter is computed once
        self._orders: dict[tuple[str, bool], pl.Series | None] = {}
        self._masks: dict[str, pl.Series] = {}
        self._currency: str | None = None  # the shown run's (kept for the next cached show)
        self._columns_set = False
        self._ids_of: pl.DataFrame | None = None  # the frame whose id width is known
        self._ids = ID_WIDTH
        self._columns_for: tuple[str | None, int] | None = None  # (currency, id width) shown

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="customers-bar", classes="toolbar"):
            yield Input(placeholder="/ filter: name, e-mail, id or tier", id="customer-filter")
            yield Label("", id="customers-count")
        table = FrameTable(CUSTOMER_COLUMNS, id="ranking")
        yield table

    @property
    def table(self) -> FrameTable:
        return self.query_one("#ranking", FrameTable)

    def reload(self) -> None:
        """Show the shared frame at once if it is loaded (the worker then only checks that
        it is still the latest run's); otherwise show the loading indicator."""
        cached = self.data.cached_run_customers()
        self._shown_run: int | None = None
        self._shown_frame: pl.DataFrame | None = None
        if cached is not None:
            self._shown_run, self._shown_frame = cached
            self.on_ranking_loaded(
                RankingLoaded(cached[1], run_id=cached[0], currency=self._currency)
            )
        else:
            self.table.loading = True
        self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="customers")
    def load(self) -> None:
        try:
            db = self.data.connect()
            run = self.latest_run(db)
            if run is None:
                return
            from clvtui.tui.run_facts import run_currency

            currency = run_currency(run)
            frame = self.data.customers(db, int(run["id"]))  # cached unless run or rule moved
            shown = int(run["id"]) == self._shown_run and frame is self._shown_frame
            if shown and currency == self._currency:
                return  # already on screen
            self.post_message(RankingLoaded(frame, run_id=int(run["id"]), currency=currency))
        except ClvError as err:
            self.post_message(RankingLoaded(None, str(err)))

    def show_empty(self, message: str) -> None:
        self.on_ranking_loaded(RankingLoaded(None, message))

    def on_ranking_loaded(self, msg: RankingLoaded) -> None:
        if not self.query("#customers-count"):
            return  # built ahead and being taken down (the app quit) before its rows arrived
        self.table.loading = False
        self.run_id = msg.run_id
        if msg.frame is not None and msg.frame is not self._ids_of:
            self._ids_of, self._ids = msg.frame, id_width(msg.frame)  # once per loaded frame
        if msg.frame is not None and (msg.currency, self._ids) != self._columns_for:
            self._columns_for = (msg.currency, self._ids)
            self._currency, self._columns_set = msg.currency, True
            self.table.set_columns(customer_columns(msg.currency, self._ids))
        # only what the table shows (and the filter reads); a select shares the columns
        keep = [c.key for c in CUSTOMER_COLUMNS] + ["search"]
        self.full = None if msg.frame is None else msg.frame.select(keep)
        # same rows in the same order as the shared frame: its sort indexes apply here
        self._masks = {}
        self._orders = self.data.sort_orders(msg.frame) if msg.frame is not None else {}
        if msg.frame is None:
            self.query_one("#customers-count", Label).update(msg.note)
            self.table.show(self.table.frame.clear())
            return
        self.apply()
        self.table.focus()
        if not self.is_current:  # built ahead, before the user came here
            self.call_later(self.prepaint, self.table)

    # --- view: filter then sort, as an index of row numbers ----------------------------------
    def _order(self) -> pl.Series | None:
        """Row numbers of ``full`` in the current sort order (None: as stored, by CLV)."""
        assert self.full is not None
        key = (self.sort_key, self.sort_desc)
        if key not in self._orders:
            column = self.full.get_column(self.sort_key)
            other = self._orders.get((self.sort_key, not self.sort_desc), False)
            if other is not False and other is not None and column.null_count() == 0:
                self._orders[key] = other.reverse()  # the other direction, read backwards
            else:
                self._orders[key] = column.arg_sort(descending=self.sort_desc, nulls_last=True)
        return self._orders[key]

    def _mask(self) -> pl.Series:
        """Which rows of ``full`` match the filter (the last few needles are kept)."""
        assert self.full is not None
        mask = self._masks.get(self.needle)
        if mask is None:
            mask = self.full.get_column("search").str.contains(self.needle, literal=True)
            if len(self._masks) > 8:
                self._masks.clear()
            self._masks[self.needle] = mask
        return mask

    def view_order(self) -> pl.Series | None:
        """The rows shown, in order: the sort index narrowed by the filter."""
        order = self._order()
        if not self.needle:
            return order
        mask = self._mask()
        if order is None:
            return mask.arg_true()
        return order.filter(mask.gather(order))

    def view(self) -> pl.DataFrame:
        """The rows shown, as a frame (for the export)."""
        assert self.full is not None
        order = self.view_order()
        return self.full if order is None else self.full[order]

    def apply(self) -> None:
        if self.full is None:
            return
        order = self.view_order()
        self.table.show(self.full, order)
        arrow = "↓" if self.sort_desc else "↑"
        label = next(c.label for c in CUSTOMER_COLUMNS if c.key == self.sort_key)
        shown = self.full.height if order is None else order.len()
        text = f"{count(shown)} of {count(self.full.height)} · sorted by {label} {arrow}"
        self.query_one("#customers-count", Label).update(text)

    def sort_by(self, key: str) -> None:
        if key == self.sort_key:
            self.sort_desc = not self.sort_desc
        else:
            spec = next(c for c in CUSTOMER_COLUMNS if c.key == key)
            self.sort_key, self.sort_desc = key, spec.numeric  # numbers: biggest first
        self.apply()

    # --- actions ---------------------------------------------------------------------------
    def action_sort(self) -> None:
        """Next sort column (CLV → P(alive) → expected orders → orders → spent → name → tier)."""
        keys = SORT_CYCLE
        nxt = keys[(keys.index(self.sort_key) + 1) % len(keys)] if self.sort_key in keys else "clv"
        self.sort_by(nxt)

    def action_reverse(self) -> None:
        self.sort_desc = not self.sort_desc
        self.apply()

    def on_data_table_header_selected(self, event: FrameTable.HeaderSelected) -> None:
        self.sort_by(self.table.specs[event.column_index].key)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "filter" and isinstance(self.focused, Input):
            return False  # "/" typed in the filter box is text
        return super().check_action(action, parameters)

    def action_filter(self) -> None:
        # set_focus now: Widget.focus() is deferred (call_later), and the keys typed right
        # after "/" would reach the table before the filter had focus
        self.set_focus(self.query_one("#customer-filter", Input))

    @on(Input.Changed, "#customer-filter")
    def filter_changed(self, event: Input.Changed) -> None:
        self.needle = event.value.strip().lower()
        self.apply()

    @on(Input.Submitted, "#customer-filter")
    def filter_done(self) -> None:
        self.table.focus()

    def action_leave_filter(self) -> None:
        if isinstance(self.focused, Input):
            self.table.focus()

    def action_open(self) -> None:
        customer_id = self.table.row_value("customer_id")
        if customer_id is not None:
            self.clv.open_customer(customer_id)

    def on_data_table_row_selected(self, event: FrameTable.RowSelected) -> None:
        event.stop()
        self.action_open()

    def action_export(self) -> None:
        if self.full is None:
            self.notify("Nothing to export yet.")
            return
        from clvtui.tui.export_dialog import export_customers_shown

        # the rows shown, in their order, with the CLI export's columns (CLV interval, dates)
        shown = self.view().get_column("customer_id")
        export_customers_shown(self, self.run_id, shown)
