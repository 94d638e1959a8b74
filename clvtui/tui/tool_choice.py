"""The question ``f`` (export for a marketing tool) asks: which tool's import columns.

The tools and their documented columns live in ``insights.tool_exports``; this is only the
choice, one key per tool, so the list reaches Klaviyo or Mailchimp without a spreadsheet step.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option


class ToolChoiceScreen(ModalScreen[str | None]):
    """Pick a marketing tool (Enter) or cancel (Escape): dismisses with its name or None."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def compose(self) -> ComposeResult:
        from clvtui.insights.tool_exports import TOOLS

        with Vertical(id="replace-box"):
            yield Static("Export this list in the import columns of:")
            yield OptionList(*[Option(name, id=name) for name in TOOLS], id="tool-choice")
            yield Static("Enter choose · Esc cancel", id="replace-keys")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
