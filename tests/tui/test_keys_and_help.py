"""Keys a shop owner reads and presses: the Budget form takes typed numbers, help names only
keys that exist on the screen it describes, and one table drives modes, keys, nav and palette."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from textual.binding import Binding
from textual.widgets import DataTable, Input, Markdown

from clvtui.tui.app import ClvApp, HelpScreen, make_app
from clvtui.tui.help import help_markdown, key_word
from clvtui.tui.screens.customer_detail import CustomerScreen
from clvtui.tui.screens.registry import DRILL_DOWNS, MAIN_SCREENS, ScreenSpec
from clvtui.tui.screens.tier import TierScreen
from tests.tui.conftest import SIZE, settle

BUDGET_FORM = [
    "in-budget",
    "in-acquisition_cost",
    "in-ltv_cac_ratio",
    "in-winback_response_rate",
    "in-winback_cost_per_contact",
    "in-acquisition_saturation",
]


def _money(cell: object) -> float:
    return float(re.sub(r"[^0-9.\-]", "", str(cell)))


async def test_typing_12000_on_budget_goes_into_total_budget(demo_db: Path) -> None:
    app = make_app(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("4")
        await settle(pilot, app)
        screen = app.screen
        assert screen.plan.total == 5000  # the default, before typing
        await pilot.press("t", *"12000")
        await settle(pilot, app)
        assert app.current_mode == "budget"
        assert screen is app.screen
        box = screen.query_one("#in-budget", Input)
        assert box.value == "12000"
        plan = screen.plan
        assert plan.total == 12000
        assert plan.spent + plan.unallocated == pytest.approx(12000, abs=0.01)
        # the split on screen is this plan: its Spend column (whole units) adds up to its spend
        table = screen.query_one("#allocation-table", DataTable)
        shown = sum(_money(table.get_row_at(i)[1]) for i in range(table.row_count))
        assert table.row_count == len(plan.allocations) > 0
        assert shown == pytest.approx(plan.spent, abs=0.5 * table.row_count)  # whole units
        # Escape leaves the box; the number keys switch screens again
        await pilot.press("escape", "5")
        await pilot.pause()
        assert app.current_mode == "model"


async def test_budget_tab_order_follows_the_form(demo_db: Path) -> None:
    app = make_app(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("4")
        await settle(pilot, app)
        assert not isinstance(app.focused, Input)  # number keys keep switching on arrival
        visited = []
        for _ in BUDGET_FORM:
            await pilot.press("tab")
            await pilot.pause()
            assert app.focused is not None
            visited.append(app.focused.id)
        assert visited == BUDGET_FORM
        await pilot.press(*"250")  # digits in a box are text, never a screen key
        await pilot.pause()
        assert app.current_mode == "budget"
        assert app.screen.query_one("#in-acquisition_saturation", Input).value.endswith("250")


def _sections(markdown: str) -> dict[str, str]:
    """Help text per screen title (a section starts with ``**Title**``)."""
    found = re.split(r"^\*\*(\w+)\*\*", markdown, flags=re.M)
    return {found[i]: found[i + 1].split("\n## ")[0] for i in range(1, len(found) - 1, 2)}


def _named_keys(section: str) -> set[str]:
    """Keys named after "Keys:" in a section, and the screen's own number key."""
    keys = set(re.findall(r"`([^`]+)`", section.split("Keys:")[-1] if "Keys:" in section else ""))
    return keys | set(re.findall(r"^ \(`([^`]+)`\)", section))


def _active_keys(app: ClvApp) -> dict[str, str]:
    """What each key does on the current screen right now: key as help writes it → action."""
    return {
        key_word(key): active.binding.action for key, active in app.screen.active_bindings.items()
    }


async def _check_section(app: ClvApp, title: str, sections: dict[str, str]) -> None:
    named = _named_keys(sections[title])
    active = _active_keys(app)
    assert named, title
    missing = named - set(active)
    assert not missing, f"help for {title} names keys with no binding there: {missing}"
    # and says what the binding does: the screen's own keys by their footer word
    for binding in getattr(type(app.screen), "BINDINGS", []):
        if getattr(binding, "show", True) and key_word(binding.key) in named:
            assert binding.description in sections[title], (title, binding.key)


