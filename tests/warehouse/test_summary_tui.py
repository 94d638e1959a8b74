"""A summary run in the terminal UI: the dashboard (not the welcome page), and what needs order
lines says it is not available instead of showing nothing or failing."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from textual.widgets import DataTable

from clvtui.store import open_db
from clvtui.store.runs import latest_run, scores_frame
from clvtui.tui.app import make_app
from clvtui.tui.widgets.chart import Chart
from clvtui.tui.widgets.kpi import KpiCard
from tests.tui.conftest import SIZE, settle
from tests.warehouse.conftest import cli


async def test_overview_model_and_customer_screens_on_a_summary_run(
    tmp_path: Path, holdout_parquet: Path
) -> None:
    db = tmp_path / "warehouse.db"
    args = ["--unit", "days", "--holdout-weeks", "13", "--as-of", "2026-06-30", "--model", "bgnbd"]
    assert cli(db, "fit", "--summary", str(holdout_parquet), *args)[0] == 0
    run = latest_run(open_db(db))
    assert run is not None
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        assert "hidden" in app.screen.query_one("#welcome").classes  # a run, no orders
        equity = app.screen.query_one("#kpi-equity", KpiCard)
        assert equity._value.replace("XXX", "").strip() == f"{run['customer_equity']:,.0f}"
        await pilot.press("5")
        await settle(pilot, app)
        tracking = app.screen.query_one("#tracking", Chart)
        assert "not available for a summary run" in str(tracking.border_subtitle)
        await pilot.press("2")
        await settle(pilot, app)
        app.open_customer("C0000097")  # type: ignore[attr-defined]
        await settle(pilot, app)
        clv = app.screen.query_one("#kpi-clv", KpiCard)
        stored = scores_frame(open_db(db), run["id"]).filter(pl.col("customer_id") == "C0000097")
        assert clv._value.replace("XXX", "").strip() == f"{stored['clv'][0]:,.2f}"
        orders = app.screen.query_one("#customer-orders", DataTable)
        assert orders.row_count == 0
        assert orders.border_title == "Orders — not available for a summary run"
