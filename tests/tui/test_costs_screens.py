"""Channels from the Budget screen (``c``, ``g``, Escape) and the cost-to-serve line of the
customer detail, driven like a user on real databases."""

from __future__ import annotations

from pathlib import Path

from clvtui.ingest.importer import import_file
from clvtui.pipeline import fit_run
from clvtui.services.channels import channel_table
from clvtui.settings import Settings
from clvtui.store import open_db
from clvtui.store.saved_settings import save_settings
from clvtui.tui.app import make_app
from clvtui.tui.screens.channels import ChannelsScreen
from clvtui.tui.screens.customer_detail import CustomerScreen
from tests.tui.conftest import SIZE, settle

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "costs"


async def test_channels_from_the_budget_screen(demo_db: Path) -> None:
    app = make_app(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("4")
        await settle(pilot, app)
        await pilot.press("c")
        await settle(pilot, app)
        assert isinstance(app.screen, ChannelsScreen)
        table = app.screen.query_one("#channels-table")
        expected = channel_table(open_db(demo_db, readonly=True), "channel").table
        assert table.row_count == expected.height
        first = [str(c) for c in table.get_row_at(0)]
        assert first[0] == expected["group"][0]
        await pilot.press("g")
        await settle(pilot, app)
        assert app.screen.by == "first_product"
        assert "first product" in str(app.screen.query_one("#channels-title").render())
        await pilot.press("escape")
        await settle(pilot, app)
        assert app.current_mode == "budget" and not isinstance(app.screen, ChannelsScreen)


async def test_customer_detail_shows_cost_to_serve(tmp_path: Path) -> None:
    db_path = tmp_path / "clv.db"
    db = open_db(db_path)
    import_file(db, FIXTURES / "stripe_fees.csv")
    save_settings(db, Settings(margin=0.05))
    fit_run(db)
    app = make_app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(CustomerScreen("stripe:cus_A"))
        await settle(pilot, app)
        line = str(app.screen.query_one("#customer-costs").render())
        # own 6.41 / 2, shop 8.46 / 4, shrunk (6.41 + 5 · 2.115) / 7 = 2.43; refunds 40 / 190
        assert app.screen.query_one("#customer-costs").display
        assert "Cost to serve $2.43 per order (own $3.21 over 2 orders, shop $2.12)" in line
        assert "refund rate 21 %" in line
