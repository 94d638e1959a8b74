"""Every data screen, driven like a user: sort, filter, drill down, budget, refit, import."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import DataTable, Input

from clvtui.tui.app import make_app
from clvtui.tui.screens.customer_detail import CustomerScreen
from clvtui.tui.screens.tier import TierScreen
from clvtui.tui.widgets.frame_table import FrameTable
from clvtui.tui.widgets.kpi import KpiCard
from tests.tui.conftest import DEMO_CUSTOMERS, SIZE, settle


async def test_overview_shows_the_fitted_run(demo_db: Path) -> None:
    from clvtui.store import open_db
    from clvtui.store.runs import latest_run

    run = latest_run(open_db(demo_db))
    assert run is not None
    app = make_app(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        equity = app.screen.query_one("#kpi-equity", KpiCard)
        assert equity._value == f"${run['customer_equity']:,.0f}"
        matrix = app.screen.query_one("#tier-matrix", DataTable)
        assert matrix.row_count == 3
        total = sum(int(str(matrix.get_row_at(i)[4]).replace(",", "")) for i in range(3))
        assert total == DEMO_CUSTOMERS


async def test_keys_typed_right_after_slash_go_to_the_filter(demo_db: Path) -> None:
    """A fast typist's "/ada": the keys arrive before "/" is handled (pilot.press would wait
    between keys, so they are posted at once). "/" inside the filter box is text."""
    from textual import events

    app = make_app(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2")
        await settle(pilot, app)
        for key, char in [("slash", "/"), ("a", "a"), ("d", "d"), ("a", "a")]:
            app.post_message(events.Key(key, char))
        await pilot.pause()
        box = app.screen.query_one("#customer-filter", Input)
        assert app.focused is box
        assert box.value == "ada"
        await pilot.press("slash")
        assert box.value == "ada/"


async def test_customers_sort_filter_and_drill_down(demo_db: Path) -> None:
    app = make_app(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2")
        await settle(pilot, app)
        table = app.screen.query_one("#ranking", FrameTable)
        assert table.row_count == DEMO_CUSTOMERS
        clv = table.shown()["clv"]
        assert clv.to_list() == sorted(clv.to_list(), reverse=True)  # ranked by CLV

        await pilot.press("s")  # next sort column: P(alive), biggest first
        await pilot.pause()
        p = table.shown()["p_alive"].to_list()
        assert p == sorted(p, reverse=True)
        await pilot.press("S")  # reversed
        await pilot.pause()
        p = table.shown()["p_alive"].to_list()
        assert p == sorted(p)

        await pilot.press("slash", *"highly")
        await pilot.pause()
        tiers = set(table.shown()["tier"].to_list())
        assert tiers == {"Highly profitable"}
        assert 0 < table.row_count < DEMO_CUSTOMERS
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.focused, FrameTable)

        first = table.row_value("customer_id")
        await pilot.press("enter")
        await settle(pilot, app)
        assert isinstance(app.screen, CustomerScreen)
        assert app.screen.customer_id == first
        orders = app.screen.query_one("#customer-orders", DataTable)
        assert orders.row_count >= 1
        await pilot.press("escape")
        await pilot.pause()
        assert app.current_mode == "customers"
        assert not isinstance(app.screen, CustomerScreen)


async def test_segments_drill_into_a_tier_and_back(demo_db: Path) -> None:
    app = make_app(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("3")
        await settle(pilot, app)
        table = app.screen.query_one("#segments-table", DataTable)
        assert table.row_count == 3
        await pilot.press("enter")
        await settle(pilot, app)
        assert isinstance(app.screen, TierScreen)
        assert app.screen.tier == "Highly profitable"
        members = app.screen.query_one("#tier-customers", FrameTable)
        assert members.row_count > 0
        assert set(members.shown()["tier"].to_list()) == {"Highly profitable"}
        profile = app.screen.query_one("#tier-profile", DataTable)
        assert profile.row_count > 0
        tabs = app.screen.query_one("#tier-tabs")
        await pilot.press("right_square_bracket")  # keyboard only: "]" next tab, "[" previous
        assert tabs.active == "tab-profile"
        await pilot.press("left_square_bracket", "left_square_bracket")  # wraps around
        assert tabs.active == "tab-moved"
        await pilot.press("escape")
        await pilot.pause()
        assert app.current_mode == "segments"
        assert not isinstance(app.screen, TierScreen)


async def test_budget_follows_the_typed_budget(demo_db: Path) -> None:
    app = make_app(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("4")
        await settle(pilot, app)
        screen = app.screen
        before = screen.plan
        assert before is not None and before.total == 5000
        box = screen.query_one("#in-budget", Input)
        box.focus()
        box.value = ""
        await pilot.press(*"200")
        await settle(pilot, app)
        after = screen.plan
        assert after.total == 200
        assert after.spent + after.unallocated == pytest.approx(200, abs=0.01)
        # the number keys type into the box, they do not switch screens
        assert app.current_mode == "budget"
        # a bad value is explained, not a crash
        await pilot.press("x")
        await settle(pilot, app)
        assert "number" in str(screen.query_one("#budget-error").render())


@pytest.mark.parametrize("with_spend", [False, True], ids=["setting", "observed-cac"])
async def test_budget_values_the_run_with_its_own_economics(
    demo_copy: Path, tmp_path: Path, with_spend: bool
) -> None:
    """A margin changed after the fit must not re-price that fit's CLVs: the screen's plan is
    the one `clvtui budget` computes for the same run (margin 40 %, not the new 90 %). With no
    acquisition cost set and marketing spend imported, both price new customers at the CAC
    observed from that spend."""
    import json

    from typer.testing import CliRunner

    from clvtui.cli import app as cli
    from clvtui.store import open_db
    from clvtui.store.saved_settings import load_settings, save_settings

    db = open_db(demo_copy)
    changes: dict = {"margin": 0.9} | ({"acquisition_cost": 0.0} if with_spend else {})
    save_settings(db, load_settings(db).with_changes(**changes))
    db.conn.close()
    if with_spend:
        spend = tmp_path / "spend.csv"
        spend.write_text("month,channel,amount\n2025-01,paid social,4000\n2025-02,email,900\n")
        imported = CliRunner().invoke(cli, ["spend", "import", str(spend), "--db", str(demo_copy)])
        assert imported.exit_code == 0, imported.output
    out = CliRunner().invoke(cli, ["budget", "--db", str(demo_copy), "--total", "5000", "--json"])
    assert out.exit_code == 0, out.output
    expected = json.loads(out.stdout)
    app = make_app(demo_copy)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("4")
        await settle(pilot, app)
        plan = app.screen.plan
        assert plan.assumptions["margin"] == pytest.approx(0.4)
        assert (
            plan.assumptions["acquisition_cost_source"]
            == (expected["assumptions"]["acquisition_cost_source"])
        )
        if with_spend:
            assert plan.assumptions["acquisition_cost_source"].startswith("marketing spend")
        allocations = expected["allocations"]  # the JSON rounds each one to cents
        assert plan.expected_value == pytest.approx(
            sum(a["expected_value"] for a in allocations), abs=0.005 * len(allocations)
        )
        # expected customers per target as the CLI prints them (one decimal: 0.8, not 0)
        table = app.screen.query_one("#allocation-table", DataTable)
        shown = [str(table.get_row_at(i)[4]) for i in range(table.row_count)]
        assert shown == [f"{a.customers:,.1f}" for a in plan.allocations]


async def test_refit_from_the_model_screen(demo_copy: Path) -> None:
    from clvtui.store import open_db
    from clvtui.store.runs import list_runs

    app = make_app(demo_copy)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("5")
        await settle(pilot, app)
        params = app.screen.query_one("#params-table", DataTable)
        # 4 purchase + 3 spend parameters as of as-of, then the 4 of the checked backtest fit
        assert params.row_count == 11
        labels = [str(params.get_row_at(i)[0]) for i in range(params.row_count)]
        assert labels[:2] == ["r", "alpha"]  # the demo's auto choice names the other two
        assert labels[7] == "r (checked)"
        assert "2025-12-" in str(params.border_subtitle)
        assert "as of 2026-06-" in str(params.border_title)
        margin = app.screen.query_one("#set-margin", Input)
        margin.value = "50%"
        await pilot.press("f")
        await settle(pilot, app)
    runs = list_runs(open_db(demo_copy))
    assert len(runs) == 2
    from clvtui.store.saved_settings import load_settings

    assert load_settings(open_db(demo_copy)).margin == 0.5


async def test_import_a_shop_export_through_the_import_screen(tmp_path: Path) -> None:
    from clvtui.demo import DemoParams, write_demo_export
    from clvtui.store import open_db
    from clvtui.store.status import database_status

    fixture = sorted(Path("fixtures").glob("shopify*/*.csv")) or sorted(
        Path("fixtures").glob("**/shopify*.csv")
    )
    export = (
        fixture[0]
        if fixture
        else write_demo_export(
            tmp_path / "orders_export.csv", "shopify", DemoParams(n_customers=200), seed=3
        )
    )
    db_path = tmp_path / "shop.db"
    app = make_app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("6")
        await settle(pilot, app)
        box = app.screen.query_one("#import-path", Input)
        box.value = str(export)
        box.focus()
        await pilot.press("enter")
        await settle(pilot, app)
        assert app.screen.previewed == export
        assert database_status(open_db(db_path)).orders == 0  # preview writes nothing
        assert app.screen.query_one("#import-mapping", DataTable).row_count > 0
        await pilot.press("escape", "i")
        await settle(pilot, app)
        summary = str(app.screen.query_one("#import-summary").render())
        assert "Imported" in summary
    status = database_status(open_db(db_path))
    assert status.orders > 0 and status.imports == 1


async def test_import_screen_names_a_folder_and_an_unreadable_csv(tmp_path: Path) -> None:
    """Bad input is a one-line toast, never a traceback, and never the file's content."""
    (tmp_path / "exports").mkdir()
    broken = tmp_path / "broken.csv"
    broken.write_text('id,email,date,amount\n1,"ann@example.com,2024-01-01,1.00\n')
    app = make_app(tmp_path / "shop.db")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("6")
        await settle(pilot, app)
        box = app.screen.query_one("#import-path", Input)
        for path, expected in (
            (tmp_path / "exports", f"{tmp_path / 'exports'}: is a folder"),
            (broken, f"{broken}: line 2: a quoted field starts here and is never closed"),
        ):
            box.value = str(path)
            box.focus()
            await pilot.press("enter")
            await settle(pilot, app)
            toasts = [str(n.message) for n in app._notifications]
            assert any(t.startswith(expected) and "\n" not in t for t in toasts), toasts
            assert not any("ann@" in t for t in toasts)


