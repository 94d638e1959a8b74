"""Full garbage collections wait for the keys to pause (a drawn line's caches refer back to
it, so every sort or page leaves garbage only a full collection frees)."""

from __future__ import annotations

import gc
from pathlib import Path

from clvtui.tui.app import FULL_COLLECT_AFTER, IDLE_COLLECT, make_app
from tests.tui.conftest import SIZE, settle


async def test_full_collections_run_at_rest_not_on_keys(demo_db: Path) -> None:
    before = gc.get_threshold()
    full: list[int] = []

    def collected(phase: str, info: dict[str, int]) -> None:
        if phase == "stop" and info["generation"] == 2:
            full.append(1)

    app = make_app(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        assert gc.get_threshold() == (before[0], before[1], FULL_COLLECT_AFTER)
        await pilot.press("2")
        await settle(pilot, app)
        gc.callbacks.append(collected)
        try:
            await pilot.press("s", "s", "s")
            await pilot.pause(IDLE_COLLECT * 3)  # the keys pause: their garbage is collected
            assert full, "no full collection once the keys paused"
            count = len(full)
            await pilot.pause(IDLE_COLLECT * 3)  # no key since: nothing more to collect
            assert len(full) == count
        finally:
            gc.callbacks.remove(collected)
    assert gc.get_threshold() == before
