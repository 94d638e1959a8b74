"""The fit and customer-detail services on the CDNOW sample in a real SQLite file: the typed
report is what was stored, and one customer's paths agree with the run's own scores."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest
import sqlite_utils

from clvtui.cli import fit_cmd
from clvtui.model import bgnbd
from clvtui.model.summary import cdnow_orders
from clvtui.report import RunReport
from clvtui.services.customer import customer_detail
from clvtui.services.fit import MODEL_CHOICES, fit_shop
from clvtui.store.runs import get_run, scores_frame
from clvtui.store.saved_settings import load_settings
from tests.model.helpers import CDNOW_SAMPLE, load_orders

ONE = "generic:0001"  # x = 2, t_x = 30.43, T = 38.86 weeks on 1997-09-30


@pytest.fixture(scope="module")
def cdnow(tmp_path_factory: pytest.TempPathFactory) -> sqlite_utils.Database:
    db_path = tmp_path_factory.mktemp("services") / "cdnow.db"
    return load_orders(db_path, cdnow_orders(str(CDNOW_SAMPLE)))


def test_the_cli_offers_the_services_models() -> None:
    assert fit_cmd.MODEL_CHOICES == MODEL_CHOICES


def test_customer_before_any_fit_has_orders_and_no_scores(cdnow: sqlite_utils.Database) -> None:
    detail = customer_detail(cdnow, ONE)
    assert detail.report is None and detail.score is None and detail.alive is None
    # CDNOW_sample.txt: 0001 bought on 1997-01-01, 01-18, 08-02 and 12-12
    assert detail.orders.height == 4
    assert detail.orders["amount"].to_list() == pytest.approx([29.33, 29.73, 14.96, 26.48])


def test_fit_shop_saves_the_settings_and_returns_the_stored_report(
    cdnow: sqlite_utils.Database,
) -> None:
    settings = load_settings(cdnow).with_changes(margin=0.3)
    result = fit_shop(cdnow, as_of="1997-09-30", model="bgnbd", settings=settings)
    assert load_settings(cdnow).margin == 0.3
    report = result.run_report
    assert report.run_id == result.run_id and report.value_kind == "net"
    stored = RunReport.from_run(get_run(cdnow, result.run_id))
    assert stored.to_json() == report.to_json()
    assert report.purchase_model is not None
    assert report.purchase_model.params["r"] == pytest.approx(0.2426, rel=0.005)
    assert report.purchase_model.loglik == pytest.approx(-9582.43, abs=0.05)


def test_customer_paths_agree_with_the_runs_scores(cdnow: sqlite_utils.Database) -> None:
    run_id = fit_shop(cdnow, as_of="1997-09-30", model="bgnbd").run_id
    detail = customer_detail(cdnow, ONE)
    assert detail.report is not None and detail.report.run_id == run_id
    score = scores_frame(cdnow, run_id).filter(pl.col("customer_id") == ONE).row(0, named=True)
    assert detail.score is not None and detail.score["clv"] == pytest.approx(score["clv"])
    assert (score["x"], score["t_x"] * 7, score["T"] * 7) == pytest.approx((2, 213, 272))
    # P(alive) path: from 1 at the first order to the run's own P(alive) as of 1997-09-30
    assert detail.alive is not None and detail.alive.values[0] == 1.0
    assert detail.alive.weeks[-1] == pytest.approx(272 / 7)
    assert detail.alive.values[-1] == pytest.approx(score["p_alive"], rel=1e-9)
    # expected orders path: week 52 is the run's expected orders over its 12-month horizon
    ahead = detail.expected_orders
    assert ahead is not None and len(ahead.values) == 52
    assert ahead.values[-1] == pytest.approx(score["expected_orders"], rel=1e-9)
    theta = np.array(list(detail.report.purchase_model.params.values()))  # type: ignore[union-attr]
    week_one = bgnbd.expected(theta, np.array([2.0]), np.array([213 / 7]), np.array([272 / 7]), 1.0)
    assert ahead.values[0] == pytest.approx(float(week_one[0]), rel=1e-12)


def test_customer_with_a_ranking_in_hand_reads_no_other(
    cdnow: sqlite_utils.Database, tmp_path: Path
) -> None:
    fit_shop(cdnow, as_of="1997-09-30", model="bgnbd")
    empty = pl.DataFrame({"customer_id": []}, schema={"customer_id": pl.Utf8})
    detail = customer_detail(cdnow, ONE, ranking=empty)
    assert detail.score is None and detail.expected_orders is None
    assert detail.alive is not None  # drawn from the orders and the run, not the ranking
