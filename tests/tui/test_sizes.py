"""Every screen at 80×24, 100×30 and 200×50: no number cut, the footer's Help and Quit shown.

What a screen holds (its KPI cards, the shown columns of its tables) is read from the widgets
and looked for, whole, in the cells the screen renders: a figure that is cut (``$42,99``) or
pushed off the edge without a marker fails. Plus an SVG snapshot of each screen at each size.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rich.text import Text
from textual.app import App
from textual.containers import ScrollableContainer
from textual.widgets import Label

from clvtui.tui.app import make_app
from clvtui.tui.widgets.fit_table import FitTable
from clvtui.tui.widgets.frame_table import FrameTable
from clvtui.tui.widgets.kpi import KpiCard
from tests.tui.conftest import settle

SIZES = [(80, 24), (100, 30), (200, 50)]
# screen → keys that reach it from the Overview
SCREENS = {
    "overview": [],
    "customers": ["2"],
    "segments": ["3"],
    "budget": ["4"],
    "model": ["5"],
    "tier": ["3", "enter"],
    "customer": ["2", "enter"],
    "actions": ["7"],
    "action-cell": ["7", "enter"],
    "products": ["9"],
    "channels": ["4", "c"],
    "campaigns": ["7", "c"],
    "import": ["6"],
}
NO_FIGURES = {"campaigns", "import"}  # no campaign yet; no file picked yet: words only
MONEY = re.compile(r"-?[$€£¥][\d,]+(?:\.\d+)?[kM]?")


def screen_text(app: App[object]) -> str:
    """The characters on screen, line by line (what the user reads)."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def _plain(cell: object) -> str:
    return cell.plain if isinstance(cell, Text) else str(cell)


def _in_view(widget: object) -> bool:
    """Inside a scrolled-away part of a container: reached by scrolling, not cut."""
    node = getattr(widget, "parent", None)
    region = widget.region  # type: ignore[attr-defined]
    while node is not None:
        if isinstance(node, ScrollableContainer) and not node.region.contains_region(region):
            return False
        node = node.parent
    return bool(region.area)


def figures_shown(app: App[object]) -> list[str]:
    """Every figure the screen means to show now: KPI values and money in their notes, the
    numeric cells of the rows in view of each table's shown columns."""
    screen = app.screen
    figures: list[str] = []
    for card in screen.query(KpiCard):
        if not _in_view(card):
            continue
        value = _plain(card.query_one(".kpi-value", Label).render())
        note = _plain(card.query_one(".kpi-note", Label).render())
        figures += [w for w in value.split() if any(c.isdigit() for c in w)]
        figures += MONEY.findall(note)
    for table in screen.query(FitTable):
        if not _in_view(table):
            continue
        numeric = [c.numeric for c in table.fit_columns]
        shown = table._layout[0] if table._layout else []
        visible = max(0, table.scrollable_content_region.height - 1)  # less the header
        for r in range(min(table.row_count, visible)):
            row = table.get_row_at(r)
            figures += [_plain(c) for c, i in zip(row, shown, strict=True) if numeric[i]]
    for frame_table in screen.query(FrameTable):
        if frame_table.row_count and _in_view(frame_table):
            row = frame_table.backend.get_row_at(0)  # type: ignore[union-attr]
            specs = frame_table.specs
            figures += [_plain(c) for c, s in zip(row, specs, strict=True) if s.numeric]
    return [f.strip() for f in figures if f.strip() and f.strip() != "–"]


async def _visit(app: App[object], pilot, keys: list[str]) -> None:  # type: ignore[no-untyped-def]
    await settle(pilot, app)
    for key in keys:
        await pilot.press(key)
        await settle(pilot, app)


async def _check_at(app: App[object], pilot, name: str, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    await pilot.resize_terminal(*size)
    await pilot.pause(0.05)
    await settle(pilot, app)
    text = screen_text(app)
    footer = text.splitlines()[-1]
    assert "? Help" in footer and "q Quit" in footer, (name, size, footer)
    figures = figures_shown(app)
    assert figures or name in NO_FIGURES, (name, size)
    cut = [f for f in figures if f not in text]
    assert not cut, f"{name} at {size}: cut or hidden without a marker: {cut}\n{text}"


async def test_no_number_is_cut_on_any_screen_at_any_size(demo_db: Path) -> None:
    """One app visits every screen (pushed ones are left with Escape) at the three sizes."""
    app = make_app(demo_db)
    async with app.run_test(size=SIZES[-1]) as pilot:
        await settle(pilot, app)
        for name, keys in SCREENS.items():
            await pilot.resize_terminal(*SIZES[-1])
            await _visit(app, pilot, keys)
            for size in SIZES:
                await _check_at(app, pilot, name, size)
            if name in {"tier", "customer", "action-cell", "channels", "campaigns"}:
                await pilot.press("escape")
                await settle(pilot, app)


async def test_narrow_tables_name_the_columns_they_hide(demo_db: Path) -> None:
    """At 80 columns the ranking keeps Customer and CLV and says what it left out."""
    app = make_app(demo_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await _visit(app, pilot, ["2"])
        table = app.screen.query_one("#ranking", FrameTable)
        keys = [s.key for s in table.specs]
        assert keys[0] == "customer_id" and "clv" in keys
        hidden = len(table.all_specs) - len(table.specs)
        assert hidden > 0
        assert f"+{hidden} cols" in screen_text(app)
        await pilot.resize_terminal(200, 50)
        await settle(pilot, app)
        assert len(table.specs) == len(table.all_specs)
        assert "cols" not in str(table.border_subtitle)


# every screen at every size (issue 15): a 13-inch laptop's terminal, a larger one, a wide one
SNAPSHOTS = [(name, size) for size in SIZES for name in SCREENS]


@pytest.mark.parametrize(
    ("name", "size"), SNAPSHOTS, ids=[f"{n}-{s[0]}x{s[1]}" for n, s in SNAPSHOTS]
)
def test_snapshot(
    snap_compare,
    demo_db: Path,
    name: str,
    size: tuple[int, int],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # type: ignore[no-untyped-def]
    if name == "import":  # its file tree shows the working folder: the same one everywhere
        shop = tmp_path / "shop"
        shop.mkdir()
        (shop / "orders_export.csv").write_text("Name,Email,Created at,Total\n", encoding="utf-8")
        monkeypatch.chdir(shop)

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await _visit(pilot.app, pilot, SCREENS[name])

    assert snap_compare(make_app(demo_db), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("width", [60, 80, 100, 200])
def test_the_navigation_bar_keeps_every_screens_key(width: int) -> None:
    """Titles shrink ("2 Cus…") before a key would fall off the bar; the current screen keeps
    its whole title, and at 200 columns every title is whole."""
    from clvtui.tui.screens.base import nav_labels
    from clvtui.tui.screens.registry import MAIN_SCREENS

    labels = nav_labels("customers", width)
    assert sum(len(label) for label in labels) <= width - 2
    assert [label.split()[0] for label in labels] == [s.key for s in MAIN_SCREENS]
    assert " 2 Customers " in labels
    if width >= 200:
        assert labels == [f" {s.key} {s.title} " for s in MAIN_SCREENS]
    elif width == 80:
        assert " 3 Seg… " in labels


async def test_the_navigation_bar_shows_all_nine_keys_at_80_columns(demo_db: Path) -> None:
    app = make_app(demo_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        nav = screen_text(app).splitlines()[1]
        assert " 1 Overview " in nav and " 9 Pro… " in nav, nav