async def test_every_key_named_in_help_is_a_binding_of_that_screen(demo_db: Path) -> None:
    app = make_app(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        assert app.screen.filling is not None
        await app.screen.filling.wait()  # the help is shown a section at a time
        shown = app.screen.query_one(Markdown).source
        assert shown == help_markdown(ClvApp.BINDINGS)
        sections = _sections(shown)
        assert set(sections) == {s.title for s in (*MAIN_SCREENS, *DRILL_DOWNS)}
        await pilot.press("escape")
        for spec in MAIN_SCREENS:
            await pilot.press(spec.key or "")
            await settle(pilot, app)
            assert app.current_mode == spec.mode
            await _check_section(app, spec.title, sections)
        # Import: Enter previews (in the path box or the tree), `i` imports
        assert "`i` Import" in sections["Import"]
        assert "Enter` Import" not in sections["Import"]
        await pilot.press("3")
        await settle(pilot, app)
        await pilot.press("enter")
        await settle(pilot, app)
        assert isinstance(app.screen, TierScreen)
        await _check_section(app, "Tier", sections)
        await pilot.press("escape", "2")
        await settle(pilot, app)
        await pilot.press("enter")
        await settle(pilot, app)
        assert isinstance(app.screen, CustomerScreen)
        await _check_section(app, "Customer", sections)


async def test_the_screen_table_drives_modes_keys_nav_and_palette(demo_db: Path) -> None:
    from clvtui.tui.commands import ClvCommands

    modes = [s.mode for s in MAIN_SCREENS]
    assert list(ClvApp.MODES) == modes
    keys = {b.key: b.action for b in ClvApp.BINDINGS if hasattr(b, "action")}
    assert {s.key: f"switch_mode('{s.mode}')" for s in MAIN_SCREENS}.items() <= keys.items()
    app = make_app(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        nav = str(app.screen.query_one(".navbar").render())
        assert nav.split() == [w for s in MAIN_SCREENS for w in (s.key, s.title)]
        provider = ClvCommands(app.screen)
        titles = [title for title, _help, _call in provider._actions()]
        assert titles[: len(modes)] == [f"Go to {s.title}" for s in MAIN_SCREENS]


async def test_every_screen_says_no_fit_yet_in_one_wording(tmp_path: Path) -> None:
    """Orders imported, nothing fitted: each screen of a run shows the one empty state."""
    from typer.testing import CliRunner

    from clvtui.cli import app as cli
    from clvtui.tui.screens.base import no_fit_yet

    db = tmp_path / "shop.db"
    shop = Path(__file__).parents[2] / "fixtures" / "shopify_orders.csv"
    imported = CliRunner().invoke(cli, ["import", str(shop), "--db", str(db)])
    assert imported.exit_code == 0, imported.output
    where = {
        "customers": "#customers-count",
        "segments": "#segments-note",
        "budget": "#budget-notes",
        "model": "#model-verdict",
    }
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        assert "press 5, then f" in str(app.screen.query_one("#kpi-equity .kpi-note").render())
        for mode, selector in where.items():
            await pilot.press(next(s.key or "" for s in MAIN_SCREENS if s.mode == mode))
            await settle(pilot, app)
            shown = str(app.screen.query_one(selector).render())
            assert no_fit_yet(mode) in shown, (mode, shown)
        await pilot.press("3", "enter")  # no tiers to open without a fit
        await settle(pilot, app)
        assert not isinstance(app.screen, TierScreen)
        app.push_screen(TierScreen("Profitable"))
        await settle(pilot, app)
        assert no_fit_yet() in str(app.screen.query_one("#tier-title").render())
    assert no_fit_yet() == "No fit yet: press 5, then f to fit the model."
    assert no_fit_yet("model") == "No fit yet: press f to fit the model."


def test_the_readme_screen_table_matches_the_screen_table() -> None:
    """The user guide's key table (README or docs/) cannot be generated: it is checked. Each
    row's number key and title are the registry's, and the single keys it names are keys of
    that screen (or of the app)."""
    root = Path(__file__).parents[2]
    guides = [root / "README.md", *sorted((root / "docs").glob("**/*.md"))]
    rows = [
        match.groups()
        for guide in guides
        if guide.exists()
        for match in re.finditer(r"^\| `(\d)` \| (\w+) \|(.*)\|$", guide.read_text(), re.M)
    ]
    assert rows, "no '| `1` | Overview | ...' table of screens in README.md or docs/"
    by_key = {s.key: s for s in MAIN_SCREENS}

    def keys(*specs: ScreenSpec) -> set[str]:
        bindings = [b for s in specs for b in s.screen_class().BINDINGS]
        return {key_word(b.key) for b in Binding.make_bindings(bindings)}

    # a row may name the keys of the drill-downs it opens (Tier's `[` `]`)
    elsewhere = {key_word(b.key) for b in Binding.make_bindings(ClvApp.BINDINGS)}
    elsewhere |= keys(*DRILL_DOWNS) | {"Tab"}
    for key, title, text in rows:
        spec = by_key[key]
        assert title == spec.title, (key, title)
        for named in re.findall(r"`([^`]{1,6})`", text):
            if named.startswith(("ctrl", "Enter", "Esc", "Tab")) or len(named) == 1:
                assert named in keys(spec) | elsewhere, (title, named)
