"""The Products screen (9), products in the tier drill-down and in the customer detail."""

from __future__ import annotations

from pathlib import Path

from clvtui.tui.app import make_app
from clvtui.tui.screens.base import no_fit_yet
from clvtui.tui.widgets.fit_table import FitTable
from tests.tui.conftest import SIZE, settle


def _text(widget) -> str:  # type: ignore[no-untyped-def]
    return str(widget.render())


async def test_products_screen_shows_entry_journey_and_pairs(demo_db: Path) -> None:
    from clvtui.services.products import product_report
    from clvtui.store import open_db

    expected = product_report(open_db(demo_db, readonly=True))
    app = make_app(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("9")
        await settle(pilot, app)
        assert app.screen.MODE == "products"
        note = _text(app.screen.query_one("#products-note"))
        assert "Customers who start with" in note and "ordered again" in note
        entry = app.screen.query_one("#products-entry", FitTable)
        assert entry.row_count == expected.entry.height > 0
        first = [str(c) for c in entry.get_row_at(0)]
        assert first[0] == expected.entry["product"][0]
        assert first[1] == f"{expected.entry['customers'][0]:,}"
        pairs = app.screen.query_one("#products-pairs", FitTable)
        assert pairs.row_count == expected.pairs.height > 0
        await pilot.press("]", "]")
        await settle(pilot, app)
        assert app.screen.query_one("#products-tabs").active == "tab-pairs"
        assert str(pairs.get_row_at(0)[4]) == f"{expected.pairs['lift'][0]:.2f}"


async def test_tier_and_customer_show_their_products(demo_db: Path) -> None:
    app = make_app(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("3", "enter")
        await settle(pilot, app)
        tier = app.screen
        assert tier.query_one("#tier-entry", FitTable).row_count > 0
        assert tier.query_one("#tier-next", FitTable).row_count > 0
        assert "have order lines" in _text(tier.query_one("#tier-products-note"))
        await pilot.press("enter")  # the tier's first customer
        await settle(pilot, app)
        lines = app.screen.query_one("#customer-lines", FitTable)
        assert lines.row_count > 0
        assert "Best next product" in _text(app.screen.query_one("#customer-next"))


async def test_products_without_a_fit_or_without_lines_say_why(tmp_path: Path) -> None:
    from clvtui.ingest import import_file
    from clvtui.pipeline import fit_run
    from clvtui.services.products import NO_LINES
    from clvtui.store import open_db

    db_path = tmp_path / "shop.db"
    db = open_db(db_path)
    fixtures = Path(__file__).parents[2] / "fixtures"
    import_file(db, fixtures / "stripe_payments_jan_jun.csv")
    app = make_app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("9")
        await settle(pilot, app)
        assert no_fit_yet("products") in _text(app.screen.query_one("#products-note"))
    fit_run(db)
    app = make_app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("9")
        await settle(pilot, app)
        assert _text(app.screen.query_one("#products-note")) == NO_LINES
