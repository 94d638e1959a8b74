"""A few SVG snapshots at a fixed size guarding the layout (update: pytest --snapshot-update).

The demo data is seeded and nothing on these screens shows the clock or a temporary path.
"""

from __future__ import annotations

from pathlib import Path

from clvtui.tui.app import make_app
from tests.tui.conftest import SIZE, settle


def test_welcome_on_an_empty_database(snap_compare, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot, pilot.app)

    assert snap_compare(make_app(tmp_path / "shop.db"), terminal_size=SIZE, run_before=run_before)


def test_overview_of_the_demo_shop(snap_compare, demo_db: Path) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot, pilot.app)

    assert snap_compare(make_app(demo_db), terminal_size=SIZE, run_before=run_before)


def test_customers_ranking(snap_compare, demo_db: Path) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await pilot.press("2")
        await settle(pilot, pilot.app)

    assert snap_compare(make_app(demo_db), terminal_size=SIZE, run_before=run_before)
