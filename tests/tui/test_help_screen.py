"""The help screen: built once and kept, shown a section at a time, restyled when the theme
changed while it was away, and its parts put together give the whole help back."""

from __future__ import annotations

from pathlib import Path

from markdown_it import MarkdownIt
from textual.widgets import Markdown

from clvtui.tui.app import ClvApp, HelpScreen, make_app
from clvtui.tui.help import help_markdown, help_parts
from tests.tui.conftest import SIZE


def _top_level_blocks(text: str) -> list[str]:
    """The document's top-level block kinds, in order (a list cut in two would add one)."""
    tokens = MarkdownIt("gfm-like").parse(text)
    return [t.type for t in tokens if t.level == 0 and t.nesting == 1]


def test_help_parts_give_the_whole_help_back_and_cut_between_blocks() -> None:
    text = help_markdown(ClvApp.BINDINGS)
    parts = help_parts(text)
    assert "".join(parts) == text
    assert len(parts) >= 10
    # the first frame waits for the keys only: the heading, the table and one sentence
    assert _top_level_blocks(parts[0]) == ["heading_open", "table_open", "paragraph_open"]
    assert "## Screens" not in parts[0]
    # each part is whole blocks: parsed apart they make the same blocks as the whole
    apart = [kind for part in parts for kind in _top_level_blocks(part)]
    assert apart == _top_level_blocks(text)
    assert max(len(p) for p in parts) < 3_500  # no part is most of the help


async def test_second_open_reuses_the_help_with_all_of_it(tmp_path: Path) -> None:
    app = make_app(tmp_path / "empty.db")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        first = app.screen
        assert isinstance(first, HelpScreen) and first.filling is not None
        # Escape while the glossary is still being added: closes; the filling goes on
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)
        await pilot.press("f1")
        await pilot.pause()
        assert app.screen is first
        await first.filling.wait()
        markdown = first.query_one(Markdown)
        assert markdown.source == help_markdown(ClvApp.BINDINGS)
        headings = [str(h._content) for h in first.query("MarkdownHeader")]
        assert headings[0] == "clvtui — keys"
        assert headings[-1] == "What customers cost (cost to serve, channels)"
        assert len(headings) == markdown.source.count("\n#") + 1
        await pilot.press("escape", "question_mark")
        await pilot.pause()
        assert app.screen is first
        assert len(first.query("MarkdownHeader")) == len(headings)  # nothing added twice


async def test_theme_changed_while_help_away_restyles_it(tmp_path: Path) -> None:
    app = make_app(tmp_path / "empty.db")
    async with app.run_test(size=SIZE) as pilot:
        app.theme = "textual-dark"
        await pilot.press("question_mark")
        await pilot.pause()
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen) and help_screen.filling is not None
        await help_screen.filling.wait()
        heading = help_screen.query_one("MarkdownH1")
        dark = heading.styles.color
        await pilot.press("escape")
        await pilot.pause()
        app.theme = "textual-light"
        await pilot.pause()
        await pilot.press("question_mark")
        await pilot.pause()
        assert app.screen is help_screen
        light = heading.styles.color
        assert light != dark
        # as a help built under the light theme has it
        fresh = make_app(tmp_path / "empty.db")
        async with fresh.run_test(size=SIZE) as fresh_pilot:
            fresh.theme = "textual-light"
            await fresh_pilot.press("question_mark")
            await fresh_pilot.pause()
            assert fresh.screen.query_one("MarkdownH1").styles.color == light
