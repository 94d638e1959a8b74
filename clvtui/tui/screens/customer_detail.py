"""One customer (pushed with Enter from any customer list): orders, P(alive) over time,
CLV with its interval and the expected next-order window. Escape goes back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

import polars as pl
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from clvtui.errors import ClvError
from clvtui.tui.report import dig, run_currency, scored_as_of
from clvtui.tui.screens.base import WorkerErrors
from clvtui.tui.widgets.chart import Chart, ChartColors
from clvtui.tui.widgets.fmt import money, pct
from clvtui.tui.widgets.kpi import KpiCard

WEEK = 7 * 24 * 3600


@dataclass
class CustomerLoaded(Message):
    identity: dict[str, Any] | None
    score: dict[str, Any] | None
    orders: pl.DataFrame | None
    run: dict[str, Any] | None
    alive_curve: tuple[list[float], list[float]] | None


@dataclass
class CustomerFailed(Message):
    message: str


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
        with Horizontal(id="customer-kpis"):
            yield KpiCard("CLV", id="kpi-clv")
            yield KpiCard("P(alive)", id="kpi-alive")
            yield KpiCard("Expected orders", id="kpi-orders")
            yield KpiCard("Orders again within 90 days", id="kpi-next")
        with Horizontal(id="customer-body"):
            with Vertical(id="customer-left"):
                orders = DataTable(id="customer-orders", cursor_type="row", zebra_stripes=True)
                orders.border_title = "Orders"
                yield orders
            yield Chart("P(alive) over time (weeks since first order)", id="alive-chart")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#customer-orders", DataTable).add_columns(
            "Date", "Order", "Amount", "Status", "Product"
        )
        self.load()

    @work(thread=True, exclusive=True, exit_on_error=False)
    def load(self) -> None:
        from clvtui.store.runs import customer_orders, latest_run
        from clvtui.store.views import customer_identity

        app = self.app
        try:
            db = app.data.connect()  # type: ignore[attr-defined]
            identity = customer_identity(db, self.customer_id)
            orders = customer_orders(db, self.customer_id)
            run = latest_run(db)
            score = None
            frame = app.data.cached_customers()  # type: ignore[attr-defined]
            if frame is not None:
                found = frame.filter(pl.col("customer_id") == self.customer_id)
                score = found.row(0, named=True) if found.height else None
            curve = _alive_curve(run, orders) if run is not None else None
            self.post_message(CustomerLoaded(identity, score, orders, run, curve))
        except ClvError as err:
            self.post_message(CustomerFailed(str(err)))

    def on_customer_loaded(self, msg: CustomerLoaded) -> None:
        ident = msg.identity or {}
        parts = [f"[b]{ident.get('name') or self.customer_id}[/b]"]
        parts += [str(ident[k]) for k in ("email", "country", "channel") if ident.get(k)]
        if ident.get("sources"):
            parts.append(f"from {ident['sources']}")
        if ident.get("first_order_at"):
            parts.append(f"first order {str(ident['first_order_at'])[:10]}")
        self.query_one("#customer-title", Static).update(" · ".join(parts))
        currency = run_currency(msg.run) if msg.run else None
        s = msg.score
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
                f"{s.get('orders')} so far · spent {money(s.get('spend'), currency)}",
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
        table = self.query_one("#customer-orders", DataTable)
        table.clear()
        if dig(msg.run or {}, "report", "summary_file"):  # warehouse hook: no order lines here
            table.border_title = "Orders — not available for a summary run"
        if msg.orders is not None:
            for row in msg.orders.iter_rows(named=True):
                amount = row.get("amount")
                if amount is None and row.get("amount_minor") is not None:
                    from clvtui.ingest.money import minor_exponent

                    net = row["amount_minor"] - (row.get("refunded_minor") or 0)
                    amount = net / 10 ** minor_exponent(row.get("currency"))
                table.add_row(
                    str(row.get("ordered_at", ""))[:10],
                    str(row.get("order_id", "")),
                    money(amount, row.get("currency") or currency),
                    str(row.get("status", "") or ""),
                    str(row.get("product", "") or ""),
                )
        chart = self.query_one("#alive-chart", Chart)
        if msg.alive_curve is None:
            chart.plot(None)
            return
        xs, ys = msg.alive_curve

        def draw(fig: Any, colors: ChartColors) -> None:
            line = fig.signal(xs, ys)
            line.lines(True)
            fig.draw(line)
            fig.ruler("y").lim(0, 1)

        chart.plot(draw)

    def on_customer_failed(self, msg: CustomerFailed) -> None:
        self.notify(msg.message, severity="error", timeout=8)


def _alive_curve(
    run: dict[str, Any], orders: pl.DataFrame
) -> tuple[list[float], list[float]] | None:
    """P(alive) week by week from the first order to the run's as-of date, from the fitted
    parameters and the customer's own purchase days (None if the model has no such formula)."""
    import importlib

    import numpy as np

    model = str(run.get("model") or "bgnbd")
    params = dig(run, "report", "purchase_model", "params")
    names = {"bgnbd": ("r", "alpha", "a", "b"), "mbgnbd": ("r", "alpha", "a", "b"),
             "paretonbd": ("r", "alpha", "s", "beta"),
             "nbd": ("r", "alpha")}.get(model)  # fmt: skip
    if not isinstance(params, dict) or names is None or orders is None or orders.height == 0:
        return None
    try:
        module = importlib.import_module(f"clvtui.model.{model}")
        theta = np.array([_value(params, n) for n in module.NAMES], dtype=float)
    except (ImportError, KeyError, TypeError, ValueError):
        return None
    when = orders
    if "is_purchase" in when.columns:
        when = when.filter(pl.col("is_purchase") == 1)
    if run.get("currency") and "currency" in when.columns:  # the run's currency only, as fitted
        when = when.filter(pl.col("currency") == run["currency"])
    stamps = sorted({_day(t) for t in when["ordered_at"].to_list() if t is not None})
    as_of = _day(scored_as_of(run))
    if not stamps or as_of is None:
        return None
    first = stamps[0]
    days = np.array([(d - first) / 7.0 for d in stamps])
    end = (as_of - first) / 7.0
    taus = np.linspace(0.0, max(end, 0.0), num=min(200, max(2, int(end) + 1)))
    x = np.array([np.sum((days > 0) & (days <= t)) for t in taus], dtype=float)
    t_x = np.array([days[days <= t].max() if np.any(days <= t) else 0.0 for t in taus])
    ys = module.p_alive(theta, x, t_x, taus)
    return [float(t) for t in taus], [float(y) for y in ys]


def _value(params: dict[str, Any], name: str) -> float:
    value = params[name]
    if isinstance(value, dict):
        value = value.get("value", value.get("estimate"))
    return float(value)


def _day(value: Any) -> float | None:
    """Days since the epoch (purchase-day resolution, as the model counts)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return float(value.timestamp() // 86400)
    text = str(value)[:10]
    try:
        return float(datetime.fromisoformat(text).timestamp() // 86400)
    except ValueError:
        return None
