"""``clvtui cohorts`` and ``clvtui plan`` end to end on a real fitted SQLite file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clvtui.cli import app
from tests.dbfiles import private_copy

runner = CliRunner()


def run(db: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, [*args, "--db", str(db)])
    assert not (result.exception and not isinstance(result.exception, SystemExit)), result.exception
    return result.exit_code, result.stdout, result.stderr


def test_cohorts_json_marks_actual_then_expected(fitted: Path) -> None:
    code, out, _ = run(fitted, "cohorts", "--json")
    assert code == 0
    doc = json.loads(out)
    assert doc["unit"] == "month" and doc["value_kind"] == "net"
    for row in doc["cohorts"]:
        kinds = [c["kind"] for c in row["cells"]]
        first_expected = kinds.index("expected")
        assert set(kinds[:first_expected]) == {"actual"}
        assert set(kinds[first_expected:]) == {"expected"}
        assert [c["offset"] for c in row["cells"]] == list(range(len(kinds)))
        assert row["cells"][-1]["value"] == pytest.approx(row["horizon_value"])
    assert sum(r["customers"] for r in doc["cohorts"]) == 500


def test_cohorts_by_channel_take_the_channels_spend(fitted: Path, tmp_path: Path) -> None:
    db = private_copy(fitted, tmp_path)
    code, out, _ = run(db, "cohorts", "--by", "channel", "--json")
    rows = json.loads(out)["cohorts"]
    first = min(rows, key=lambda r: (r["label"], r["group"]))
    sheet = tmp_path / "spend.csv"
    sheet.write_text(f"month,channel,amount\n{first['label']},{first['group'].upper()},1000\n")
    assert run(db, "spend", "import", str(sheet), "--json")[0] == 0
    code, out, _ = run(db, "cohorts", "--by", "channel", "--json")
    again = {(r["label"], r["group"]): r for r in json.loads(out)["cohorts"]}
    got = again[(first["label"], first["group"])]
    assert got["cac_source"] == "spend"
    assert got["cac"] == pytest.approx(1000 / first["customers"])
    code, out, _ = run(db, "cohorts")
    assert code == 0 and "~" in out and first["label"] in out


def test_cohorts_by_channel_with_spend_and_no_acquisition_cost_setting(
    fitted: Path, tmp_path: Path
) -> None:
    """Spend for one month and no acquisition cost set (0, the default): that month's channel
    gets spend ÷ its new customers, every other cohort no CAC at all. This raised (polars'
    fill_null refused the missing setting, None) and printed a traceback."""
    db = private_copy(fitted, tmp_path)
    assert run(db, "settings", "--set", "acquisition_cost=0")[0] == 0
    rows = json.loads(run(db, "cohorts", "--by", "channel", "--json")[1])["cohorts"]
    first = min(rows, key=lambda r: (r["label"], r["group"]))
    sheet = tmp_path / "spend.csv"
    sheet.write_text(f"month,channel,amount\n{first['label']},{first['group']},600\n")
    assert run(db, "spend", "import", str(sheet), "--json")[0] == 0
    code, out, err = run(db, "cohorts", "--by", "channel", "--json")
    assert code == 0, err
    again = {(r["label"], r["group"]): r for r in json.loads(out)["cohorts"]}
    got = again.pop((first["label"], first["group"]))
    assert got["cac_source"] == "spend"
    assert got["cac"] == pytest.approx(600 / first["customers"], rel=1e-12)
    assert {(r["cac"], r["cac_source"]) for r in again.values()} == {(None, None)}


def test_plan_json_and_text_agree(fitted: Path) -> None:
    code, out, _ = run(fitted, "plan", "--revenue-goal", "90000", "--months", "6", "--json")
    assert code == 0
    doc = json.loads(out)
    assert len(doc["base"]["monthly"]) == 6
    assert doc["gap"] == pytest.approx(90000 - doc["base"]["revenue"])
    code, text, _ = run(fitted, "plan", "--revenue-goal", "90000", "--months", "6")
    assert code == 0 and doc["verdict"] in text.replace("\n", " ")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("plan", "--revenue-goal", "-5"), "revenue goal must be a positive amount"),
        (("plan", "--revenue-goal", "100", "--months", "0"), "--months must be 1–60"),
        (("plan", "--revenue-goal", "100", "--retention-uplift", "lots"), "retention uplift"),
        (("cohorts", "--by", "colour"), "--by must be one of"),
    ],
)
def test_bad_input_is_one_line_and_exit_1(
    fitted: Path, args: tuple[str, ...], message: str
) -> None:
    code, out, err = run(fitted, *args)
    assert code == 1 and out == ""
    assert message in err and len(err.strip().splitlines()) == 1
