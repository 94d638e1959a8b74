"""Cohorts (8): the cohort heat-map (acquisition month × months since), and the Plan panel.

Both read the fit once in a worker (``services.cohorts`` / ``services.plan``, the same numbers
as ``clvtui cohorts`` and ``clvtui plan``). Typing a goal re-plans in an exclusive worker from
the loaded basis (nothing is read again); the goal box never has focus on arrival, so the
number keys keep switching screens, and digits typed into it stay in it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from rich.style import Style
from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, ScrollableContainer, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Input, Label, Static

from clvtui.errors import ClvError
from clvtui.tui.screens.base import MainScreen
from clvtui.tui.widgets.fmt import count, money

if TYPE_CHECKING:
    import sqlite_utils

# cool → warm: low value per customer to high (the legend says so)
HEAT = ("#23395d", "#245e6b", "#2f7f5f", "#6a9a3a", "#a89a2a", "#c4702a")
MAX_OFFSETS = 25  # months 0..24 on screen; `clvtui cohorts --json` has every one


@dataclass
class CohortsLoaded(Message):
    """The heat-map's table, and the read it was made from (the plan's basis starts there)."""

    table: Any  # insights.cohorts.CohortTable
    currency: str
    inputs: Any  # services.cohorts.RunInputs


@dataclass
class BasisLoaded(Message):
    """What the Plan panel plans from, and its default goal."""

    basis: Any  # services.plan.PlanBasis
    goal: float


@dataclass
class PlanShown(Message):
    doc: dict[str, Any]


@dataclass
class PlanError(Message):
    message: str


def heat_style(value: float, low: float, high: float, expected: bool) -> Style:
    """A cell's colour by its value; an expected cell is italic and dimmer than an actual one."""
    span = high - low
    step = 0 if span <= 0 else min(len(HEAT) - 1, int((value - low) / span * len(HEAT)))
    return Style(bgcolor=HEAT[max(step, 0)], color="#ffffff", italic=expected, dim=expected)


def heat_table(table: Any, currency: str) -> Table:
    """The cohort table as a rich Table: one row per cohort, a coloured cell per period."""
    unit = "M" if table.unit == "month" else "W"
    cells = table.cells
    low = float(cells["value"].min() or 0.0) if cells.height else 0.0
    high = float(cells["value"].max() or 0.0) if cells.height else 0.0
    last = min(int(cells["offset"].max() or 0) + 1 if cells.height else 0, MAX_OFFSETS)
    out = Table(box=None, padding=(0, 1), pad_edge=False, show_edge=False)
    if table.by:
        out.add_column(table.by.replace("_", " ").capitalize(), no_wrap=True)
    out.add_column("Cohort", no_wrap=True)
    out.add_column("Customers", justify="right")
    out.add_column("CAC", justify="right")
    out.add_column("Payback", justify="right")
    out.add_column("At horizon (90 %)", justify="right", no_wrap=True)
    for k in range(last):
        out.add_column(f"{unit}{k}", justify="right", no_wrap=True)
    by_row = cells.partition_by("group", "cohort", as_dict=True)
    for r in table.rows.iter_rows(named=True):
        row = by_row.get((r["group"], r["cohort"]))
        shown = {} if row is None else {c["offset"]: c for c in row.iter_rows(named=True)}
        lead = [r["group"]] if table.by else []
        lead += [r["label"], count(r["customers"]), money(r["cac"], currency) if r["cac"] else "–",
                 "–" if r["payback"] is None else f"{unit}{r['payback']}",
                 Text(f"~{r['horizon_value']:,.0f} ({r['horizon_low']:,.0f}–"
                      f"{r['horizon_high']:,.0f})", style="italic")]  # fmt: skip
        values: list[Text | str] = []
        for k in range(last):
            c = shown.get(k)
            if c is None:
                values.append("")
                continue
            expected = c["kind"] == "expected"
            text = ("~" if expected else "") + f"{c['value']:,.0f}"
            values.append(Text(text, style=heat_style(c["value"], low, high, expected)))
        out.add_row(*lead, *values)
    return out


def legend(table: Any, currency: str) -> str:
    cells = table.cells
    low = float(cells["value"].min() or 0.0) if cells.height else 0.0
    high = float(cells["value"].max() or 0.0) if cells.height else 0.0
    kind = "net value" if table.value_kind == "net" else "revenue"
    return (
        f"Cumulative {kind} per customer to {table.as_of}: plain = actual, [i]~italic[/i] = "
        f"expected; {money(low, currency)} blue → {money(high, currency)} orange"
    )


def read_heat_map(db: sqlite_utils.Database, run: dict[str, Any]) -> CohortsLoaded:
    """The fit read as the plan reads it, and the heat-map's cohort table valued from it."""
    from clvtui.services.cohorts import cohort_value
    from clvtui.services.plan import read_plan_inputs

    inputs = read_plan_inputs(db, int(run["id"]))
    result = cohort_value(db, inputs=inputs)
    return CohortsLoaded(result.table, result.currency, inputs)


def nice_goal(base: float) -> float:
    """A round default goal a fifth above what the base brings (two significant figures)."""
    target = max(base * 1.2, 1.0)
    scale = 10 ** max(int(math.log10(target)) - 1, 0)
    return float(math.ceil(target / scale) * scale)


