"""A small fitted demo shop (margin 40 %, 3.00 per order) shared by the cohort and CLI tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.dbfiles import built_once


def _fitted(path: Path) -> None:
    from clvtui.pipeline import fit_run
    from clvtui.services.demo import build_demo
    from clvtui.store import open_db
    from clvtui.store.saved_settings import load_settings, save_settings

    build_demo(path, customers=500, fmt="shopify", seed=3, fresh=False)
    db = open_db(path)
    save_settings(db, load_settings(db).with_changes(margin=0.4, cost_per_order=3.0))
    fit_run(db)
    db.conn.close()


@pytest.fixture(scope="session")
def fitted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return built_once(tmp_path_factory, "plan-demo-500-seed3", _fitted, "demo.db")
