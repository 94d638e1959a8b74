"""Actions (7): the next-best action of every tier × risk cell; Enter opens the cell's customers.

The grid and the cell lists come from one assignment of the shared customer frame
(``services.actions.frame_for_screen``), so a cell shows the customers ``clvtui actions``
counts and ``clvtui export --action`` writes. Opening a cell filters the assigned frame
already in memory (no read): instant at a million customers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import polars as pl
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from clvtui.tui.screens.base import MainScreen, WorkerErrors
from clvtui.tui.widgets.columns import ID_WIDTH, customer_columns, id_width
from clvtui.tui.widgets.fit_table import FitColumn, FitTable
from clvtui.tui.widgets.fmt import count, money
from clvtui.tui.widgets.frame_table import ColumnSpec, FrameTable, text_cell

if TYPE_CHECKING:
    import sqlite_utils


@dataclass
class ActionsLoaded(Message):
    assigned: pl.DataFrame | None
    view: Any  # services.actions.ActionsView
    note: str = ""
    rows: list[pl.Series] | None = None  # per cell: its customers' row numbers in ``assigned``


ACTION_COLUMNS = [  # narrow: the timing goes first; the cell, its action and the money stay
    FitColumn("Tier", shrink=10),
    FitColumn("Risk", shrink=7),
    FitColumn("Action", shrink=10),
    FitColumn("Customers", numeric=True),
    FitColumn("Value at stake", drop=2, numeric=True),
    FitColumn("Max spend each", numeric=True),
    FitColumn("When", drop=3),
]


def _when(cell: dict[str, Any]) -> str:
    from clvtui.insights.actions import ACTIONS

    spec = ACTIONS[cell["action"]]
    if spec.timing == "window" and cell["contact_median"] is not None:
        return f"from ~{cell['contact_median']}"
    return spec.timing_text()


class ActionsScreen(MainScreen):
    MODE = "actions"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "drill", "Open cell", id="actions-drill", tooltip="The cell's customers"),
        Binding("e", "export", "Export", id="actions-export", tooltip="Export the cell's list"),
        Binding("c", "campaigns", "Campaigns", id="actions-campaigns", tooltip="Campaign results"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.assigned: pl.DataFrame | None = None
        self.rows: list[pl.Series] = []
        self.cells: list[dict[str, Any]] = []
        self.currency: str | None = None
        self.run_id: int | None = None

    def compose_body(self) -> ComposeResult:
        table = FitTable(ACTION_COLUMNS, id="actions-table", cursor_type="row",
                         zebra_stripes=True)  # fmt: skip
        table.border_title = "Next-best action per tier × risk  —  Enter: the cell's customers"
        yield table
        yield Static("", id="actions-note")

    def reload(self) -> None:
        self.query_one("#actions-table").loading = True
        self.refresh_bindings()
        self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="actions")
    def load(self) -> None:
        from clvtui.services.actions import frame_for_screen

        def read(db: sqlite_utils.Database, run: dict[str, Any]) -> ActionsLoaded:
            customers = self.data.customers(db, int(run["id"]))
            assigned, view = frame_for_screen(db, run, customers)
            return ActionsLoaded(assigned, view, rows=cell_rows(assigned, view.cells))

        self.post_latest(read, lambda error: ActionsLoaded(None, None, error))

    def show_empty(self, message: str) -> None:
        self.on_actions_loaded(ActionsLoaded(None, None, message))

    def on_actions_loaded(self, msg: ActionsLoaded) -> None:
        table = self.query_one("#actions-table", FitTable)
        table.loading = False
        self.refresh_bindings()
        note = self.query_one("#actions-note", Static)
        if msg.assigned is None or msg.view is None:
            self.assigned, self.cells, self.rows = None, [], []
            table.set_rows([])
            note.update(msg.note)
            return
        view = msg.view
        self.assigned, self.cells, self.rows = msg.assigned, view.cells, msg.rows or []
        self.currency, self.run_id = view.currency, view.run_id
        cur = self.currency
        rows = [
            ([
                c["tier"], c["risk"] or "one order", c["action"], count(c["customers"]),
                money(c["value_at_stake"], cur), money(c["max_spend_each"], cur), _when(c),
            ], None)
            for c in view.cells
        ]  # fmt: skip
        table.set_rows(rows)
        ratio = f"{view.ltv_cac_ratio:g}"
        note.update(
            f"{count(view.customers)} customers, each in one action. Max spend = CLV ÷ {ratio} "
            f"(win-backs: value at stake ÷ {ratio}). Edit: clvtui settings --set action_…"
        )

    def current_cell(self) -> dict[str, Any] | None:
        table = self.query_one("#actions-table", DataTable)
        if table.row_count == 0 or not 0 <= table.cursor_row < len(self.cells):
            return None
        return self.cells[table.cursor_row]

    def action_drill(self) -> None:
        cell = self.current_cell()
        if cell is None or self.assigned is None:
            return
        rows = self.rows[self.cells.index(cell)]
        self.app.push_screen(
            ActionCellScreen(cell, self.assigned, rows, self.currency, self.run_id)
        )

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_drill()

    def action_campaigns(self) -> None:
        """The campaigns measured against their control groups (``clvtui campaign``)."""
        from clvtui.tui.screens.campaigns import CampaignsScreen

        self.app.push_screen(CampaignsScreen())

    def action_export(self) -> None:
        cell = self.current_cell()
        if cell is None or self.assigned is None:
            self.notify("Nothing to export yet.")
            return
        rows = self.rows[self.cells.index(cell)]
        export_action_list(self, self.run_id, self.assigned, rows, cell["action"])


def cell_rows(assigned: pl.DataFrame, cells: list[dict[str, Any]]) -> list[pl.Series]:
    """Each cell's customers as row numbers of ``assigned`` (in its CLV order): opening a cell
    shows those rows of the frame in memory, without copying a column (a million rows)."""
    from clvtui.insights.actions import cell_filter

    return [
        assigned.select(pl.arg_where(cell_filter(c["tier"], c["risk"]))).to_series() for c in cells
    ]


def export_action_list(
    screen: Any,
    run_id: int | None,
    source: pl.DataFrame,
    rows: pl.Series,
    action: str,
    tool: str | None = None,
) -> None:
    """The customers at ``rows`` of ``source`` with the columns of ``clvtui export --action``
    (max spend, contact date), or in ``tool``'s import columns (``export --action --for``), as
    the day's CSV, built on a worker thread."""
    from pathlib import Path

    from clvtui.tui.export_dialog import export_rows

    app = screen.app

    def build() -> None:
        from clvtui.services.exporting import customer_export_frame
        from clvtui.tui.data import DB_ERRORS

        ids = source.get_column("customer_id").gather(rows)
        try:
            frame, _ = customer_export_frame(
                app.data.connect(), run_id=run_id, customer_ids=ids, action=action,
                with_country=tool is not None,
            )  # fmt: skip
            if tool is not None:
                from clvtui.insights.tool_exports import tool_frame

                frame, _ = tool_frame(frame, tool)
        except DB_ERRORS as err:
            message = f"export failed: {app.data.explain(err)}"
            app.call_from_thread(app.notify, message, severity="error", timeout=8)
            return

        where = f" for {tool}" if tool else ""

        def done(path: Path) -> str:
            return f"Exported {frame.height:,} customers ({action}){where} to {path}"

        what = f"action-{action}-{tool}" if tool else f"action-{action}"
        app.call_from_thread(export_rows, screen, frame, what, done)

    screen.run_worker(build, thread=True, exclusive=True, group="export", exit_on_error=False)