async def test_a_run_fitted_before_the_frame_cache_still_shows(demo_copy: Path) -> None:
    """No stored ranking blob and no stored concentration curve: read rows, compute the curve."""
    from clvtui.store import open_db
    from clvtui.tui.widgets.chart import Chart
    from tests.dbfiles import as_stored_before_blobs

    db = open_db(demo_copy)
    as_stored_before_blobs(db)
    with db.conn:
        db.conn.execute("UPDATE runs SET report = json_remove(report, '$.value_concentration')")
    db.conn.close()
    app = make_app(demo_copy)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        matrix = app.screen.query_one("#tier-matrix", DataTable)
        total = sum(int(str(matrix.get_row_at(i)[4]).replace(",", "")) for i in range(3))
        assert total == DEMO_CUSTOMERS
        assert "top 10 % hold" in str(app.screen.query_one("#kpi-top", KpiCard)._note)
        assert app.screen.query_one("#concentration", Chart)._draw is not None
        await pilot.press("2")
        await settle(pilot, app)
        table = app.screen.query_one("#ranking", FrameTable)
        assert table.row_count == DEMO_CUSTOMERS
        clv = table.shown()["clv"].to_list()
        assert clv == sorted(clv, reverse=True)


async def test_import_with_a_time_zone_for_zone_less_times(tmp_path: Path) -> None:
    """WooCommerce writes site time without a zone: the Import screen's time zone says which
    (Madrid in early March 2024 is UTC+1). A bad zone is refused before anything is read, and
    changing the zone after a preview asks for a new preview."""
    from clvtui.store import open_db

    export = Path("fixtures/woocommerce_orders.csv").resolve()
    db_path = tmp_path / "shop.db"
    app = make_app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("6")
        await settle(pilot, app)
        screen = app.screen
        zone = screen.query_one("#import-timezone", Input)
        zone.value = "Mars/Olympus"
        await pilot.pause()
        assert not zone.is_valid
        screen.query_one("#import-path", Input).value = str(export)
        screen.action_preview()
        await settle(pilot, app)
        assert screen.previewed is None
        assert "unknown time zone 'Mars/Olympus'" in str(
            screen.query_one("#import-summary").render()
        )

        zone.value = "Europe/Madrid"
        zone.focus()
        await pilot.press("enter")  # Enter in the zone box previews again
        await settle(pilot, app)
        assert zone.is_valid
        assert screen.previewed == export
        preview = str(screen.query_one("#import-summary").render())
        assert "7 rows → 7 orders (3 purchases)" in preview, preview
        sample = screen.query_one("#import-sample", DataTable)
        first = [str(c) for c in sample.get_row_at(0)]
        header = [str(c.label) for c in sample.columns.values()]
        assert first[header.index("amount")] == "1,234.56 EUR"  # major units, not 123456
        zone.value = "Europe/Lisbon"
        await pilot.pause()
        assert screen.previewed is None  # that preview was made with another zone
        zone.value = "Europe/Madrid"
        await pilot.press("enter")
        await settle(pilot, app)
        await pilot.press("escape", "i")
        await settle(pilot, app)
        assert "7 new orders" in str(screen.query_one("#import-summary").render())
    got = {r["order_id"]: r["ordered_at"] for r in open_db(db_path)["orders"].rows}
    assert got["201"] == "2024-03-05T13:22:10Z"  # 14:22:10 in Madrid
    assert got["202"] == "2024-03-06T08:00:00Z"


