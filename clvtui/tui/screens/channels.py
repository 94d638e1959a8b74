"""Channels (``c`` on the Budget screen): what a customer acquired through each channel, first
product, discount code or country is worth, the allowable CPA with its interval and, with
imported marketing spend, the actual CAC and the verdict. ``g`` changes the grouping; Escape
goes back. The numbers are ``clvtui channels``' (``services.channels``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from clvtui.errors import ClvError
from clvtui.services.channels import ChannelTable
from clvtui.tui.screens.base import WorkerErrors
from clvtui.tui.widgets.fit_table import FitColumn, FitTable
from clvtui.tui.widgets.fmt import count, money

GROUPINGS = ("channel", "first_product", "discount_code", "country")
COLUMNS = (
    FitColumn("Group", shrink=12),
    FitColumn("Customers", drop=3, numeric=True),
    FitColumn("Value at acquisition", numeric=True),
    FitColumn("90 % interval", drop=2),
    FitColumn("Allowable CPA", numeric=True),
    FitColumn("Actual CAC", drop=4, numeric=True),
    FitColumn("Verdict", drop=1),
)


@dataclass
class ChannelsLoaded(Message):
    result: ChannelTable


@dataclass
class ChannelsFailed(Message):
    message: str


class ChannelsScreen(WorkerErrors, Screen[None]):
    AUTO_FOCUS = "DataTable"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("g", "next_grouping", "Group by", id="channels-group"),
        Binding("escape", "app.back", "Back", id="channels-back"),
    ]

    def __init__(self, by: str = "channel") -> None:
        super().__init__()
        self.by = by

    def compose(self) -> ComposeResult:
        yield Header(icon="◆")
        yield Static("What a new customer is worth, per channel", id="channels-title")
        table = FitTable(COLUMNS, id="channels-table", cursor_type="row", zebra_stripes=True)
        table.border_title = "By channel"
        yield table
        yield Static("", id="channels-notes")
        yield Footer()

    def on_mount(self) -> None:
        self.load()

    def action_next_grouping(self) -> None:
        self.by = GROUPINGS[(GROUPINGS.index(self.by) + 1) % len(GROUPINGS)]
        self.load()

    @work(thread=True, exclusive=True, exit_on_error=False)
    def load(self) -> None:
        from clvtui.services.channels import channel_table

        try:
            db = self.app.data.connect()  # type: ignore[attr-defined]
            self.post_message(ChannelsLoaded(channel_table(db, self.by)))
        except ClvError as err:
            self.post_message(ChannelsFailed(str(err)))

    def on_channels_loaded(self, msg: ChannelsLoaded) -> None:
        doc = msg.result.to_json()
        cur = doc["currency"] or None
        label = msg.result.by.replace("_", " ")
        self.query_one("#channels-title", Static).update(
            f"What a new customer is worth, per {label} ({doc['value_kind']} CLV, run "
            f"{doc['run_id']}) — allowable CPA = value ÷ {doc['ltv_cac_ratio']:g}"
        )
        table = self.query_one("#channels-table", FitTable)
        table.border_title = f"By {label} — g: group by another attribute"
        rows = [
            ([
                str(g["group"]), count(g["customers"]), money(g["value"], cur),
                f"{money(g['value_low'], cur)}–{money(g['value_high'], cur)}",
                money(g["allowable_cpa"], cur) if g["enough"] else "too few",
                money(g["cac"], cur), str(g["verdict"] or "–"),
            ], None)
            for g in doc["groups"]
        ]  # fmt: skip
        table.set_rows(rows)
        note = f"Groups under {doc['min_group']} customers get no CPA: their mean is mostly noise."
        if msg.result.by == "channel" and not doc["marketing_spend"]:
            note += " Import marketing spend (clvtui spend import FILE) for actual CAC."
        self.query_one("#channels-notes", Static).update(note)

    def on_channels_failed(self, msg: ChannelsFailed) -> None:
        self.notify(msg.message, severity="error", timeout=8)
