"""CDNOW imported as a generic CSV, fitted by the pipeline, then every insight on the stored run."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from clvtui.cli import app
from clvtui.ingest import import_file
from clvtui.insights.acquisition import allowable_cpa
from clvtui.insights.whatif import what_if
from clvtui.pipeline import fit_run
from clvtui.services.runs import load_context
from clvtui.settings import Settings
from clvtui.store import open_db
from clvtui.store.runs import scores_frame
from clvtui.store.saved_settings import save_settings
from tests.insights.conftest import FIXTURES

runner = CliRunner()
ECONOMICS = Settings(margin=0.30, cost_per_order=1.0)


def cdnow_csv(path: Path) -> Path:
    lines = ["customer,date,amount"]
    for line in (FIXTURES / "CDNOW_sample.txt").read_text().splitlines():
        p = line.split()
        if p:
            lines.append(f"{p[1]},{p[2][:4]}-{p[2][4:6]}-{p[2][6:]},{p[4]}")
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def fitted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("e2e")
    db = open_db(tmp / "cdnow.db")
    save_settings(db, ECONOMICS)
    import_file(db, cdnow_csv(tmp / "cdnow.csv"))
    fit_run(db, as_of="1997-09-30", model="bgnbd")
    return tmp / "cdnow.db"


def cli(db: Path, *args: str) -> dict:
    result = runner.invoke(app, [*args, "--db", str(db), "--json"])
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_segments_on_a_fitted_run_add_up(fitted: Path) -> None:
    doc = cli(fitted, "segments")
    db = open_db(fitted)
    scores = scores_frame(db, doc["run_id"])
    assert sum(t["customers"] for t in doc["tiers"]) == scores.height == 2357
    assert sum(t["clv_total"] for t in doc["tiers"]) == pytest.approx(scores["clv"].sum())
    # the pipeline stored the same tiers the command shows (same rule, same function)
    stored = scores.group_by("tier").agg(pl.len()).to_dict(as_series=False)
    shown = {t["name"]: t["customers"] for t in doc["tiers"] if t["customers"]}
    assert dict(zip(stored["tier"], stored["len"], strict=True)) == shown
    want = {r["name"]: r["allowable_cpa"] for r in allowable_cpa(scores, ECONOMICS).to_dicts()}
    assert {t["name"]: t["allowable_cpa"] for t in doc["tiers"]} == pytest.approx(want)


def test_whatif_margin_equals_a_refit_with_that_margin(fitted: Path, tmp_path: Path) -> None:
    """The what-if recovers discounted orders from CLV: a refit must give the same equity."""
    db = open_db(fitted)
    ctx = load_context(db, ["expected_spend", "expected_orders"])
    guess = what_if(ctx.scored, ctx.run_settings, margin=0.45, cost_per_order=2.0)
    other = open_db(tmp_path / "other.db")
    save_settings(other, ECONOMICS.with_changes(margin=0.45, cost_per_order=2.0))
    import_file(other, cdnow_csv(tmp_path / "cdnow.csv"))
    refit = fit_run(other, as_of="1997-09-30", model="bgnbd")
    truth = scores_frame(other, refit.run_id)["clv"].sum()
    assert guess.equity_after == pytest.approx(truth, rel=1e-6)


def test_budget_profile_export_and_moved_on_the_run(fitted: Path, tmp_path: Path) -> None:
    doc = cli(fitted, "budget", "--total", "500")
    spent = sum(a["spend"] for a in doc["allocations"])
    assert spent + doc["unallocated"] == pytest.approx(500.0, abs=0.01)
    prof = cli(fitted, "profile")
    assert {r["group"] for r in prof["numbers"]} >= {"Highly profitable", "All customers"}
    out = cli(fitted, "export", "--all", "-o", str(tmp_path / "all.csv"))
    assert out["rows"] == 2357
    assert cli(fitted, "moved")["previous_run_id"] is None


def test_actual_cac_counts_new_customers_per_acquisition_month(
    fitted: Path, tmp_path: Path
) -> None:
    sheet = tmp_path / "spend.csv"
    sheet.write_text("month,channel,amount\n1997-01,(none),7810\n1997-02,(none),8570\n")
    runner.invoke(app, ["spend", "import", str(sheet), "--db", str(fitted)])
    doc = cli(fitted, "spend", "cac")
    firsts: dict[str, str] = {}
    for line in (FIXTURES / "CDNOW_sample.txt").read_text().splitlines():
        p = line.split()
        if p:
            firsts[p[1]] = min(firsts.get(p[1], "99999999"), p[2])
    jan = sum(d.startswith("199701") for d in firsts.values())
    feb = sum(d.startswith("199702") for d in firsts.values())
    rows = {(r["month"], r["channel"]): r for r in doc["cac"]}
    assert rows[("1997-01", "(all)")]["new_customers"] == jan
    assert rows[("1997-01", "(all)")]["cac"] == pytest.approx(7810 / jan)
    assert rows[("1997-02", "(none)")]["new_customers"] == feb
    assert rows[("1997-02", "(none)")]["spend"] == 8570.0
    # with spend imported and no acquisition_cost set, the budget prices look-alikes from it
    budget = cli(fitted, "budget", "--total", "500")
    assert budget["assumptions"]["acquisition_cost"] == pytest.approx((7810 + 8570) / (jan + feb))
    assert budget["assumptions"]["acquisition_cost_source"] == "marketing spend ÷ new customers"
