"""A KPI card: a label, a big value and a note (the interval, the basis...).

The note wraps instead of being cut (four cards share 80 columns on a laptop terminal), and
the card grows to hold it: the row of cards is as tall as its tallest card.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Label


class KpiCard(Vertical):
    """Shows one headline number; ``set`` replaces its value and note."""

    DEFAULT_CSS = """
    KpiCard {
        height: auto;
        min-height: 3;
        width: 1fr;
        border-left: tall $panel-lighten-2;  /* no box: cards of a row may differ in height */
        margin: 0 1 1 0;
        padding: 0 1;
        & > Label { width: 1fr; }
        & > .kpi-label { color: $text-muted; }
        & > .kpi-value { text-style: bold; color: $primary; }
        & > .kpi-note { color: $text-muted; }
    }
    """

    def __init__(self, label: str, value: str = "–", note: str = "", **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._label, self._value, self._note = label, value, note

    def compose(self) -> ComposeResult:
        yield Label(self._label, classes="kpi-label")
        yield Label(self._value, classes="kpi-value")
        yield Label(self._note, classes="kpi-note")

    def set(self, value: str, note: str = "") -> None:
        self._value, self._note = value, note
        if self.is_mounted:
            self.query_one(".kpi-value", Label).update(value)
            self.query_one(".kpi-note", Label).update(note)
