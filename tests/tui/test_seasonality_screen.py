"""The Model screen shows the seasonal pattern when the fit used it, and only the sentence
when it did not (issue 17)."""

from __future__ import annotations

from pathlib import Path

import pytest

from clvtui.tui.app import make_app
from clvtui.tui.seasonality import SeasonalityChart
from tests.tui.conftest import SIZE, settle


@pytest.fixture(scope="module")
def seasonal_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``clvtui demo --shape seasonal`` (three years, 26-week holdout), 1,500 customers."""
    from clvtui.services.demo import build_demo

    path = tmp_path_factory.mktemp("seasonal-demo") / "demo.db"
    build_demo(path, customers=1_500, fmt="shopify", seed=3, fresh=False, shape="seasonal")
    return path


async def test_model_screen_draws_the_pattern(seasonal_demo: Path) -> None:
    app = make_app(seasonal_demo)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("5")
        await settle(pilot, app)
        chart = app.screen.query_one("#seasonality", SeasonalityChart)
        assert chart.display and chart._draw is not None
        verdict = str(app.screen.query_one("#model-verdict").render())
        assert "Seasons: Seasonality is used: purchases run from" in verdict, verdict
        assert "Dec" in verdict


async def test_model_screen_says_why_not(demo_db: Path) -> None:
    """The standard demo has 18 months of orders, but only ~9 before its validation weeks."""
    app = make_app(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("5")
        await settle(pilot, app)
        assert not app.screen.query_one("#seasonality", SeasonalityChart).display
        verdict = " ".join(str(app.screen.query_one("#model-verdict").render()).split())
        assert "Seasons: Seasonality could not be estimated:" in verdict, verdict
        assert "needs 15 before the validation weeks" in verdict, verdict
