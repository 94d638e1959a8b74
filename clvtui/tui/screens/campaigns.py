"""Campaigns (a drill-down, opened from the Actions screen): every campaign with its status,
and the highlighted one's result — contacted vs control, the incremental value with its
90 % interval and the return on its cost.

Everything comes from ``services.campaigns`` (the same calls as ``clvtui campaign list`` and
``campaign report``), read in a worker so the screen never waits on the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from clvtui.errors import ClvError
from clvtui.tui.screens.base import WorkerErrors
from clvtui.tui.widgets.fit_table import FitColumn, FitTable
from clvtui.tui.widgets.fmt import count, money, pct

CAMPAIGN_COLUMNS = [
    FitColumn("Campaign", shrink=12),
    FitColumn("Who", shrink=12, drop=2),
    FitColumn("Start", drop=3),
    FitColumn("Contacted", numeric=True),
    FitColumn("Control", numeric=True, drop=1),
    FitColumn("Status", shrink=10),
]
RESULT_COLUMNS = [
    FitColumn("", shrink=12),
    FitColumn("Contacted", numeric=True),
    FitColumn("Control", numeric=True),
    FitColumn("Difference", numeric=True),
    FitColumn("90 % interval", drop=1),
]


@dataclass
class CampaignsLoaded(Message):
    campaigns: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class ReportLoaded(Message):
    name: str
    report: Any  # services.campaigns.CampaignReport


class CampaignsScreen(WorkerErrors, Screen[None]):
    AUTO_FOCUS = "#campaigns-list"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.back", "Back", id="campaigns-back"),
    ]

    def compose(self) -> ComposeResult:
        yield Header(icon="◆")
        yield Static("[b]Campaigns[/b] · loading…", id="campaigns-title")
        table = FitTable(CAMPAIGN_COLUMNS, id="campaigns-list", cursor_type="row",
                         zebra_stripes=True)  # fmt: skip
        table.border_title = "Campaigns (newest first)"
        yield table
        yield Static("", id="campaign-summary")
        result = FitTable(RESULT_COLUMNS, id="campaign-result", cursor_type="row")
        result.border_title = "Contacted vs control since the start"
        yield result
        yield Footer()

    def on_mount(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="campaigns")
    def load(self) -> None:
        from clvtui.services.campaigns import campaigns_overview

        db = self.app.data.connect()  # type: ignore[attr-defined]
        self.post_message(CampaignsLoaded(campaigns_overview(db)))

    def on_campaigns_loaded(self, msg: CampaignsLoaded) -> None:
        title = self.query_one("#campaigns-title", Static)
        if not msg.campaigns:
            title.update(
                "[b]Campaigns[/b] · none yet: clvtui campaign new NAME --action winback "
                "--holdout 10% stores one, with a control group"
            )
            return
        title.update(f"[b]Campaigns[/b] · {count(len(msg.campaigns))}")
        rows = [
            ([c["name"], c["segment"], c["start_date"], count(c["contacted"]),
              count(c["control"]), c["status"]], c["name"])
            for c in msg.campaigns
        ]  # fmt: skip
        self.query_one("#campaigns-list", FitTable).set_rows(rows)
        self.load_report(msg.campaigns[0]["name"])

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id == "campaigns-list" and event.row_key.value:
            self.load_report(str(event.row_key.value))

    @work(thread=True, exclusive=True, exit_on_error=False, group="campaign-report")
    def load_report(self, name: str) -> None:
        from clvtui.services.campaigns import campaign_report

        try:
            report = campaign_report(self.app.data.connect(), name)  # type: ignore[attr-defined]
        except ClvError as err:
            self.app.call_from_thread(self.notify, str(err), severity="error")
            return
        self.post_message(ReportLoaded(name, report))

    def on_report_loaded(self, msg: ReportLoaded) -> None:
        self.query_one("#campaign-summary", Static).update(summary_text(msg.report))
        self.query_one("#campaign-result", FitTable).set_rows(result_rows(msg.report))


def summary_text(report: Any) -> str:
    """Who, since when, and the bottom line (incremental value, return on cost) in words."""
    c, r = report.campaign, report.result
    head = f"[b]{c['name']}[/b] · {c['segment']} · from {c['start_date']} · {report.status}"
    if r is None:
        return head + "\n" + " ".join(report.notes)
    cur = c.get("currency")
    kind = "profit" if r.value_kind == "net" else "revenue"
    lines = [
        head,
        f"Incremental {kind} {money(r.incremental_value, cur)} "
        f"(90 %: {money(r.incremental_low, cur)} … {money(r.incremental_high, cur)}) "
        f"for a cost of {money(r.cost, cur)}",
    ]
    if r.roi is not None:
        lines.append(f"Return on cost {pct(r.roi)} (90 %: {pct(r.roi_low)} … {pct(r.roi_high)})")
    lines += [f"[dim]{n}[/dim]" for n in report.notes]
    return "\n".join(lines)


def result_rows(report: Any) -> list[tuple[list[str], str | None]]:
    """The comparison table: customers, bought again, orders and revenue per customer."""
    r = report.result
    if r is None:
        return []
    cur = report.campaign.get("currency")

    def row(label: str, d: Any, fmt: Any) -> tuple[list[str], str | None]:
        return ([label, fmt(d.contacted), fmt(d.control), fmt(d.difference),
                 f"{fmt(d.low)} … {fmt(d.high)}"], label)  # fmt: skip

    rows = [
        (["Customers", count(r.contacted), count(r.control), "", ""], "customers"),
        row("Bought again", r.response, lambda v: pct(v, 1)),
        row("Orders per customer", r.orders, lambda v: f"{v:.3f}"),
        row("Net revenue per customer", r.revenue, lambda v: money(v, cur)),
    ]
    if r.value_kind == "net":
        rows.append(row("Profit per customer", r.value, lambda v: money(v, cur)))
    return rows
