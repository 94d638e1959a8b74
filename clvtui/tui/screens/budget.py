"""Budget (4): a total budget and the assumptions; allowable CPA and the split update live.

Every keystroke restarts one exclusive worker (the latest input wins), so typing never waits
on the computation. Nothing is saved until the user asks (``ctrl+s``): this is a what-if page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import Input, Label, Static

from clvtui.errors import ClvError
from clvtui.services.budget import BudgetBasis
from clvtui.settings import Settings, parse_value
from clvtui.tui.data import DB_ERRORS
from clvtui.tui.screens.base import MainScreen
from clvtui.tui.widgets.fit_table import FitColumn, FitTable
from clvtui.tui.widgets.fmt import SYMBOLS, count, money, pct
from clvtui.tui.widgets.kpi import KpiCard

# (setting key or "budget", label, hint)
FIELDS = [
    ("budget", "Total budget", "e.g. 5000"),
    ("acquisition_cost", "Cost to acquire a customer", "0 = unknown"),
    ("ltv_cac_ratio", "Target CLV : CPA ratio", "3 = spend ≤ ⅓ of value"),
    ("winback_response_rate", "Win-back response rate", "e.g. 15%"),
    ("winback_cost_per_contact", "Win-back cost per contact", "e.g. 2"),
    ("acquisition_saturation", "Acquisition saturation", "share of budget where returns halve"),
]
DEFAULT_BUDGET = 5000.0
SHORT_NOTE = 40  # a longer reason goes to the notes under the tables, not into a KPI card
MONEY_FIELDS = {"budget", "acquisition_cost", "winback_cost_per_contact"}  # labels show the unit
CPA_COLUMNS = (  # narrow: payback and counts go first; the allowable CPA stays
    FitColumn("Tier", shrink=10),
    FitColumn("Customers", drop=3, numeric=True),
    FitColumn("Value at acquisition", drop=2, numeric=True),
    FitColumn("Allowable CPA", numeric=True),
    FitColumn("Payback", drop=4),
    FitColumn("Headroom", drop=1, numeric=True),
)
ALLOCATION_COLUMNS = (
    FitColumn("Target", shrink=12),
    FitColumn("Spend", numeric=True),
    FitColumn("Expected value", numeric=True),
    FitColumn("ROI", drop=2, numeric=True),
    FitColumn("Customers", drop=3, numeric=True),
    FitColumn("Payback", drop=1),
)


@dataclass
class BudgetInputs(Message):
    """The saved settings, and what a plan is computed from (``services.budget``; loaded once
    per run; None before a fit)."""

    settings: Settings
    basis: BudgetBasis | None


@dataclass
class PlanReady(Message):
    cpa: Any  # pl.DataFrame: allowable_cpa table
    plan: Any  # BudgetPlan
    settings: Settings


@dataclass
class PlanFailed(Message):
    message: str


class BudgetScreen(MainScreen):
    """The form's boxes come first in the focus chain (Total budget, then the assumptions in
    the order shown), the tables after; on arrival the last table has focus, so the number
    keys still switch screens, ``t`` puts the cursor in Total budget and Tab wraps to it."""

    MODE = "budget"
    AUTO_FOCUS = "#allocation-table"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("t", "type_total", "Type budget", id="type-total",
                tooltip="Type a total budget (Escape leaves the box)"),
        Binding("e", "export", "Export", id="export", tooltip="Export the plan (CSV)"),
        # not in the footer (no room at 80 columns): the README's tour and the notes name it
        Binding("c", "channels", "Channels", id="channels", show=False),
        Binding("ctrl+s", "save", "Save assumptions", id="save",
                tooltip="Keep these assumptions as the shop's settings"),
        Binding("escape", "leave_input", "Back", id="leave-input", show=False),
    ]  # fmt: skip

    def __init__(self) -> None:
        super().__init__()
        self.settings: Settings | None = None
        self.currency: str | None = None
        self.basis: BudgetBasis | None = None
        self.plan: Any = None

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="budget-body"):
            with VerticalScroll(
                id="budget-inputs", can_focus=False
            ):  # a short terminal scrolls, never cuts
                yield Label("[b]Assumptions[/b] (type: the plan follows)")
                for key, label, hint in FIELDS:
                    yield Label(label, id=f"label-{key}", classes="field-label")
                    yield Input(placeholder=hint, id=f"in-{key}", classes="budget-input")
                yield Static("", id="budget-error")
            with VerticalScroll(id="budget-results", can_focus=False):
                with Horizontal(id="budget-kpis"):
                    yield KpiCard("Expected value", id="kpi-value")
                    yield KpiCard("Return on spend", id="kpi-roi")
                    yield KpiCard("Unallocated", id="kpi-unallocated")
                with Grid(id="budget-grid"):
                    cpa = FitTable(CPA_COLUMNS, id="cpa-table", cursor_type="row",
                                   zebra_stripes=True)  # fmt: skip
                    cpa.border_title = "Allowable cost to acquire a look-alike, per tier"
                    yield cpa
                    alloc = FitTable(ALLOCATION_COLUMNS, id="allocation-table", cursor_type="row",
                                     zebra_stripes=True)  # fmt: skip
                    alloc.border_title = "Budget split"
                    yield alloc
                yield Static("", id="budget-notes")

    def action_channels(self) -> None:
        from clvtui.tui.screens.channels import ChannelsScreen

        self.app.push_screen(ChannelsScreen())

    # --- loading ---------------------------------------------------------------------------
    def reload(self) -> None:
        self.load_inputs()

    @work(thread=True, exclusive=True, exit_on_error=False, group="budget-load")
    def load_inputs(self) -> None:
        from clvtui.services.budget import load_basis
        from clvtui.store.saved_settings import load_settings

        try:
            db = self.data.connect()
            run = self.latest_run(db)
            if run is None:
                self.post_message(BudgetInputs(load_settings(db), None))
                return
            run_id = int(run["id"])
            basis = load_basis(db, run_id, customers=self.data.customers(db, run_id))
            self.post_message(BudgetInputs(basis.settings, basis))
        except ClvError as err:
            self.post_message(PlanFailed(str(err)))

    def on_budget_inputs(self, msg: BudgetInputs) -> None:
        self.settings, self.basis = msg.settings, msg.basis
        self.currency = None if msg.basis is None else msg.basis.currency or None
        unit = SYMBOLS.get(self.currency or "", self.currency or "")
        for key, label, _hint in FIELDS:
            if key in MONEY_FIELDS and unit:
                self.query_one(f"#label-{key}", Label).update(f"{label} ({unit})")
        for key, _label, _hint in FIELDS:
            box = self.query_one(f"#in-{key}", Input)
            with box.prevent(Input.Changed):
                box.value = _show(
                    key, DEFAULT_BUDGET if key == "budget" else getattr(msg.settings, key)
                )
        if msg.basis is None:
            return  # the notes say why (``show_empty``)
        self.recompute()

    def show_empty(self, message: str) -> None:
        self.query_one("#budget-notes", Static).update(message)

    # --- live recompute --------------------------------------------------------------------
    @on(Input.Changed, ".budget-input")
    def input_changed(self) -> None:
        self.recompute()

    def read_inputs(self) -> tuple[float, Settings]:
        """The typed values as a budget and Settings (raises SettingsError with the field)."""
        assert self.settings is not None
        budget_text = self.query_one("#in-budget", Input).value
        try:
            budget = float(budget_text.replace(",", "").strip() or "0")
        except ValueError:
            raise ClvError(f"Total budget must be a number, not {budget_text!r}") from None
        changes = {
            key: parse_value(key, self.query_one(f"#in-{key}", Input).value)
            for key, _l, _h in FIELDS
            if key != "budget"
        }
        return budget, self.settings.with_changes(**changes)

    def recompute(self) -> None:
        if self.settings is None or self.basis is None:
            return
        try:
            budget, settings = self.read_inputs()
        except ClvError as err:
            self.query_one("#budget-error", Static).update(f"[b red]{err}[/]")
            return
        self.query_one("#budget-error", Static).update("")
        self.compute(self.basis, budget, settings)

    @work(thread=True, exclusive=True, exit_on_error=False, group="budget")
    def compute(self, basis: BudgetBasis, budget: float, settings: Settings) -> None:
        """The same plan as ``clvtui budget`` (``services.budget.plan``), off the UI thread."""
        from clvtui.services.budget import plan

        try:
            result = plan(basis, budget, settings)
        except ClvError as err:
            self.post_message(PlanFailed(str(err)))
            return
        self.post_message(PlanReady(result.cpa, result.plan, result.settings))

    def on_plan_ready(self, msg: PlanReady) -> None:
        self.plan = msg.plan
        cur = self.currency
        cpa_rows = []
        for row in msg.cpa.iter_rows(named=True):
            cpa_rows.append(([
                row["name"],
                count(row["customers"]),
                money(row["value_at_acquisition"], cur),
                money(row["allowable_cpa"], cur),
                "–" if row["payback_month"] is None else f"month {row['payback_month']}",
                "–" if row["headroom"] is None else money(row["headroom"], cur),
            ], None))  # fmt: skip
        self.query_one("#cpa-table", FitTable).set_rows(cpa_rows)
        plan = msg.plan
        alloc_rows = []
        for a in plan.allocations:
            alloc_rows.append(([
                a.target,
                money(a.spend, cur),
                money(a.expected_value, cur),
                "–" if a.roi is None else pct(a.roi),
                f"{a.customers:,.1f}",  # expected, as `clvtui budget` prints it: 0.8, not 0
                "–" if a.payback_month is None else f"month {a.payback_month}",
            ], None))  # fmt: skip
        self.query_one("#allocation-table", FitTable).set_rows(alloc_rows)
        spent = plan.spent
        roi = (plan.expected_value - spent) / spent if spent > 0 else None
        self.query_one("#kpi-value", KpiCard).set(
            money(plan.expected_value, cur), f"from {money(spent, cur)} spent"
        )
        self.query_one("#kpi-roi", KpiCard).set(
            "–" if roi is None else pct(roi), f"target ratio {msg.settings.ltv_cac_ratio:g} : 1"
        )
        reason = plan.unallocated_reason or ""
        short = len(reason) <= SHORT_NOTE
        self.query_one("#kpi-unallocated", KpiCard).set(
            money(plan.unallocated, cur), reason if short else "why: see the notes below"
        )
        notes = [] if short else [f"Unallocated: {reason}"]
        notes += [f"Skipped {s.get('target', '')}: {s.get('reason', '')}" for s in plan.skipped]
        self.query_one("#budget-notes", Static).update("\n".join(notes))

    def on_plan_failed(self, msg: PlanFailed) -> None:
        self.query_one("#budget-error", Static).update(f"[b red]{msg.message}[/]")

    # --- actions ---------------------------------------------------------------------------
    def action_type_total(self) -> None:
        """Focus Total budget with its text selected: what is typed next replaces it."""
        box = self.query_one("#in-budget", Input)
        box.focus()
        box.select_all()

    def action_leave_input(self) -> None:
        if isinstance(self.focused, Input):
            self.query_one("#allocation-table").focus()

    def action_export(self) -> None:
        if self.plan is None:
            self.notify("No plan to export yet.")
            return
        import polars as pl

        from clvtui.tui.export_dialog import export_rows

        rows = [a.to_json() for a in self.plan.allocations]
        frame = pl.DataFrame(rows) if rows else pl.DataFrame({"target": []})
        export_rows(self, frame, "budget", lambda p: f"Exported the budget plan to {p}")

    def action_save(self) -> None:
        try:
            _budget, settings = self.read_inputs()
        except ClvError as err:
            self.fail(str(err))
            return
        self.save(settings)

    @work(thread=True, exclusive=True, exit_on_error=False, group="budget-save")
    def save(self, settings: Settings) -> None:
        """Off the UI thread: another program may hold the write lock for a while."""
        from clvtui.store.saved_settings import save_settings

        try:
            save_settings(self.data.connect(write=True), settings)
        except DB_ERRORS as err:
            self.app.call_from_thread(self.fail, self.data.explain(err))
            return
        self.app.call_from_thread(self._saved, settings)

    def _saved(self, settings: Settings) -> None:
        self.settings = settings
        self.notify("Assumptions saved as the shop's settings.")


def _show(key: str, value: Any) -> str:
    if key in {"winback_response_rate", "acquisition_saturation"}:
        return f"{value * 100:g}%"
    return f"{value:g}"