def test_model_screen_calibration_is_the_fits_histogram(demo_db: Path) -> None:
    """The chart shows the histogram fit stored (same numbers as ``fit --json``); a run
    without one (the empirical estimate) shows the actual counts only."""
    from clvtui.store import open_db
    from clvtui.store.runs import latest_run, ranked_customers
    from clvtui.tui.screens.model_check import calibration_bins

    db = open_db(demo_db)
    run = latest_run(db)
    assert run is not None
    stored = run["report"]["purchase_model"]["histogram"]
    bins = calibration_bins(run, None)
    assert bins is not None
    assert bins["model"] == stored["expected"] and bins["actual"] == stored["actual"]
    assert sum(bins["actual"]) == DEMO_CUSTOMERS
    empirical = {**run, "report": {**run["report"], "purchase_model": None}}
    fallback = calibration_bins(empirical, ranked_customers(db, int(run["id"])))
    assert fallback == {"bins": bins["bins"], "actual": bins["actual"]}


async def test_import_screen_reports_links_and_a_new_currency(
    demo_copy: Path, tmp_path: Path
) -> None:
    """A EUR file whose buyer has a demo customer's e-mail (other case): the summary says one
    customer was linked, a warning notification names the new currency, and after a fit the
    Model screen says the run is in USD with EUR left out."""
    from clvtui.pipeline import fit_run
    from clvtui.store import open_db

    email = (
        open_db(demo_copy)
        .conn.execute(
            "SELECT email FROM customers WHERE email IS NOT NULL ORDER BY customer_id LIMIT 1"
        )
        .fetchone()[0]
    )
    export = tmp_path / "eur.csv"
    export.write_text(
        f"customer_id,email,order_date,total,currency\nE1,{email.upper()},2024-01-02,20.00,EUR\n"
    )
    app = make_app(demo_copy)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("6")
        await settle(pilot, app)
        box = app.screen.query_one("#import-path", Input)
        box.value = str(export)
        box.focus()
        await pilot.press("enter")
        await settle(pilot, app)
        await pilot.press("escape", "i")
        await settle(pilot, app)
        summary = str(app.screen.query_one("#import-summary").render())
        assert "1 linked by e-mail to a customer already known" in summary
        warnings = [n.message for n in app._notifications if n.severity == "warning"]
        assert any("in EUR but the database holds USD" in w for w in warnings), warnings
    fit_run(open_db(demo_copy), holdout_weeks=None)
    app = make_app(demo_copy)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("5")
        await settle(pilot, app)
        note = str(app.screen.query_one("#kpi-model", KpiCard)._note)
        assert note.endswith("· in USD (EUR left out)"), note
        verdict = str(app.screen.query_one("#model-verdict").render())
        assert "This run is in USD; purchases in EUR are left out" in verdict, verdict
