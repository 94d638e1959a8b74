"""One customer (pushed with Enter from any customer list): orders, P(alive) over time,
CLV with its interval and the expected next-order window. Escape goes back."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from clvtui.errors import ClvError
from clvtui.services.customer import CustomerDetail
from clvtui.tui.screens.base import WorkerErrors
from clvtui.tui.widgets.chart import Axis, Chart, Line, lines
from clvtui.tui.widgets.fit_table import FitColumn, FitTable
from clvtui.tui.widgets.fmt import money, number, pct
from clvtui.tui.widgets.kpi import KpiCard
from clvtui.wording import plural


@dataclass
class CustomerLoaded(Message):
    detail: CustomerDetail


@dataclass
class CustomerFailed(Message):
    message: str


ORDER_COLUMNS = [
    FitColumn("Date"),
    FitColumn("Order", shrink=8, drop=2),
    FitColumn("Amount", numeric=True),
    FitColumn("Status", drop=3),
    FitColumn("Product", shrink=10, drop=1),
]


LINE_COLUMNS = [
    FitColumn("Date", drop=2),
    FitColumn("Product", shrink=10),
    FitColumn("Qty", drop=1, numeric=True),
    FitColumn("Amount", numeric=True),
]


@dataclass
class CustomerProductsLoaded(Message):
    products: Any  # services.products.CustomerProducts


class CustomerScreen(WorkerErrors, Screen[None]):
    AUTO_FOCUS = "DataTable"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.back", "Back", id="customer-back")
    ]

    def __init__(self, customer_id: str) -> None:
        super().__init__()
        self.customer_id = customer_id

    def compose(self) -> ComposeResult:
        yield Header(icon="◆")
        yield Static(f"Customer {self.customer_id}", id="customer-title")
        yield Static("", id="customer-costs")  # shown only when the exports carry costs
        with Horizontal(id="customer-kpis"):
            yield KpiCard("CLV", id="kpi-clv")
            yield KpiCard("P(alive)", id="kpi-alive")
            yield KpiCard("Expected orders", id="kpi-orders")
            yield KpiCard("Orders again within 90 days", id="kpi-next")
        with Horizontal(id="customer-body"):
            with Vertical(id="customer-left"):
                orders = FitTable(ORDER_COLUMNS, id="customer-orders", cursor_type="row",
                                  zebra_stripes=True)  # fmt: skip
                orders.border_title = "Orders"
                yield orders
                items = FitTable(LINE_COLUMNS, id="customer-lines", cursor_type="row",
                                 zebra_stripes=True)  # fmt: skip
                items.border_title = "Order lines (newest first)"
                yield items
                yield Static("", id="customer-next")
            yield Chart("P(alive) over time (weeks since first order)", id="alive-chart")
        yield Footer()

    def on_mount(self) -> None:
        self.load()
        self.load_products()

    @work(thread=True, exclusive=True, exit_on_error=False, group="customer-products")
    def load_products(self) -> None:
        """Lines and the best next product in a worker of their own (the lift reads every
        customer's products: it must not hold up the customer's numbers)."""
        from clvtui.services.products import customer_products

        try:
            db = self.app.data.connect()  # type: ignore[attr-defined]
            self.post_message(CustomerProductsLoaded(customer_products(db, self.customer_id)))
        except ClvError as err:
            self.post_message(CustomerFailed(str(err)))

    def on_customer_products_loaded(self, msg: CustomerProductsLoaded) -> None:
        lines, best = msg.products.lines, msg.products.best_next
        table = self.query_one("#customer-lines", FitTable)
        table.set_rows([
            ([str(r["ordered_at"])[:10], str(r["product"] or r["product_id"] or ""),
              number(r["quantity"], 0) if r["quantity"] is not None else "–",
              money(_major(r["amount_minor"], r["currency"]), r["currency"])], None)
            for r in lines[:200]
        ])  # fmt: skip
        note = self.query_one("#customer-next", Static)
        if not lines:
            note.update("No order lines: the export carried no line items.")
        elif best is None:
            note.update("Best next product: none stands out (no product with lift > 1).")
        else:
            note.update(
                f"Best next product: [b]{best['next_product']}[/b] — bought "
                f"{best['lift']:.1f}× more often than chance with {best['because']}"
            )

    @work(thread=True, exclusive=True, exit_on_error=False)
    def load(self) -> None:
        from clvtui.services.customer import customer_detail

        app = self.app
        try:
            db = app.data.connect()  # type: ignore[attr-defined]
            ranking = app.data.cached_customers()  # type: ignore[attr-defined]
            detail = customer_detail(db, self.customer_id, ranking=ranking)
            self.post_message(CustomerLoaded(detail))
        except ClvError as err:
            self.post_message(CustomerFailed(str(err)))

    def on_customer_loaded(self, msg: CustomerLoaded) -> None:
        detail = msg.detail
        ident = detail.identity or {}
        parts = [f"[b]{ident.get('name') or self.customer_id}[/b]"]
        parts += [str(ident[k]) for k in ("email", "country", "channel") if ident.get(k)]
        if ident.get("sources"):
            parts.append(f"from {ident['sources']}")
        if ident.get("first_order_at"):
            parts.append(f"first order {str(ident['first_order_at'])[:10]}")
        self.query_one("#customer-title", Static).update(" · ".join(parts))
        currency = detail.report.currency if detail.report else None
        self._show_costs(detail.costs, currency)
        s = detail.score
        if s:
            self.query_one("#kpi-clv", KpiCard).set(
                money(s.get("clv"), currency),
                f"90 % {money(s.get('clv_low'), currency)}–{money(s.get('clv_high'), currency)}",
            )
            self.query_one("#kpi-alive", KpiCard).set(
                pct(s.get("p_alive")), f"{s.get('tier') or ''} · {s.get('risk') or ''}"
            )
            self.query_one("#kpi-orders", KpiCard).set(
                f"{s.get('expected_orders', 0):.2f}",
                # the model counts purchase days (two orders on one day are one purchase)
                f"{_purchases(s.get('orders'), detail.orders.height)}"
                f" · spent {money(s.get('spend'), currency)}",
            )
            low, high = s.get("next_order_low"), s.get("next_order_high")
            p30, p90 = s.get("p_order_30"), s.get("p_order_90")
            # values are as of the run's as-of date (the Overview shows it)
            parts = [f"{pct(p30)} in 30 days"] if p30 is not None else []
            if low is not None and high is not None:
                parts.append(f"next in {low:.0f}–{high:.0f} wk")
            card = self.query_one("#kpi-next", KpiCard)
            if p90 is not None:
                card.set(pct(p90), " · ".join(parts))
            elif low is not None and high is not None:  # runs stored before P(order) existed
                card.set(f"in {low:.0f}–{high:.0f} weeks", "next order expected")
            else:
                card.set("unlikely", "probably gone")
        table = self.query_one("#customer-orders", FitTable)
        if detail.report is not None and detail.report.summary_file:  # no order lines here
            table.border_title = "Orders — not available for a summary run"
        rows = [
            ([
                str(row.get("ordered_at", ""))[:10],
                str(row.get("order_id", "")),
                money(row["amount"], row.get("currency") or currency),
                str(row.get("status", "") or ""),
                str(row.get("product", "") or ""),
            ], None)
            for row in detail.orders.iter_rows(named=True)
        ]  # fmt: skip
        table.set_rows(rows)
        chart = self.query_one("#alive-chart", Chart)
        if detail.alive is None:
            chart.plot(None)
            return
        chart.plot(
            lines(
                Line(detail.alive.weeks, detail.alive.values),
                y_lim=(0, 1),
                x_axis=Axis("whole"),
                y_axis=Axis("pct"),
            )
        )

    def _show_costs(self, costs: dict | None, currency: str | None) -> None:
        """One line: the cost per order net CLV charges, the customer's own, the shop's."""
        line = self.query_one("#customer-costs", Static)
        line.display = costs is not None
        if costs is None:
            return
        own = costs["own_cost"]
        refund = costs["refund_rate"]
        line.update(
            f"Cost to serve {money(costs['cost_per_order'], currency)} per order"
            f" (own {money(own, currency) if own is not None else '–'} over"
            f" {plural(int(costs['purchases']), 'order')},"
            f" shop {money(costs['shop_cost'], currency)})"
            f" · refund rate {pct(refund) if refund is not None else '–'}"
        )

    def on_customer_failed(self, msg: CustomerFailed) -> None:
        self.notify(msg.message, severity="error", timeout=8)


def _major(minor: int | None, currency: str | None) -> float | None:
    """Minor units (cents) as an amount in the currency's major unit."""
    from clvtui.core.money import minor_exponent

    return None if minor is None else minor / 10 ** minor_exponent(currency or "USD")


def _purchases(days: object, listed: int) -> str:
    """``11 purchase days (12 orders)``: the model's count beside the orders listed."""
    if not isinstance(days, int | float):
        return plural(listed, "order")
    if int(days) == listed:
        return plural(listed, "order")
    return f"{plural(int(days), 'purchase day')} ({plural(listed, 'order')})"