def cell_columns(currency: str | None, suggestions: bool, ids: int = ID_WIDTH) -> list[ColumnSpec]:
    """The ranking's columns with the action's: max spend, contact date, suggested product;
    the ids ``ids`` cells wide, so other columns give way before an id is cut."""
    base = customer_columns(currency, ids)
    extra = [
        ColumnSpec("max_spend", "Max spend", 10, lambda v: money(v, currency), numeric=True),
        ColumnSpec("contact_on", "Contact", 10, text_cell, drop=1),
    ]
    if suggestions:
        extra.append(ColumnSpec("suggested_product", "Suggest", 16, text_cell, drop=3))
    return [*base[:1], *extra, *base[1:]]


class ActionCellScreen(WorkerErrors, Screen[None]):
    """One cell of the Actions grid: its customers, by CLV, with what each may cost and when."""

    AUTO_FOCUS = "FrameTable"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.back", "Back", id="cell-back"),
        Binding("enter", "open", "Open customer", id="cell-open"),
        Binding("e", "export", "Export", id="cell-export", tooltip="Export this list (CSV)"),
        Binding(
            "f",
            "export_for",
            "Export for…",
            id="cell-export-for",
            tooltip="This list in Klaviyo, Mailchimp, Meta, Google Ads or Shopify columns",
        ),
    ]

    def __init__(self, cell: dict[str, Any], frame: pl.DataFrame, rows: pl.Series,
                 currency: str | None, run_id: int | None) -> None:  # fmt: skip
        super().__init__()
        self.cell, self.action_name = cell, cell["action"]
        self.frame, self.rows, self.currency, self.run_id = frame, rows, currency, run_id

    @property
    def customers(self) -> pl.DataFrame:
        """The cell's customers as a frame (a copy: for checks, not for the screen)."""
        return self.frame[self.rows]

    def compose(self) -> ComposeResult:
        from clvtui.insights.actions import ACTIONS

        spec, cell = ACTIONS[self.action_name], self.cell
        where = cell["tier"] + (f" · {cell['risk']}" if cell["risk"] else "")
        yield Header(icon="◆")
        yield Static(
            f"[b]{where}[/b] → [b]{spec.label}[/b]: {spec.about} · "
            f"{count(cell['customers'])} customers · max spend in all "
            f"{money(cell['max_spend_total'], self.currency)}",
            id="cell-title",
        )
        suggestions = "suggested_product" in self.frame.columns
        ids = id_width(self.frame.select(pl.col("customer_id").gather(self.rows)))
        yield FrameTable(cell_columns(self.currency, suggestions, ids), id="cell-customers")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#cell-customers", FrameTable).show(self.frame, self.rows)

    def action_open(self) -> None:
        customer_id = self.query_one("#cell-customers", FrameTable).row_value("customer_id")
        if customer_id is not None:
            self.app.open_customer(customer_id)  # type: ignore[attr-defined]

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()

    def action_export(self) -> None:
        if not self.rows.len():
            self.notify("Nobody in this cell: nothing to export.")
            return
        export_action_list(self, self.run_id, self.frame, self.rows, self.action_name)

    def action_export_for(self) -> None:
        """Ask which tool, then write the list in its import columns (``export --for``)."""
        if not self.rows.len():
            self.notify("Nobody in this cell: nothing to export.")
            return
        from clvtui.tui.tool_choice import ToolChoiceScreen

        def chosen(tool: str | None) -> None:
            if tool is not None:
                export_action_list(
                    self, self.run_id, self.frame, self.rows, self.action_name, tool=tool
                )

        self.app.push_screen(ToolChoiceScreen(), chosen)
