"""The Cohorts screen (8): the heat-map shows the cohorts of ``clvtui cohorts`` with expected
cells marked, the Plan panel agrees with ``clvtui plan``, and digits typed into the goal box stay
there (they never switch screens)."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.table import Table
from rich.text import Text
from textual.widgets import Input, Static

from clvtui.tui.app import make_app
from tests.tui.conftest import settle

SIZES = [(80, 24), (100, 30), (200, 50)]


def _text(app) -> str:  # type: ignore[no-untyped-def]
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


async def test_the_heat_map_marks_expected_cells_and_has_focus(demo_db: Path) -> None:
    from clvtui.services.cohorts import cohort_value
    from clvtui.store import open_db

    want = cohort_value(open_db(demo_db, readonly=True)).table
    app = make_app(demo_db)
    async with app.run_test(size=(200, 50)) as pilot:
        await pilot.press("8")
        await settle(pilot, app)
        assert app.current_mode == "cohorts"
        assert app.focused is not None and app.focused.id == "cohort-map"
        heat = app.screen.query_one("#cohort-heat", Static).content
        assert isinstance(heat, Table)
        labels = list(heat.columns[0].cells)
        assert labels == want.rows["label"].to_list()
        cells = [c for col in heat.columns[5:] for c in col.cells if isinstance(c, Text)]
        expected = [c for c in cells if c.plain.startswith("~")]
        actual = [c for c in cells if c.plain and not c.plain.startswith("~")]
        assert expected and actual
        assert all(c.style.italic for c in expected)  # type: ignore[union-attr]
        assert not any(c.style.italic for c in actual)  # type: ignore[union-attr]
        assert want.rows["label"][0] in _text(app)


async def test_typing_a_goal_replans_and_digits_stay_in_the_box(demo_db: Path) -> None:
    from clvtui.services.plan import load_basis, plan
    from clvtui.store import open_db

    doc = plan(load_basis(open_db(demo_db, readonly=True)), 200_000.0, 6).to_json()
    app = make_app(demo_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("8")
        await settle(pilot, app)
        await pilot.press("g", "2", "0", "0", "0", "0", "0")
        months = app.screen.query_one("#in-months", Input)
        months.value = "6"
        await settle(pilot, app)
        assert app.current_mode == "cohorts"
        assert app.screen.query_one("#in-goal", Input).value == "200000"
        shown = str(app.screen.query_one("#plan-result", Static).content)
        assert f"~{doc['new_customers_needed']:,.0f} new customers" in shown
        assert doc["verdict"] in shown
        await pilot.press("escape", "1")
        await settle(pilot, app)
        assert app.current_mode == "overview"


async def test_a_goal_that_is_not_a_number_says_so(demo_db: Path) -> None:
    app = make_app(demo_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("8")
        await settle(pilot, app)
        await pilot.press("g", "x")
        await settle(pilot, app)
        shown = str(app.screen.query_one("#plan-result", Static).content)
        assert "must be numbers" in shown and app.current_mode == "cohorts"


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_snapshot(snap_compare, demo_db: Path, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot, pilot.app)
        await pilot.press("8")
        await settle(pilot, pilot.app)

    assert snap_compare(make_app(demo_db), terminal_size=size, run_before=run_before)
