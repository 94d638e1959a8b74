"""Databases for the CLI tests: the CDNOW sample scores saved as real runs."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from clvtui.insights.segments import assign_segments
from clvtui.settings import Settings
from clvtui.store import open_db
from clvtui.store.runs import save_run
from tests.insights.conftest import CAL_END


def save_scores(db_path: Path, scores: pl.DataFrame, settings: Settings, created: str) -> int:
    db = open_db(db_path)
    scored = assign_segments(scores, settings)
    run = {
        "created_at": created,
        "as_of": CAL_END.isoformat(),
        "calibration_end": CAL_END.isoformat(),
        "holdout_weeks": None,
        "model": "bgnbd",
        "currency": "USD",
        "value_kind": settings.value_kind,
        "n_customers": scored.height,
        "customer_equity": float(scored["clv"].sum()),
        "equity_low": None,
        "equity_high": None,
        "settings": settings.to_mapping(),
        "report": {},
    }
    return save_run(db, run, scored)
