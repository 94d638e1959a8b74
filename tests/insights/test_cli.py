"""The insights commands end to end on a real SQLite file holding two CDNOW runs."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from clvtui.cli import app
from clvtui.insights.acquisition import allowable_cpa
from clvtui.insights.segments import assign_segments
from clvtui.store import open_db
from tests.insights.conftest import CDNOW_SETTINGS, score_cdnow
from tests.insights.dbutil import save_scores

runner = CliRunner()


@pytest.fixture(scope="module")
def db_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "shop.db"
    first = CDNOW_SETTINGS.with_changes(margin=0.25)
    save_scores(path, score_cdnow(first), first, "2026-01-01T00:00:00Z")
    save_scores(path, score_cdnow(CDNOW_SETTINGS), CDNOW_SETTINGS, "2026-02-01T00:00:00Z")
    db = open_db(path)
    ids = score_cdnow(CDNOW_SETTINGS)["customer_id"].to_list()
    db["customers"].insert_all(
        {"customer_id": c, "email": f"c{c}@example.com", "name": "=1+1" if c == "1" else f"N{c}"}
        for c in ids
    )
    return path


def run(db: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, [*args, "--db", str(db)])
    assert not (result.exception and not isinstance(result.exception, SystemExit)), result.exception
    return result.exit_code, result.stdout, result.stderr


def test_segments_json(db_path: Path) -> None:
    code, out, _ = run(db_path, "segments", "--json")
    assert code == 0
    doc = json.loads(out)
    assert doc["run_id"] == 2 and doc["value_kind"] == "net"
    assert "50%" in doc["rule"] and "sunk" in doc["rule"]
    tiers = {t["name"]: t for t in doc["tiers"]}
    assert sum(t["customers"] for t in tiers.values()) == 2357
    assert sum(t["clv_total"] for t in tiers.values()) == pytest.approx(doc["customer_equity"])
    for t in tiers.values():
        assert set(t) >= {"name", "customers", "clv_total", "clv_mean", "share_of_value"}
    scored = assign_segments(score_cdnow(CDNOW_SETTINGS), CDNOW_SETTINGS)
    want = {r["name"]: r["allowable_cpa"] for r in allowable_cpa(scored, CDNOW_SETTINGS).to_dicts()}
    for name, cpa in want.items():
        assert tiers[name]["allowable_cpa"] == pytest.approx(cpa, rel=1e-9)
    assert tiers["Highly profitable"]["customers"] == 167
    assert len(doc["slipping_away"]) == 20


def test_segments_human_output_states_rule_and_value_kind(db_path: Path) -> None:
    code, out, _ = run(db_path, "segments", "--top", "3")
    assert code == 0
    assert "net CLV" in out and "Rule: Highly profitable" in out and "allowable CPA" in out


def test_budget_json_balances(db_path: Path) -> None:
    code, out, _ = run(db_path, "budget", "--total", "1000", "--json")
    assert code == 0
    doc = json.loads(out)
    assert doc["total"] == 1000.0
    spent = sum(a["spend"] for a in doc["allocations"])
    assert spent + doc["unallocated"] == pytest.approx(1000.0, abs=0.01)
    for a in doc["allocations"]:
        assert set(a) >= {"target", "spend", "expected_value", "roi"}
    assert doc["assumptions"]["ltv_cac_ratio"] == 3.0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("budget", "--total", "-5"), "positive amount"),
        (("settings", "--set", "margin=150%"), "margin must be between 0 and 100 %"),
        (("settings", "--set", "ltv_cac_ratio=0"), "ltv_cac_ratio must be above 0"),
        (("settings", "--set", "colour=blue"), "unknown setting"),
        (("whatif", "--margin", "120%"), "margin must be between 0 and 100 %"),
        (("export", "-o", "x.csv"), "exactly one of"),
        (("export", "--all", "-o", "x.txt"), ".csv or .xlsx"),
        (("export", "--tier", "gold", "-o", "x.csv"), "unknown tier"),
    ],
)
def test_bad_input_is_a_message_and_exit_1(
    db_path: Path, args: tuple[str, ...], message: str
) -> None:
    code, out, err = run(db_path, *args)
    assert code == 1 and message in err and "Traceback" not in err and out == ""


def test_settings_roundtrip(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    code, out, _ = run(db, "settings", "--set", "margin=35%", "--set", "ltv_cac_ratio=4", "--json")
    assert code == 0 and json.loads(out)["margin"] == 0.35
    code, out, _ = run(db, "settings", "--json")
    doc = json.loads(out)
    assert doc["ltv_cac_ratio"] == 4.0 and doc["value_kind"] == "net"


def test_no_run_yet_is_a_clear_message(tmp_path: Path) -> None:
    db = tmp_path / "empty.db"
    open_db(db)
    code, _, err = run(db, "segments")
    assert code == 1 and "clvtui fit" in err


def test_moved_and_trends(db_path: Path) -> None:
    code, out, _ = run(db_path, "moved", "--json")
    doc = json.loads(out)
    assert code == 0 and doc["previous_run_id"] == 1 and doc["customers_compared"] == 2357
    # raising the margin from 25 % to 30 % lifts every CLV: nobody falls down a tier
    assert all(c["clv_now"] >= c["clv_before"] for c in doc["customers"])
    code, out, _ = run(db_path, "trends", "--json")
    runs = json.loads(out)["runs"]
    assert code == 0 and len(runs) == 6
    assert sum(r["customers"] for r in runs if r["run_id"] == 2) == 2357


def test_export_tier_and_at_risk(db_path: Path, tmp_path: Path) -> None:
    target = tmp_path / "top.xlsx"
    code, out, _ = run(
        db_path, "export", "--tier", "highly profitable", "-o", str(target), "--json"
    )
    assert code == 0 and json.loads(out)["rows"] == 167
    back = pl.read_excel(target)
    assert back.height == 167 and set(back["tier"]) == {"Highly profitable"}
    assert back["email"][0].endswith("@example.com")
    risky = tmp_path / "risk.csv"
    code, _, _ = run(db_path, "export", "--at-risk", "-o", str(risky))
    rows = pl.read_csv(risky, infer_schema=False)
    assert code == 0 and "active" not in set(rows["risk"])
    code, _, _ = run(db_path, "export", "--all", "-o", str(tmp_path / "all.csv"))
    everyone = pl.read_csv(tmp_path / "all.csv", infer_schema=False)
    assert everyone.height == 2357
    assert everyone.filter(pl.col("customer_id") == "1")["name"][0] == "'=1+1"


def test_spend_import_gives_actual_cac_to_the_budget(db_path: Path, tmp_path: Path) -> None:
    sheet = tmp_path / "spend.csv"
    sheet.write_text("month,channel,amount\n1997-01,web,2000\n1997-02,web,1500\n")
    code, out, _ = run(db_path, "spend", "import", str(sheet), "--json")
    assert code == 0 and json.loads(out)["rows"] == 2
    # the CDNOW customers table has no first-order dates here: no cohort, no CAC yet
    code, out, _ = run(db_path, "spend", "cac", "--json")
    assert code == 0
    cac = json.loads(out)["cac"]
    assert {r["month"] for r in cac} == {"1997-01", "1997-02"}


def test_whatif_and_profile(db_path: Path) -> None:
    code, out, _ = run(db_path, "whatif", "--margin", "45%", "--json")
    doc = json.loads(out)
    truth = score_cdnow(CDNOW_SETTINGS.with_changes(margin=0.45))["clv"].sum()
    assert code == 0 and doc["equity_after"] == pytest.approx(truth, rel=1e-9)
    code, out, _ = run(db_path, "profile", "--tier", "high", "--json")
    doc = json.loads(out)
    assert code == 0 and {r["group"] for r in doc["numbers"]} == {
        "Highly profitable",
        "All customers",
    }


@pytest.mark.parametrize(
    ("args", "phrase"),
    [
        (("budget", "--total", "1000"), "Assumptions: value_kind=net"),
        (("moved",), "Run 2 vs run 1"),
        (("trends",), "Tiers per run"),
        (("whatif", "--cost-per-order", "1.5", "--discount-rate", "12%"), "Customer equity:"),
        (("profile",), "Tier against all customers"),
        (("settings",), "ltv_cac_ratio"),
    ],
)
def test_human_output(db_path: Path, args: tuple[str, ...], phrase: str) -> None:
    code, out, _ = run(db_path, *args)
    assert code == 0 and phrase in out
