"""The Actions screen (7): the grid counts what ``clvtui actions`` counts, a cell opens its
customers, and ``e`` writes the list ``clvtui export --action`` writes for them."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from clvtui.cli import app as cli
from clvtui.tui.app import make_app
from clvtui.tui.screens.actions import ActionCellScreen, ActionsScreen
from clvtui.tui.widgets.fit_table import FitTable
from clvtui.tui.widgets.frame_table import FrameTable
from tests.tui.conftest import DEMO_CUSTOMERS, SIZE, settle


def as_int(cell: object) -> int:
    return int(str(cell).replace(",", ""))


def cli_actions(db: Path) -> dict:
    result = CliRunner().invoke(cli, ["actions", "--json", "--db", str(db)])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


async def test_grid_and_cells_show_the_clis_customers(demo_db: Path) -> None:
    doc = cli_actions(demo_db)
    app = make_app(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("7")
        await settle(pilot, app)
        screen = app.screen
        assert isinstance(screen, ActionsScreen)
        table = screen.query_one("#actions-table", FitTable)
        assert table.row_count == len(doc["cells"]) == 10
        shown = [as_int(table.get_row_at(r)[3]) for r in range(table.row_count)]
        assert shown == [c["customers"] for c in doc["cells"]]
        assert sum(shown) == DEMO_CUSTOMERS
        actions = [str(table.get_row_at(r)[2]) for r in range(table.row_count)]
        assert actions == [c["action"] for c in doc["cells"]]
        # the largest cell opens with its customers, each with their max spend
        biggest = max(range(len(shown)), key=shown.__getitem__)
        for _ in range(biggest):
            await pilot.press("down")
        await pilot.press("enter")
        await settle(pilot, app)
        cell = app.screen
        assert isinstance(cell, ActionCellScreen)
        rows = cell.query_one("#cell-customers", FrameTable)
        assert rows.row_count == shown[biggest]
        want = doc["cells"][biggest]
        assert cell.customers["max_spend"].sum() == pytest.approx(want["max_spend_total"])
        assert set(cell.customers["action"].unique()) == {want["action"]}
        await pilot.press("escape")
        await settle(pilot, app)
        assert isinstance(app.screen, ActionsScreen)


async def test_e_exports_the_cells_list_with_its_action_columns(demo_copy: Path) -> None:
    doc = cli_actions(demo_copy)
    cells = doc["cells"]
    index = max(range(len(cells)), key=lambda i: cells[i]["customers"])
    action = cells[index]["action"]
    app = make_app(demo_copy)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("7")
        await settle(pilot, app)
        for _ in range(index):
            await pilot.press("down")
        await pilot.press("e")
        await settle(pilot, app)
    path = demo_copy.parent / "exports" / f"action-{action}-{date.today().isoformat()}.csv"
    frame = pl.read_csv(path)
    assert frame.height == cells[index]["customers"]
    assert set(frame["action"].unique()) == {action}
    assert frame["max_spend"].sum() == pytest.approx(
        cells[index]["max_spend_total"], abs=0.005 * frame.height
    )
    assert {"contact_on", "email", "clv"} <= set(frame.columns)


async def test_f_in_a_cell_exports_its_list_in_a_tools_columns(demo_copy: Path) -> None:
    """``f`` then Enter on the first tool (Klaviyo) writes the cell's customers in Klaviyo's
    import columns: the cell's customers, among those ``export --action NAME --for klaviyo``
    writes (an action can span several cells)."""
    doc = cli_actions(demo_copy)
    cells = doc["cells"]
    index = max(range(len(cells)), key=lambda i: cells[i]["customers"])
    action = cells[index]["action"]
    app = make_app(demo_copy)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("7")
        await settle(pilot, app)
        for _ in range(index):
            await pilot.press("down")
        await pilot.press("enter")
        await settle(pilot, app)
        assert isinstance(app.screen, ActionCellScreen)
        await pilot.press("f")
        await settle(pilot, app)
        await pilot.press("enter")
        await settle(pilot, app)
    day = date.today().isoformat()
    path = demo_copy.parent / "exports" / f"action-{action}-klaviyo-{day}.csv"
    assert path.read_text().splitlines()[0].startswith("Email,First Name,Last Name,")
    cli_file = demo_copy.parent / "cli-klaviyo.csv"
    result = CliRunner().invoke(
        cli, ["export", "--action", action, "--for", "klaviyo", "-o", str(cli_file),
              "--db", str(demo_copy)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    written = pl.read_csv(path)
    assert written.height == cells[index]["customers"]
    assert set(written["Email"]) <= set(pl.read_csv(cli_file)["Email"])
