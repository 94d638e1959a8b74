"""The Model screen's seasonality: one sentence always, a chart of the pattern only when the fit
ran in seasonal time (``report["seasonality"]``, written by ``model.seasonal_choice``)."""

from __future__ import annotations

from typing import Any

from clvtui.tui.widgets.chart import Chart, Line, lines

MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun",
          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]  # fmt: skip


class SeasonalityChart(Chart):
    """Purchase intensity by month of year (1 = a typical month) with its 90 % interval."""

    DEFAULT_CSS = """
    SeasonalityChart { height: 12; min-height: 8; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            "Seasonality: purchases by month, × a typical month (outer lines: 90 % interval)",
            empty="The forecast assumes purchases run at the same pace all year.",
            **kwargs,
        )

    def on_mount(self) -> None:
        super().on_mount()
        self.display = False  # until a run that used seasonality is shown

    def show_pattern(self, doc: dict[str, Any] | None) -> None:
        """Draw the pattern when it was used; otherwise hide (the sentence says why)."""
        pattern = (doc or {}).get("pattern") if (doc or {}).get("used") else None
        self.display = bool(pattern)
        if not pattern:
            self.plot(None)
            return
        interval = doc.get("interval") or {}  # type: ignore[union-attr]
        months = [float(i) for i in range(1, len(pattern) + 1)]
        labels = (doc or {}).get("labels") or MONTHS
        series = [pattern, interval.get("low"), interval.get("high")]
        # no legend: its box would hide January (the title says which line is which)
        shown = [Line(months, [float(v) for v in values]) for values in series if values]
        self.plot(lines(*shown, x_ticks=(months, labels)))


def seasonality_sentence(doc: dict[str, Any] | None) -> str:
    """What the forecast assumes about the seasons, in the fit's own words, from the report's
    ``seasonality`` block ("" for runs made before seasonality existed)."""
    if not doc or not doc.get("reason"):
        return ""
    reason = str(doc["reason"])
    return "Seasons: " + reason[0].upper() + reason[1:] + "."
