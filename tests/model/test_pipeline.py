"""End to end: CDNOW imported through `clvtui import` (generic CSV), then `clvtui fit`/`rank`."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from clvtui.cli import app
from clvtui.model import gammagamma
from clvtui.model.registry import fit_purchase
from clvtui.model.summary import cdnow_orders, summarise
from clvtui.store import open_db
from clvtui.store.runs import get_run, list_runs, retention_frame, scores_frame
from tests.model.helpers import CDNOW_SAMPLE, CDNOW_SUMMARY, load_orders

runner = CliRunner()


@pytest.fixture(scope="module")
def cdnow_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The CDNOW sample written as a generic CSV (customer,date,amount) and imported."""
    tmp = tmp_path_factory.mktemp("cdnow")
    csv = tmp / "cdnow.csv"
    cdnow_orders(str(CDNOW_SAMPLE)).select(
        customer="customer_id",
        date=pl.col("ordered_at").dt.strftime("%Y-%m-%d"),
        amount=pl.col("amount"),
    ).write_csv(csv)
    db = tmp / "shop.db"
    result = runner.invoke(app, ["import", str(csv), "--db", str(db), "--format", "generic"])
    assert result.exit_code == 0, result.output
    return db


def fit_json(db: Path, *args: str) -> dict:
    result = runner.invoke(app, ["fit", "--db", str(db), "--json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_fit_after_import_equals_library_call(cdnow_db: Path) -> None:
    doc = fit_json(cdnow_db, "--as-of", "1997-09-30", "--model", "bgnbd")
    summary = summarise(cdnow_orders(str(CDNOW_SAMPLE)), "1997-09-30")
    x, t_x, T, m = (summary[c].to_numpy().astype(float) for c in ("x", "t_x", "T", "m"))
    lib = fit_purchase("bgnbd", x, t_x, T)
    for name, value in lib.params.items():
        assert doc["purchase_model"]["params"][name] == pytest.approx(value, rel=1e-6)
    assert doc["purchase_model"]["loglik"] == pytest.approx(-9582.43, abs=0.05)
    # ... and as the library call on the published summary file (printed to 2 decimals)
    published = pl.read_csv(CDNOW_SUMMARY)
    pub = fit_purchase("bgnbd", *(published[c].to_numpy().astype(float) for c in ("x", "t_x", "T")))
    for name, value in pub.params.items():
        assert doc["purchase_model"]["params"][name] == pytest.approx(value, rel=5e-4)
    assert set(doc["purchase_model"]["stderr"]) == {"r", "alpha", "a", "b"}
    assert doc["purchase_model"]["n_customers"] == 2357
    spend = gammagamma.fit(x, m)
    for name, value in spend.params.items():
        assert doc["spend_model"]["params"][name] == pytest.approx(value, rel=1e-6)
    assert doc["spend_model"]["n_customers"] == 946
    assert doc["spend_model"]["frequency_spend_corr"] == pytest.approx(0.114, abs=0.001)
    eq = doc["customer_equity"]
    assert eq["low"] < eq["value"] < eq["high"] and eq["value_kind"] == "revenue"
    assert eq["currency"] == "USD"
    assert doc["as_of"] == doc["calibration_end"] == "1997-09-30"
    assert "holdout" not in doc

    db = open_db(cdnow_db)
    scores = scores_frame(db, doc["run_id"])
    assert scores.height == 2357
    assert scores["clv"].sum() == pytest.approx(eq["value"], rel=1e-9)
    assert (scores["clv_low"] <= scores["clv"]).all() and (
        scores["clv"] <= scores["clv_high"]
    ).all()
    assert (scores["clv"] >= 0).all() and not scores["clv"].is_nan().any()
    assert scores["tier"].null_count() == 0 and scores["risk"].null_count() == 0
    # customer "0001": x=2, t_x=30.43, T=38.86 → E[Y(12 months = 52 weeks)] from the fit
    one = scores.filter(pl.col("customer_id") == "generic:0001").row(0, named=True)
    assert one["x"] == 2 and one["T"] == pytest.approx(272 / 7)
    retention = retention_frame(db, doc["run_id"])
    assert set(retention["cohort"]) >= {"all", "1997-01", "1997-02", "1997-03"}
    assert retention.filter(pl.col("month") == 0)["survival"].to_list() == [1.0] * 4


def test_backtest_reports_holdout_and_calibration_params(cdnow_db: Path) -> None:
    doc = fit_json(cdnow_db, "--as-of", "1998-06-30", "--holdout-weeks", "39", "--model", "bgnbd")
    assert doc["calibration_end"] == "1997-09-30" and doc["as_of"] == "1998-06-30"
    # the checked fit is the published calibration fit (r = 0.2426 on weeks 1–39) ...
    cal = doc["holdout"]["calibration_fit"]
    assert cal["params"]["r"] == pytest.approx(0.2426, rel=0.005)
    assert cal["loglik"] == pytest.approx(-9582.43, abs=0.05)
    assert sum(cal["histogram"]["actual"]) == 2357
    # ... and the run is the refit on all 78 weeks, as of 1998-06-30
    assert doc["scored_as_of"] == "1998-06-30"
    assert doc["purchase_model"]["params"]["r"] != pytest.approx(0.2426, rel=0.01)
    hold = doc["holdout"]
    assert hold["weeks"] == 39 and hold["actual_repeat_orders"] == 1882
    assert hold["predicted_repeat_orders"] == pytest.approx(1654, abs=1)
    assert hold["customer_corr"] == pytest.approx(0.626, abs=0.001)
    assert hold["actual_revenue"] > 0 and hold["predicted_revenue"] > 0
    assert isinstance(hold["verdict"], str) and "1,882" in hold["verdict"]


def test_backtest_scores_as_of_today_like_a_plain_fit(cdnow_db: Path) -> None:
    """Issue 9: a backtest checks, it does not score — same parameters (1e-4 relative) and
    customer equity (0.5 %) as a fit without holdout, plus the verdict."""
    back = fit_json(cdnow_db, "--as-of", "1998-06-30", "--holdout-weeks", "39", "--model", "bgnbd")
    plain = fit_json(cdnow_db, "--as-of", "1998-06-30", "--model", "bgnbd")
    for name, value in plain["purchase_model"]["params"].items():
        assert back["purchase_model"]["params"][name] == pytest.approx(value, rel=1e-4)
    assert back["customer_equity"]["value"] == pytest.approx(
        plain["customer_equity"]["value"], rel=0.005
    )
    assert "holdout" not in plain and "1,882" in back["holdout"]["verdict"]
    db = open_db(cdnow_db)
    a, b = scores_frame(db, back["run_id"]), scores_frame(db, plain["run_id"])
    assert a.height == b.height == 2357  # every customer, T up to 1998-06-30
    assert a["T"].max() == pytest.approx(b["T"].max()) and a["T"].max() > 77.0
    joined = a.join(b, on="customer_id", suffix="_plain")
    assert (joined["x"] == joined["x_plain"]).all()
    assert (joined["p_alive"] - joined["p_alive_plain"]).abs().max() < 1e-3


def test_auto_model_choice_and_runs_kept(cdnow_db: Path) -> None:
    doc = fit_json(cdnow_db, "--as-of", "1998-06-30", "--holdout-weeks", "39")
    assert doc["model"] in {"bgnbd", "paretonbd", "mbgnbd"}
    cands = doc["model_choice"]["candidates"]
    best = min(cands, key=lambda k: cands[k]["score"])
    assert doc["model"] == best
    db = open_db(cdnow_db)
    runs = list_runs(db)
    assert len(runs) >= 3 and runs[0]["id"] == doc["run_id"]
    assert get_run(db, doc["run_id"])["report"]["model"] == doc["model"]


def test_human_report_and_rank(cdnow_db: Path) -> None:
    result = runner.invoke(
        app, ["fit", "--db", str(cdnow_db), "--as-of", "1997-09-30", "--model", "bgnbd"]
    )
    assert result.exit_code == 0
    assert "r 0.2426 ± 0.01256" in result.output and "revenue (no margin set)" in result.output
    table = runner.invoke(app, ["rank", "--db", str(cdnow_db), "--top", "3"])
    assert table.exit_code == 0 and "revenue CLV" in table.output
    csv = runner.invoke(app, ["rank", "--db", str(cdnow_db), "--top", "5", "--format", "csv"])
    frame = pl.read_csv(csv.stdout.encode())
    assert frame.height == 5 and frame["clv"].is_sorted(descending=True)
    js = json.loads(
        runner.invoke(app, ["rank", "--db", str(cdnow_db), "--format", "json", "--top", "2"]).stdout
    )
    assert js["value_kind"] == "revenue" and len(js["customers"]) == 2


def test_net_clv_with_margin_setting(tmp_path: Path) -> None:
    from clvtui.settings import Settings
    from clvtui.store.saved_settings import save_settings

    db_path = tmp_path / "net.db"
    db = load_orders(db_path, cdnow_orders(str(CDNOW_SAMPLE)))
    save_settings(db, Settings(margin=0.3, cost_per_order=12.0))
    doc = fit_json(db_path, "--as-of", "1997-09-30", "--model", "bgnbd")
    assert doc["customer_equity"]["value_kind"] == "net"
    scores = scores_frame(db, doc["run_id"])
    # 0.3 × spend − 12 is negative for small spenders: net CLV may be negative, never NaN
    assert (scores["clv"] < 0).any() and not scores["clv"].is_nan().any()
    assert (scores["clv_low"] <= scores["clv_high"]).all()


def test_cli_errors_are_clean(cdnow_db: Path, tmp_path: Path) -> None:
    missing = runner.invoke(app, ["fit", "--db", str(tmp_path / "none.db")])
    assert missing.exit_code == 1 and "no database" in missing.output
    early = runner.invoke(app, ["fit", "--db", str(cdnow_db), "--as-of", "1990-01-01"])
    assert early.exit_code == 1 and "no purchases" in early.output
    bad = runner.invoke(app, ["fit", "--db", str(cdnow_db), "--model", "xyz"])
    assert bad.exit_code == 1 and "--model" in bad.output
    date = runner.invoke(app, ["fit", "--db", str(cdnow_db), "--as-of", "June"])
    assert date.exit_code == 1 and "as-of" in date.output
    empty = tmp_path / "empty.db"
    open_db(empty)
    rank = runner.invoke(app, ["rank", "--db", str(empty)])
    assert rank.exit_code == 1 and "clvtui fit" in rank.output


def test_run_reads(cdnow_db: Path) -> None:
    from clvtui.errors import NoDataError
    from clvtui.store.reads import purchases_frame
    from clvtui.store.runs import customer_orders, latest_run

    db = open_db(cdnow_db)
    run = latest_run(db)
    assert run is not None and run["id"] == list_runs(db)[0]["id"]
    with pytest.raises(NoDataError, match="no run 9999"):
        get_run(db, 9999)
    orders = customer_orders(db, "generic:0001")
    assert orders.height == 4 and orders["amount_minor"].to_list() == [2933, 2973, 1496, 2648]
    frame = purchases_frame(db, until="1997-09-30")
    assert frame.height == 4960  # CDNOW sample rows dated up to 1997-09-30
    assert frame["ordered_at"].max().date().isoformat() <= "1997-09-30"
    assert frame.columns == ["customer_id", "ordered_at", "amount", "currency"]


def test_run_frame_cache_matches_the_row_read(cdnow_db: Path, tmp_path: Path) -> None:
    """The ranking stored as one Arrow blob equals scores ⋈ identities read row by row."""
    import shutil

    from polars.testing import assert_frame_equal

    from clvtui.store.identity import customer_identity_frame
    from clvtui.store.runs import RANKED_COLUMNS, ranked_customers, ranked_frame, run_frame
    from tests.dbfiles import as_stored_before_blobs

    doc = fit_json(cdnow_db, "--as-of", "1997-09-30", "--model", "bgnbd")
    run_id = doc["run_id"]
    db = open_db(cdnow_db)
    cached = run_frame(db, run_id)
    assert cached is not None and cached.columns == RANKED_COLUMNS and cached.height == 2357
    clv = cached["clv"].to_list()
    assert clv == sorted(clv, reverse=True)  # stored ranked
    rows = ranked_frame(scores_frame(db, run_id), customer_identity_frame(db))
    order = [pl.col("clv"), pl.col("customer_id")]
    assert_frame_equal(cached.sort(order), rows.sort(order))

    # the value-concentration curve in the report: same cut points as the ranking
    vc = doc["value_concentration"]
    assert len(vc["customers_pct"]) == len(vc["value_pct"]) == 101
    assert vc["value_pct"][-1] == pytest.approx(100.0) and vc["customers_pct"][-1] == 100.0
    positive = cached["clv"].clip(lower_bound=0.0)
    top = float(positive.head(2357 // 10).sum()) / float(positive.sum())
    assert vc["top10_share"] == pytest.approx(top, rel=1e-9)

    # a run stored before the blob (score rows, no blob; or a file without the table) is
    # read from its rows
    db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    copy = tmp_path / "copy.db"
    shutil.copy(cdnow_db, copy)
    other = open_db(copy)
    as_stored_before_blobs(other, run_id)
    assert run_frame(other, run_id) is None
    assert_frame_equal(ranked_customers(other, run_id).sort(order), rows.sort(order))
    with other.conn:
        other.conn.execute("DROP TABLE run_frames")
    assert run_frame(other, run_id) is None
    assert ranked_customers(other, run_id).height == 2357


def test_human_report_of_a_backtest_shows_both_parameter_sets(cdnow_db: Path) -> None:
    result = runner.invoke(
        app,
        ["fit", "--db", str(cdnow_db), "--as-of", "1998-06-30", "--holdout-weeks", "39",
         "--model", "bgnbd"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    out = result.output
    assert "scored as of 1998-06-30" in out
    assert "checked:   r 0.2426" in out and "fit on data to 1997-09-30" in out
    assert "1,882 happened" in out and "churn risk: A customer who bought once" in out
    table = runner.invoke(app, ["rank", "--db", str(cdnow_db), "--top", "2"])
    assert "scored as of 1998-06-30" in table.output and "P(order 90d)" in table.output


def test_auto_choice_never_sees_the_holdout(cdnow_db: Path, tmp_path: Path) -> None:
    """With a holdout, the candidates are compared on the calibration window's own last 12
    weeks (a third of its 38.9): doubling every holdout-window order leaves the choice and its
    scores unchanged, while the verdict (which checks the holdout) does change."""
    import polars as pl

    from clvtui.model.summary import cdnow_orders
    from tests.model.helpers import CDNOW_SAMPLE, load_orders

    doc = fit_json(cdnow_db, "--as-of", "1998-06-30", "--holdout-weeks", "39")
    compared = doc["model_choice"]["compared_on"]
    assert compared == {
        "from": "1997-07-08",
        "to": "1997-09-30",
        "weeks": 12,
        "holdout_used": False,
    }
    orders = cdnow_orders(CDNOW_SAMPLE)
    late = orders.filter(pl.col("ordered_at") > pl.datetime(1997, 10, 1, time_zone="UTC"))
    shifted = late.with_columns(pl.col("ordered_at") + pl.duration(days=2))
    load_orders(tmp_path / "more.db", pl.concat([orders, shifted]).sort("ordered_at"))
    other = fit_json(tmp_path / "more.db", "--as-of", "1998-06-30", "--holdout-weeks", "39")
    assert other["model_choice"]["compared_on"] == compared
    assert other["model"] == doc["model"]
    for name, cand in doc["model_choice"]["candidates"].items():
        assert other["model_choice"]["candidates"][name]["score"] == pytest.approx(cand["score"])
    assert other["holdout"]["actual_repeat_orders"] > doc["holdout"]["actual_repeat_orders"]
