"""History and moves measured with one ruler: a tier rule changed between two identical fits
moves nobody, and every fit in the history is tiered as ``segments`` tiers the latest."""

from __future__ import annotations

from pathlib import Path

import pytest

from clvtui.insights.segments import HIGH, TIERS
from clvtui.services.demo import build_demo
from clvtui.services.segments import segments_view
from clvtui.services.trends import moved_since_previous, tier_history
from clvtui.store import open_db
from clvtui.store.runs import run_segments
from clvtui.store.saved_settings import load_settings, save_settings


@pytest.fixture(scope="module")
def two_fits(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo shop fitted twice on the same orders, then given a wider top tier."""
    from clvtui.pipeline import fit_run

    path = tmp_path_factory.mktemp("trends") / "demo.db"
    build_demo(path, customers=400, fmt="shopify", seed=5, fresh=False)
    db = open_db(path)
    fit_run(db, holdout_weeks=26)  # the same orders, settings and model: the same values
    save_settings(db, load_settings(db).with_changes(top_value_share=0.8))
    db.conn.close()
    return path


def test_a_rule_change_alone_moves_nobody(two_fits: Path) -> None:
    db = open_db(two_fits, readonly=True)
    result = moved_since_previous(db)
    assert (result.run_id, result.previous_run_id) == (2, 1)
    assert result.compared == 400 and result.customers.height == 0


def test_every_fit_in_the_history_is_tiered_by_todays_rule(two_fits: Path) -> None:
    db = open_db(two_fits, readonly=True)
    today = segments_view(db)
    expected = {t["name"]: t["customers"] for t in today.tiers.to_dicts()}
    history = tier_history(db)
    for run_id in (1, 2):
        rows = history.filter(history["run_id"] == run_id).to_dicts()
        assert {r["tier"]: r["customers"] for r in rows} == expected
    # ... which is not what the fits stored under the old rule (50 % of value in the top tier)
    stored = run_segments(db, 1)
    stored_high = int(stored.filter(stored["tier"] == HIGH)["customers"].sum())
    assert expected[HIGH] > stored_high > 0
    assert sum(expected[t] for t in TIERS) == 400


def test_stored_tiers_are_what_the_rule_gives_while_it_is_unchanged(two_fits: Path) -> None:
    """What lets the TUI and the Overview read the stored tiers while the rule is the fit's."""
    from clvtui.services.tiers import apply_tiers, run_settings_of
    from clvtui.store.run_scores import run_row
    from clvtui.store.runs import scores_frame

    db = open_db(two_fits, readonly=True)
    run = run_row(db, 1)
    stored = scores_frame(db, 1)
    again = apply_tiers(stored, run, run_settings_of(run))
    assert again["tier"].to_list() == stored["tier"].to_list()
    assert again["risk"].to_list() == stored["risk"].to_list()
    assert stored["risk"].n_unique() == 3 and stored["tier"].n_unique() >= 2  # not trivial
