"""The one line-chart helper: every series drawn, labelled in the legend, axis named."""

from __future__ import annotations

from textual.app import App, ComposeResult

from clvtui.tui.widgets.chart import Chart, Line, lines


class OneChart(App[None]):
    def compose(self) -> ComposeResult:
        yield Chart("Holdout", id="chart", empty="Nothing yet.")


async def _drawn(draw: object) -> str:
    app = OneChart()
    async with app.run_test(size=(80, 24)) as pilot:
        chart = app.query_one(Chart)
        chart.plot(draw)  # type: ignore[arg-type]
        for _ in range(50):  # plotext is imported once, on a worker
            await pilot.pause(0.05)
            if "Nothing yet." not in str(chart.render()) and str(chart.render()).strip():
                break
        return str(chart.render())


async def test_lines_draws_each_series_with_its_legend_and_axis_label() -> None:
    weeks = [1.0, 2.0, 3.0, 4.0]
    text = await _drawn(
        lines(
            Line(weeks, [10.0, 12.0, 9.0, 11.0], "predicted"),
            Line(weeks, [11.0, 10.0, 10.0, 12.0], "actual"),
            x_label="week",
        )
    )
    assert "predicted" in text and "actual" in text
    assert "week" in text


async def test_lines_without_a_point_shows_the_empty_message() -> None:
    assert lines(Line([], [], "predicted")) is None
    assert lines() is None
    assert "Nothing yet." in await _drawn(lines(Line([], []), x_label="week"))
