"""One fitted demo shop for the CLI consistency tests (the real import and fit, built once)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.dbfiles import private_copy


@pytest.fixture(scope="session")
def shop_db(demo_2000: Path) -> Path:
    """The demo shop at 2,000 customers (seed 7, Shopify export, 26-week holdout): read-only."""
    return demo_2000


@pytest.fixture
def shop_copy(shop_db: Path, tmp_path: Path) -> Path:
    """A private copy for a test that fits again or changes settings."""
    return private_copy(shop_db, tmp_path)
