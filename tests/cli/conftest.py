"""One fitted demo shop for the CLI consistency tests (the real import and fit, built once)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.dbfiles import checkpoint, private_copy


@pytest.fixture(scope="session")
def shop_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo shop at 2,000 customers (seed 7, Shopify export, 26-week holdout): read-only."""
    from clvtui.services.demo import build_demo

    path = tmp_path_factory.mktemp("cli-demo") / "demo.db"
    build_demo(path, customers=2_000, fmt="shopify", seed=7, fresh=False)
    return checkpoint(path)


@pytest.fixture
def shop_copy(shop_db: Path, tmp_path: Path) -> Path:
    """A private copy for a test that fits again or changes settings."""
    return private_copy(shop_db, tmp_path)
