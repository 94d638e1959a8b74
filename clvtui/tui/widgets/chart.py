"""A plotext chart drawn into a Static: follows the theme and is rebuilt on resize.

plotext 6 keeps one global figure (``plotext.figure``), so charts are built on the UI thread
(they are small) and each build starts from ``figure.clear()``. Callers hand over a
``draw(figure, colors, width, height)`` function instead of text, so the chart can redraw
itself at any size or theme.

Importing plotext takes ~0.9 s (it builds its own documentation at import), so it is imported
once on a worker thread: a chart asked to draw before that shows its title and fills in when
the import is done, and the rest of the screen paints without waiting for it.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual.app import App
from textual.color import Color
from textual.message import Message
from textual.widgets import Static

RGB = tuple[int, int, int]


@dataclass(frozen=True)
class ChartColors:
    """Theme colours as RGB tuples (plotext takes them directly)."""

    primary: RGB
    secondary: RGB
    accent: RGB
    warning: RGB
    error: RGB
    success: RGB
    foreground: RGB
    muted: RGB


Draw = Callable[[Any, ChartColors, int, int], None]  # draw(figure, colors, width, height)


@dataclass(frozen=True)
class Line:
    """One series of a line chart; ``label`` names it in the legend (None: no legend)."""

    xs: Sequence[float]
    ys: Sequence[float]
    label: str | None = None


@dataclass(frozen=True)
class Axis:
    """How an axis reads: ``kind`` is ``whole`` (fit numbers, weeks), ``money``, ``pct`` (a
    0–1 share), ``pct100`` (already in percent) or ``number``; ``labels`` names whole
    positions instead (``{3: "Jun 30"}``: dates of fits)."""

    kind: str = "number"
    currency: str | None = None
    labels: dict[float, str] | None = None


def axis_ticks(values: Sequence[float], axis: Axis, most: int) -> tuple[list[float], list[str]]:
    """Tick positions and labels for ``values`` on ``axis`` (at most ``most`` ticks)."""
    from clvtui.tui.widgets.fmt import nice_ticks, tick_labels

    finite = [float(v) for v in values if v == v]
    if not finite:
        return [], []
    if axis.labels:
        picked = sorted(axis.labels)
        step = max(1, -(-len(picked) // max(most, 1)))
        picked = picked[::step]
        return picked, [axis.labels[p] for p in picked]
    whole = axis.kind in {"whole"}
    ticks = nice_ticks(min(finite), max(finite), most, whole=whole)
    return ticks, tick_labels(ticks, axis.kind, axis.currency)


def lines(
    *series: Line,
    x_label: str | None = None,
    y_lim: tuple[float, float] | None = None,
    x_axis: Axis | None = None,
    y_axis: Axis | None = None,
    x_ticks: tuple[Sequence[float], Sequence[str]] | None = None,
) -> Draw | None:
    """What ``Chart.plot`` draws for these line series (None: no point to draw, so the chart
    shows its empty message). Every line chart of the app is drawn here.

    The legend is not drawn inside the plot (its box covered the curves on small terminals):
    the chart writes it on a line of its own above the plot, in the series' colours
    (``Draw.legend``).
    """
    shown = [line for line in series if len(line.xs)]
    if not shown:
        return None

    def draw(fig: Any, colors: ChartColors, width: int, height: int) -> None:
        for line in shown:
            plotted = fig.signal(line.xs, line.ys)
            plotted.lines(True)
            fig.draw(plotted)
        if x_label:
            fig.label(x_label, axis="x")
        if y_lim is not None:
            fig.ruler("y").lim(*y_lim)
        xs = [x for line in shown for x in line.xs]
        ys = [y for line in shown for y in line.ys] + (list(y_lim) if y_lim else [])
        if x_ticks is not None:
            fig.ruler("x").ticks(*x_ticks)
        elif x_axis is not None:
            fig.ruler("x").ticks(*axis_ticks(xs, x_axis, max(3, width // 10)))
        if y_axis is not None:
            fig.ruler("y").ticks(*axis_ticks(ys, y_axis, max(3, height // 3)))

    draw.legend = [line.label for line in shown]  # type: ignore[attr-defined]
    return draw


_PLOTEXT_READY = threading.Event()
_PLOTEXT_LOCK = threading.Lock()
_WAITING: weakref.WeakSet[Chart] = weakref.WeakSet()
_LOADING_IN: weakref.WeakSet[App[Any]] = weakref.WeakSet()  # apps that started the import


def _plotext_ready(app: App[Any]) -> bool:
    """True once plotext is imported; otherwise start importing it (once) on a worker."""
    if _PLOTEXT_READY.is_set():
        return True
    with _PLOTEXT_LOCK:
        if app not in _LOADING_IN:  # once per app: a worker ends with its app
            _LOADING_IN.add(app)
            app.run_worker(_import_plotext, thread=True, name="load charts", group="charts")
    return False


def _import_plotext() -> None:
    import plotext  # noqa: F401  (the slow part; the module is cached for every later use)

    _PLOTEXT_READY.set()
    for chart in list(_WAITING):
        chart.post_message(Chart.Ready())  # thread-safe; each chart redraws on its own thread


class Chart(Static):
    """``plot(draw)`` sets what to draw; it is redrawn on resize and theme change."""

    class Ready(Message):
        """plotext has been imported: draw what was asked for meanwhile."""

    DEFAULT_CSS = """
    Chart { height: 1fr; min-height: 6; border: round $panel-lighten-2; }
    """

    def __init__(self, title: str = "", *, empty: str = "No data yet.", **kwargs: Any) -> None:
        super().__init__(empty, **kwargs)
        self.border_title = title
        self._draw: Draw | None = None
        self._empty = empty
        self._last_size: tuple[int, int] | None = None

    def on_mount(self) -> None:
        self.watch(self.app, "theme", lambda _theme: self.redraw(), init=False)

    def on_chart_ready(self, event: Ready) -> None:
        event.stop()
        _WAITING.discard(self)
        if self.is_mounted:
            self.redraw()

    def plot(self, draw: Draw | None) -> None:
        """Show ``draw`` (None → the empty message)."""
        self._draw = draw
        self.redraw()

    def on_resize(self) -> None:
        size = (self.content_size.width, self.content_size.height)
        if size != self._last_size:
            self.redraw()

    def colors(self) -> ChartColors:
        variables = self.app.theme_variables

        def rgb(name: str, fallback: str) -> RGB:
            color = Color.parse(variables.get(name, fallback))
            return (color.r, color.g, color.b)

        return ChartColors(
            primary=rgb("primary", "#0178D4"),
            secondary=rgb("secondary", "#004578"),
            accent=rgb("accent", "#ffa62b"),
            warning=rgb("warning", "#ffa62b"),
            error=rgb("error", "#ba3c5b"),
            success=rgb("success", "#4EBF71"),
            foreground=rgb("foreground", "#e0e0e0"),
            muted=rgb("foreground-muted", "#808080"),
        )

    def _redraw_if_sized(self) -> None:
        if self._last_size is None and self.content_size.width and self.content_size.height:
            self.redraw()

    def redraw(self) -> None:
        width, height = self.content_size.width, self.content_size.height
        self._last_size = (width, height)
        if self._draw is None or width < 12 or height < 4:
            self.update(self._empty if self._draw is None else "")
            if self._draw is not None and not (width and height):
                # asked to draw before the layout gave it a size (the Overview's first data
                # can arrive before its layout, and no resize may follow): draw once sized
                self._last_size = None
                self.call_after_refresh(self._redraw_if_sized)
            return
        if not _plotext_ready(self.app):
            _WAITING.add(self)
            return
        import plotext as plt

        colors = self.colors()
        plt.add_theme(
            "clvtui",
            text=colors.foreground,
            sequence=[colors.primary, colors.accent, colors.success, colors.error],
        )
        legend = self._legend(colors)
        plot_height = height - (1 if legend else 0)
        fig = plt.figure
        fig.clear()
        fig.plot_size(width - 1, plot_height)
        fig.theme("clvtui")
        try:
            self._draw(fig, colors, width - 1, plot_height)
            text = str(fig.build())
        finally:
            fig.clear()
        plot = Text.from_ansi(text, no_wrap=True)
        rows = Text("\n", no_wrap=True, overflow="ellipsis")  # a legend too long ends in …
        self.update(rows.join([legend, plot]) if legend else plot)

    def _legend(self, colors: ChartColors) -> Text | None:
        """The series' names, each after a dash of its line's colour (plotext's order)."""
        labels = getattr(self._draw, "legend", None) or []
        if not any(labels):
            return None
        sequence = [colors.primary, colors.accent, colors.success, colors.error]
        legend = Text(" ", no_wrap=True, overflow="ellipsis")
        for i, label in enumerate(labels):
            if label:
                legend.append("━━ ", style="rgb({},{},{})".format(*sequence[i % len(sequence)]))
                legend.append(f"{label}   ")
        return legend
