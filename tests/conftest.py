"""Fixtures shared across test folders: the fitted demo shops several folders read."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.dbfiles import DEMO_CUSTOMERS, built_once


def _demo_2000(path: Path) -> None:
    from clvtui.services.demo import build_demo

    build_demo(path, customers=DEMO_CUSTOMERS, fmt="shopify", seed=7, fresh=False)


@pytest.fixture(scope="session")
def demo_2000(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo shop at 2,000 customers (seed 7, Shopify export, 26-week holdout), imported and
    fitted once per run for the screen and the CLI tests alike. Read-only for the tests."""
    return built_once(tmp_path_factory, "demo-2000-seed7", _demo_2000, "demo.db")
