"""Switching screens fast: Customers built ahead, rows and footer keys kept right meanwhile."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.app import App
from textual.geometry import Region
from textual.widgets._footer import FooterKey

from clvtui.tui.app import BUILT_SWITCH_HOLD, make_app
from clvtui.tui.screens import overview
from clvtui.tui.screens.customers import CustomersScreen
from clvtui.tui.screens.overview import PREBUILD_DELAY
from clvtui.tui.widgets.frame_table import FrameTable
from tests.tui.conftest import DEMO_CUSTOMERS, SIZE, settle


def footer_actions(screen) -> list[str]:  # type: ignore[no-untyped-def]
    return [key.action for key in screen.query(FooterKey) if key.action != "command_palette"]


def shown_actions(screen) -> list[str]:  # type: ignore[no-untyped-def]
    """What the footer should show: the screen's active bindings marked to be shown, one per
    action (as Textual's footer lists them)."""
    actions = [b.binding.action for b in screen.active_bindings.values() if b.binding.show]
    return list(dict.fromkeys(actions))


def table_lines(table: FrameTable) -> list[list[tuple[str, str]]]:
    """The table's rendered lines as (text, style) segments."""
    strips = table.render_lines(Region(0, 0, table.size.width, table.size.height))
    return [[(seg.text, str(seg.style)) for seg in strip] for strip in strips]


async def test_customers_is_built_with_its_rows_while_the_overview_shows(demo_db: Path) -> None:
    app = make_app(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.pause(PREBUILD_DELAY)  # then the build starts
        await settle(pilot, app)
        assert app.current_mode == "overview"
        [ahead] = app.get_screen_stack("customers")
        assert isinstance(ahead, CustomersScreen)
        assert ahead.query_one("#ranking", FrameTable).row_count == DEMO_CUSTOMERS
        await pilot.press("2")
        await pilot.pause()
        assert app.screen is ahead
        table = ahead.query_one("#ranking", FrameTable)
        assert table.row_count == DEMO_CUSTOMERS
        assert app.focused is table
        # line 0 is the border, 1 the header: the top customer is drawn on line 2 (by their
        # whole id: at this width the Name column gives way to it, issue 15)
        customer = table.row_value("customer_id", 0)
        assert customer and customer in "".join(text for text, _ in table_lines(table)[2])


async def test_a_table_looks_the_same_whichever_screen_was_built_first(
    demo_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Customers' table brings a stylesheet that also styles Textual's tables: Segments, built
    before it (a key pressed before Customers is built ahead), gets the same colours as when
    built after it. They differed, and the snapshots flickered between the two."""
    looks = []
    for delay in (60.0, PREBUILD_DELAY):  # Segments built before Customers; after it
        monkeypatch.setattr(overview, "PREBUILD_DELAY", delay)
        app = make_app(demo_db)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot, app)
            await pilot.pause(PREBUILD_DELAY)
            await pilot.press("3")
            await settle(pilot, app)
            app.prebuild_mode("customers")  # what the timer does (at once, or long before)
            await settle(pilot, app)
            built = list(app._screen_stacks)
            assert built.index("segments") < built.index("customers") or delay != 60.0
            table = app.screen.query_one("#segments-table")
            rows = table.get_component_styles("datatable--even-row")
            looks.append((table.styles.background, rows.background))
    assert looks[0] == looks[1]


async def test_footer_shows_the_active_keys_after_every_switch(demo_db: Path) -> None:
    app = make_app(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        for key in "2141":
            await pilot.press(key)
            await settle(pilot, app)
            expected = shown_actions(app.screen)
            assert footer_actions(app.screen) == expected, (app.current_mode, expected)
        await pilot.press("2")
        await settle(pilot, app)
        # the table's own Enter (shown as nothing) shadows the screen's while it has focus
        assert "sort" in footer_actions(app.screen)
        assert "open" not in footer_actions(app.screen)


async def test_footer_keys_follow_the_ranking_once_loaded(demo_db: Path) -> None:
    """Straight to Customers at start: the focused table is loading (its keys inactive, which
    Textual does not announce), then loaded; the footer must end with the table's keys."""
    app = make_app(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2")
        await settle(pilot, app)
        assert app.screen.query_one("#ranking", FrameTable).row_count == DEMO_CUSTOMERS
        assert footer_actions(app.screen) == shown_actions(app.screen)
        assert "open" not in footer_actions(app.screen)


async def test_ranking_rows_follow_a_theme_change(demo_db: Path) -> None:
    """Rows are kept across style updates that change nothing, and redrawn when one does."""
    app = make_app(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2")
        await settle(pilot, app)
        table = app.screen.query_one("#ranking", FrameTable)
        dark = table_lines(table)
        await pilot.press("1", "2")  # a round trip re-applies the stylesheet
        await settle(pilot, app)
        assert table_lines(table) == dark
        app.theme = "textual-light"
        await settle(pilot, app)
        light = table_lines(table)
        assert light != dark
        table._clear_caches()  # what the table draws with nothing cached
        assert table_lines(table) == light


async def test_a_screen_shown_again_is_restyled_only_after_the_app_changed(demo_db: Path) -> None:
    """A switch back skips re-applying the stylesheet while nothing it depends on moved (half
    of a switch at 1 M), and still re-applies it after a theme change made while hidden."""
    app = make_app(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2")
        await settle(pilot, app)
        await pilot.press("1")
        await settle(pilot, app)
        restyled: list[object] = []
        update_nodes = app.stylesheet.update_nodes

        def counted(nodes, animate: bool = False) -> None:  # type: ignore[no-untyped-def]
            nodes = list(nodes)
            restyled.extend(nodes)
            update_nodes(nodes, animate=animate)

        app.stylesheet.update_nodes = counted  # type: ignore[method-assign]
        customers = app.get_screen_stack("customers")[0]
        await pilot.press("2")
        await settle(pilot, app)
        assert app.screen is customers
        assert customers not in restyled  # shown as it was styled
        table = customers.query_one("#ranking", FrameTable)
        dark = table_lines(table)
        await pilot.press("1")
        await settle(pilot, app)
        app.theme = "textual-light"  # while Customers is hidden
        await settle(pilot, app)
        await pilot.press("2")
        await settle(pilot, app)
        assert customers in restyled
        light = table_lines(table)
        assert light != dark
        table._clear_caches()
        customers.update_node_styles(animate=False)  # what a full re-style gives
        assert table_lines(table) == light


async def test_a_switch_to_a_built_screen_holds_no_frames(demo_db: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Textual holds the frames 50 ms after a switch (to hide a screen being composed); a
    screen built already is shown at once."""
    holds: list[float] = []
    delay_update = App.delay_update

    def recorded(app: App[None], delay: float = 0.05) -> None:
        holds.append(delay)
        delay_update(app, delay)

    monkeypatch.setattr(App, "delay_update", recorded)
    app = make_app(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("3")  # Segments: built at this first switch
        await settle(pilot, app)
        await pilot.press("1")
        await settle(pilot, app)
    assert holds == [0.05, BUILT_SWITCH_HOLD]
    assert BUILT_SWITCH_HOLD <= 0.005