class CohortsScreen(MainScreen):
    """Heat-map on top (it has focus on arrival), the Plan panel below."""

    MODE = "cohorts"
    AUTO_FOCUS = "#cohort-map"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("g", "type_goal", "Type goal", id="type-goal",
                tooltip="Type a revenue goal (Escape leaves the box)"),
        Binding("escape", "leave_input", "Back", id="leave-input", show=False),
    ]  # fmt: skip

    def __init__(self) -> None:
        super().__init__()
        self.basis: Any = None
        self.currency = ""

    def compose_body(self) -> ComposeResult:
        self.read_first(read_heat_map)  # while this screen is composed and styled
        with Vertical(id="cohorts-body"):
            with ScrollableContainer(id="cohort-map"):
                yield Static("Reading the cohorts…", id="cohort-heat")
            yield Static("", id="cohort-legend")
            with Horizontal(id="plan-panel"):
                with Vertical(id="plan-inputs"):
                    yield Label("Revenue goal", classes="field-label")
                    yield Input(placeholder="e.g. 150000", id="in-goal", classes="plan-input")
                    yield Label("Months", classes="field-label")
                    yield Input(value="12", id="in-months", classes="plan-input")
                with VerticalScroll(id="plan-scroll", can_focus=False):
                    yield Static("", id="plan-result")

    def reload(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="cohorts-load")
    def load(self) -> None:
        """The heat-map first (the work of ``clvtui cohorts``: one read, one table), then the
        plan's basis from the same read and the default plan (``clvtui plan``'s work: a second
        table, the forecasts), so the map does not wait for the plan."""
        from clvtui.services.plan import load_basis, plan

        loaded = self.post_latest(read_heat_map, PlanError)
        if not isinstance(loaded, CohortsLoaded):
            return
        try:
            basis = load_basis(self.data.connect(), inputs=loaded.inputs)
            base = plan(basis, 1.0, 12).plan.base.revenue
        except ClvError as err:
            self.post_message(PlanError(str(err)))
            return
        self.post_message(BasisLoaded(basis, nice_goal(base)))

    def show_empty(self, message: str) -> None:
        self.query_one("#cohort-heat", Static).update(message)

    def on_cohorts_loaded(self, msg: CohortsLoaded) -> None:
        self.currency = msg.currency
        self.query_one("#cohort-heat", Static).update(heat_table(msg.table, msg.currency))
        self.query_one("#cohort-legend", Static).update(legend(msg.table, msg.currency))

    def on_basis_loaded(self, msg: BasisLoaded) -> None:
        self.basis = msg.basis
        box = self.query_one("#in-goal", Input)
        with box.prevent(Input.Changed):
            box.value = f"{msg.goal:.0f}"
        self.replan()

    @on(Input.Changed, ".plan-input")
    def replan(self) -> None:
        if self.basis is None:
            return
        goal_text = self.query_one("#in-goal", Input).value.replace(",", "").strip()
        months_text = self.query_one("#in-months", Input).value.strip()
        try:
            goal, months = float(goal_text or "nan"), int(months_text or "12")
        except ValueError:
            self.post_message(PlanError("the goal and the months must be numbers"))
            return
        self.compute(goal, months)

    @work(thread=True, exclusive=True, exit_on_error=False, group="cohorts-plan")
    def compute(self, goal: float, months: int) -> None:
        from clvtui.services.plan import plan

        try:
            self.post_message(PlanShown(plan(self.basis, goal, months).to_json()))
        except ClvError as err:
            self.post_message(PlanError(str(err)))

    def on_plan_shown(self, msg: PlanShown) -> None:
        self.query_one("#plan-result", Static).update(plan_text(msg.doc, self.currency))

    def on_plan_error(self, msg: PlanError) -> None:
        self.query_one("#plan-result", Static).update(f"[b red]{msg.message}[/]")

    def action_type_goal(self) -> None:
        box = self.query_one("#in-goal", Input)
        box.focus()
        box.select_all()

    def action_leave_input(self) -> None:
        if isinstance(self.focused, Input):
            self.query_one("#cohort-map").focus()


def plan_text(doc: dict[str, Any], currency: str) -> str:
    """The Plan panel's lines (the same figures as ``clvtui plan``)."""
    base, nc, up = doc["base"], doc["new_customer"], doc["retention_uplift"]
    cur = currency

    def m(value: float) -> str:
        return money(value, cur)

    lines = [
        f"[b]Existing customers[/b], {doc['months']} months: ~{m(base['revenue'])} "
        f"({m(base['revenue_low'])}–{m(base['revenue_high'])})",
        f"[b]Gap[/b] {m(doc['gap'])} · a new customer brings ~{m(nc['value'])} "
        f"({m(nc['low'])}–{m(nc['high'])})",
    ]
    if doc["gap"] > 0 and math.isfinite(doc["new_customers_needed"]):
        lines.append(
            f"[b]Needed[/b] ~{doc['new_customers_needed']:,.0f} new customers · max CPA "
            f"{m(doc['allowable_cpa'])} · budget {m(doc['implied_budget'])}"
        )
    lines.append(f"With {up['retention_uplift']:.0%} retention uplift: gap {m(up['gap'])}")
    lines.append(doc["verdict"])
    return "\n".join(lines)
