"""The help screen: keys and screens generated from the screen table and the bindings.

Written by hand, help drifted from the keys (it said Enter imports where Enter previews and
``i`` imports). Here each screen's keys are read from that screen's own ``BINDINGS``, the
screen list from ``registry``, and only the prose that no binding holds (exports, words)
stays in ``help.md``.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable
from importlib.resources import files
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.keys import format_key
from textual.screen import ModalScreen
from textual.widgets import Markdown
from textual.worker import Worker

from clvtui.tui.screens.registry import DRILL_DOWNS, MAIN_SCREENS, ScreenSpec

#: Keys whose character Textual's ``format_key`` would show as a symbol or abbreviation.
_KEY_WORDS = {"enter": "Enter", "escape": "Escape", "tab": "Tab", "f1": "F1"}


def key_word(key: str) -> str:
    """How a key reads in help: ``slash`` → ``/``, ``enter`` → ``Enter``, ``ctrl+s`` as is."""
    return _KEY_WORDS.get(key) or format_key(key)


def shown_bindings(bindings: Iterable[BindingType]) -> list[Binding]:
    """The bindings worth listing, one per key (hidden ones, such as Escape leaving a text
    box, are described once for the whole app)."""
    return [b for b in Binding.make_bindings(bindings) if b.show]


def what_it_does(binding: Binding) -> str:
    """The footer's word, with the tooltip when it says more: "Preview — dry run: …"."""
    words, tip = binding.description, binding.tooltip
    if not tip:
        return words
    if tip.lower().startswith(words.lower()):
        return tip
    return f"{words} — {tip[0].lower()}{tip[1:]}"


def keys_by_action(bindings: Iterable[BindingType]) -> list[tuple[list[str], str]]:
    """(keys, what they do) with the keys of one action together: ``?`` / ``F1``."""
    grouped: dict[str, tuple[list[str], str]] = {}
    for b in shown_bindings(bindings):
        keys, _ = grouped.setdefault(b.action, ([], what_it_does(b)))
        keys.append(key_word(b.key))
    return list(grouped.values())


def _keys_line(bindings: Iterable[BindingType]) -> str:
    parts = [
        " / ".join(f"`{k}`" for k in keys) + f" {does}" for keys, does in keys_by_action(bindings)
    ]
    return " · ".join(parts)


def _screen_section(spec: ScreenSpec) -> str:
    where = f" (`{spec.key}`)" if spec.key else ""
    keys = _keys_line(getattr(spec.screen_class(), "BINDINGS", []))
    text = f"**{spec.title}**{where} — {spec.about}"
    return text + (f"\n\nKeys: {keys}" if keys else "")


def help_markdown(app_bindings: Iterable[BindingType]) -> str:
    """The whole help text: keys everywhere, one section per screen, ``help.md``, the glossary."""
    rows = ["| Key | Does |", "| --- | --- |"]
    rows += [f"| `{s.key}` | {s.title} — {s.summary} |" for s in MAIN_SCREENS]
    others = [b for b in Binding.make_bindings(app_bindings) if "switch_mode" not in b.action]
    for keys, does in keys_by_action(others):
        rows.append(f"| {' / '.join(f'`{k}`' for k in keys)} | {does} |")
    rows.append("| `ctrl+p` | Command palette: screens, fit, export, import, theme, customers |")
    rows.append("| `Escape` | Leave a text box, or go back from a drill-down |")
    bundled = files("clvtui.tui")
    notes = bundled.joinpath("help.md").read_text(encoding="utf-8")
    # the glossary is the README's, word for word (tests/test_readme.py keeps them equal)
    glossary = bundled.joinpath("glossary.md").read_text(encoding="utf-8")
    sections = [_screen_section(s) for s in (*MAIN_SCREENS, *DRILL_DOWNS)]
    return "\n\n".join(
        [
            "# clvtui — keys",
            "\n".join(rows),
            "The number keys work whenever no text box has focus; press `Escape` to leave one.",
            "## Screens",
            *sections,
            notes.strip(),
            glossary.strip(),
        ]
    )


#: Where the help may be cut: between two top-level blocks (not inside a list or a table).
_BLOCK = re.compile(r"\n\n(?=[^\s-])")
#: The most text added in one step: the longest step holds the UI thread about 100 ms.
_PART_CHARS = 1_500


def help_parts(text: str) -> list[str]:
    """``text`` in parts to show one after another; ``"".join`` of them gives ``text`` back.

    Markdown mounts a widget per heading, paragraph, list item and table cell: the whole help
    is about 480 widgets and held the UI thread 1 s before its first frame. The first part
    is the keys (up to the first ``##`` section); later parts are whole blocks, a new part
    at each ``##`` or when one would pass ``_PART_CHARS``.
    """
    cuts = [m.start() for m in _BLOCK.finditer(text)]
    blocks = [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True)]
    parts = [blocks[0]]
    for block in blocks[1:]:
        if block.startswith("\n\n## ") or len(parts[-1]) + len(block) > _PART_CHARS:
            parts.append(block)
        else:
            parts[-1] += block
    return parts


class HelpScreen(ModalScreen[None]):
    """Keys and screens (generated; see the module docstring). Textual's own
    ``action_dismiss`` closes it. The app keeps one instance (``ClvApp.action_help``), so
    only the first ``?`` builds it; that build paints the keys first and adds each later
    section after a frame, so Escape and scrolling answer while the glossary fills in."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark,f1", "dismiss", "Close", id="help-close"),
    ]

    def __init__(self) -> None:
        super().__init__()
        #: the worker adding the sections; ``await screen.filling.wait()`` for the whole help
        self.filling: Worker[None] | None = None
        self._styled_for: tuple[object, ...] | None = None

    def update_node_styles(self, animate: bool = True) -> None:
        """Restyle the help's ~480 widgets only when something they are styled by changed.

        Textual restyles a screen's every widget each time it is pushed again (200 ms of the
        UI thread for the help, most of a later ``?``), in case the theme or the classes
        changed while it was away; here only if they did.
        """
        app = self.app
        stamp = (
            app.theme,
            app.ansi_color,
            frozenset(app.classes),
            frozenset(app.pseudo_classes),
            frozenset(self.classes),
            frozenset(self.pseudo_classes),
        )
        if self.is_attached:
            if stamp == self._styled_for:
                return
            self._styled_for = stamp
        super().update_node_styles(animate)

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-body"):
            yield Markdown()

    def on_mount(self) -> None:
        app: Any = self.app
        parts = help_parts(help_markdown(type(app).BINDINGS))
        self.filling = self.run_worker(self._fill(parts), name="help", exclusive=True)

    async def _fill(self, parts: list[str]) -> None:
        markdown = self.query_one(Markdown)
        await markdown.update(parts[0])
        for part in parts[1:]:
            await self._next_frame()
            await markdown.append(part)

    async def _next_frame(self) -> None:
        """Return once the screen has been painted (what is mounted so far is on view)."""
        painted: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def done() -> None:
            if not painted.done():  # not if the worker was cancelled (the app closing)
                painted.set_result(None)

        self.call_after_refresh(done)
        await painted
