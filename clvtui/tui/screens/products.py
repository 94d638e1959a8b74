"""Products (9): which first products bring the best customers, what they buy next, and which
products go together. The numbers are ``clvtui products``' (``services.products``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import Static, TabbedContent, TabPane

from clvtui.services.products import ProductReport
from clvtui.tui.screens.base import MainScreen
from clvtui.tui.widgets.fit_table import FitColumn, FitTable
from clvtui.tui.widgets.fmt import count, money, number, pct

if TYPE_CHECKING:
    import sqlite_utils


@dataclass
class ProductsLoaded(Message):
    report: ProductReport | None
    note: str = ""


ENTRY_COLUMNS = [
    FitColumn("First product", shrink=12),
    FitColumn("Customers", numeric=True),
    FitColumn("Mean CLV", drop=3, numeric=True),
    FitColumn("× average", numeric=True),
    FitColumn("90 % interval", drop=2),
    FitColumn("Repeat rate", drop=1, numeric=True),
]
JOURNEY_COLUMNS = [
    FitColumn("First order", shrink=12),
    FitColumn("Second order", shrink=12),
    FitColumn("Customers", numeric=True),
    FitColumn("Share", drop=1, numeric=True),
]
PAIR_COLUMNS = [
    FitColumn("Product", shrink=12),
    FitColumn("Bought with", shrink=12),
    FitColumn("Customers", drop=2, numeric=True),
    FitColumn("Support", drop=1, numeric=True),
    FitColumn("Lift", numeric=True),
]


def read_report(db: sqlite_utils.Database, run: dict[str, Any]) -> ProductsLoaded:
    """``clvtui products``' report of the run."""
    from clvtui.services.products import product_report

    return ProductsLoaded(product_report(db, int(run["id"])))


class ProductsScreen(MainScreen):
    MODE = "products"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("]", "tab(1)", "Next tab", id="products-next-tab", tooltip="Next tab"),
        Binding("[", "tab(-1)", "Prev tab", id="products-prev-tab", tooltip="Previous tab"),
    ]

    def compose_body(self) -> ComposeResult:
        self.read_first(read_report)  # while this screen is composed and styled
        yield Static("", id="products-note")
        with TabbedContent(id="products-tabs"):
            with TabPane("Entry products", id="tab-entry"):
                yield FitTable(ENTRY_COLUMNS, id="products-entry", cursor_type="row",
                               zebra_stripes=True)  # fmt: skip
            with TabPane("Journey", id="tab-journey"):
                yield FitTable(JOURNEY_COLUMNS, id="products-journey", cursor_type="row",
                               zebra_stripes=True)  # fmt: skip
            with TabPane("Bought together", id="tab-pairs"):
                yield FitTable(PAIR_COLUMNS, id="products-pairs", cursor_type="row",
                               zebra_stripes=True)  # fmt: skip

    def reload(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="products")
    def load(self) -> None:
        self.post_latest(read_report, lambda error: ProductsLoaded(None, error))

    def show_empty(self, message: str) -> None:
        self.on_products_loaded(ProductsLoaded(None, message))

    def on_products_loaded(self, msg: ProductsLoaded) -> None:
        note = self.query_one("#products-note", Static)
        report = msg.report
        tables = [self.query_one(f"#products-{n}", FitTable) for n in ("entry", "journey", "pairs")]
        if report is None or report.message is not None:
            for table in tables:
                table.set_rows([])
            note.update(msg.note if report is None else str(report.message))
            return
        note.update(headline(report))
        cur = report.currency
        tables[0].set_rows([
            ([r["product"], count(r["customers"]), money(r["mean_clv"], cur),
              f"{number(r['clv_ratio'], 2)}×",
              f"{number(r['ratio_low'], 2)}–{number(r['ratio_high'], 2)}×",
              pct(r["repeat_rate"])], None)
            for r in report.entry.iter_rows(named=True)
        ])  # fmt: skip
        tables[1].set_rows([
            ([r["first"], r["second"], count(r["customers"]), pct(r["share"], 1)], None)
            for r in report.journey.iter_rows(named=True)
        ])  # fmt: skip
        tables[2].set_rows([
            ([r["product_a"], r["product_b"], count(r["customers"]), pct(r["support"], 1),
              number(r["lift"], 2)], None)
            for r in report.pairs.iter_rows(named=True)
        ])  # fmt: skip
        tables[
            0
        ].border_title = (
            f"Customers by their first order's products (≥ {report.rules.min_customers} each)"
        )
        tables[2].border_title = (
            f"Pairs bought by ≥ {report.rules.min_pair_customers} customers; lift > 1 = more "
            "than chance"
        )

    def action_tab(self, step: int) -> None:
        """Move between the tabs from the keyboard (the table keeps the arrow keys)."""
        tabs = self.query_one("#products-tabs", TabbedContent)
        panes = [pane.id for pane in tabs.query(TabPane) if pane.id]
        tabs.active = panes[(panes.index(tabs.active) + step) % len(panes)]


def headline(report: ProductReport) -> str:
    """The screen's two sentences: the best entry product and the time to a second order."""
    from clvtui.insights.products import lead_product, worth_sentence

    parts = []
    top = lead_product(report.entry)
    if top is not None:
        parts.append(
            worth_sentence(top["product"], top["clv_ratio"], top["ratio_low"], top["ratio_high"])
        )
    else:
        parts.append(f"No first product has {report.rules.min_customers} customers yet.")
    days = report.median_days_to_second
    if days is not None:
        parts.append(
            f"{count(report.second_order_customers)} customers ordered again, a median "
            f"{days:.0f} days after their first order."
        )
    return "\n".join(p[0].upper() + p[1:] for p in parts)
