"""One small fitted demo shop, built once for every screen test (the real import and fit)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.dbfiles import DEMO_CUSTOMERS, private_copy

__all__ = ["DEMO_CUSTOMERS", "SIZE", "settle"]
SIZE = (120, 40)


@pytest.fixture(scope="session")
def demo_db(demo_2000: Path) -> Path:
    """A fitted demo database (2,000 simulated customers, Shopify export, 26-week holdout).

    Read-only for the tests: a test that writes (import, refit) takes ``demo_copy``.
    """
    return demo_2000


@pytest.fixture
def demo_copy(demo_db: Path, tmp_path: Path) -> Path:
    """A private copy of the demo database for tests that write to it."""
    return private_copy(demo_db, tmp_path)


async def settle(pilot, app) -> None:  # type: ignore[no-untyped-def]
    """Let our workers finish and their messages land (the file tree's loader never ends)."""
    from textual.widgets import DirectoryTree

    for _ in range(3):
        await pilot.pause()
        ours = [w for w in app.workers if not isinstance(w.node, DirectoryTree)]
        if ours:  # an empty list would mean "all workers"
            await app.workers.wait_for_complete(ours)
    await pilot.pause()
