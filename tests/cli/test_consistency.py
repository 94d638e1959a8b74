"""Every reporting command speaks the same way (issue 15, CLI): ``--json`` and ``--tier`` alike,
one name for one meaning in text and JSON, the same dates, one-line usage errors with exit 2,
and nothing cut in piped output. Real demo database, real commands (typer's CliRunner, whose
stdout is not a terminal: what a pipe sees)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from clvtui.cli import app

runner = CliRunner()
ENTRY_POINT = Path(sys.executable).with_name("clvtui")


def cli(db: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, [*args, "--db", str(db)])
    assert not (result.exception and not isinstance(result.exception, SystemExit)), result.exception
    return result.exit_code, result.stdout, result.stderr


def ok_json(db: Path, *args: str) -> Any:
    code, out, err = cli(db, *args)
    assert code == 0, err
    return json.loads(out)


def test_rank_json_flag_is_the_format_json_alias(shop_db: Path) -> None:
    flag = ok_json(shop_db, "rank", "--top", "7", "--json")
    alias = ok_json(shop_db, "rank", "--top", "7", "--format", "json")
    assert flag == alias and len(flag["customers"]) == 7


@pytest.mark.parametrize("typed", ["high", "HIGH", "Highly profitable", "highly profitable"])
def test_rank_tier_takes_what_export_takes(shop_db: Path, tmp_path: Path, typed: str) -> None:
    ranked = ok_json(shop_db, "rank", "--tier", typed, "--top", "100000", "--json")["customers"]
    assert ranked and {r["tier"] for r in ranked} == {"Highly profitable"}
    out = tmp_path / "high.csv"
    code, _, err = cli(shop_db, "export", "--tier", typed, "-o", str(out))
    assert code == 0, err
    exported = out.read_text(encoding="utf-8").splitlines()[1:]
    assert len(exported) == len(ranked)  # the same customers, chosen by the same word


def test_rank_unknown_tier_is_one_line_naming_the_tiers(shop_db: Path) -> None:
    code, out, err = cli(shop_db, "rank", "--tier", "gold")
    assert code == 1 and out == ""
    assert err.strip().splitlines() == [
        "error: unknown tier 'gold'; use one of: Highly profitable, Profitable, Not profitable"
    ]


def test_rank_text_and_json_same_names_values_and_date(shop_db: Path) -> None:
    doc = ok_json(shop_db, "rank", "--top", "5", "--json")
    code, text, _ = cli(shop_db, "rank", "--top", "5")
    assert code == 0
    lines = text.splitlines()
    assert f"scored as of {doc['as_of']}" in lines[0]
    header = lines[1].split()
    assert "expected_orders" in header and "orders" in header
    seg = ok_json(shop_db, "segments", "--json")
    assert seg["run_id"] == doc["run_id"]
    for line, row in zip(lines[2:], doc["customers"], strict=True):
        cells = line.split()
        assert cells[0] == row["customer_id"]
        # after CLV, interval and P(alive), P(order 90d): expected orders, then orders so far
        expected, orders = cells[5], cells[6]
        assert expected == f"{row['expected_orders']:.2f}"
        assert orders == f"{row['orders']:,}" and isinstance(row["orders"], int)
    # orders so far are whole purchases; expected orders are a forecast (not whole)
    assert any(r["expected_orders"] != round(r["expected_orders"]) for r in doc["customers"])


@pytest.mark.parametrize(
    ("args", "phrase"),
    [
        (("segmnts",), "No such command 'segmnts'. Did you mean 'segments'?"),
        (("budget", "--total", "abc"), "Invalid value for '--total'"),
        (("budget",), "Missing option '--total'"),
        (("rank", "--top", "many"), "Invalid value for '--top'"),
        (("runs", "prune", "--kep", "3"), "No such option: --kep"),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(
    shop_db: Path, args: tuple[str, ...], phrase: str
) -> None:
    code, out, err = cli(shop_db, *args)
    assert code == 2 and out == ""
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and phrase in lines[0], err
    assert "--help" in lines[0] and "╭" not in err and "Usage:" not in err


def test_usage_error_through_the_installed_command_is_one_line(shop_db: Path) -> None:
    """What a shop owner's shell sees (not the test runner): one line, exit code 2."""
    command = [str(ENTRY_POINT)] if ENTRY_POINT.exists() else [sys.executable, "-m", "clvtui"]
    done = subprocess.run(
        [*command, "budget", "--total", "abc", "--db", str(shop_db)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("error: Invalid value")


@pytest.mark.parametrize("total", ["0", "-5", "0.0", "nan"])
def test_budget_refuses_nothing_to_split(shop_db: Path, total: str) -> None:
    code, out, err = cli(shop_db, "budget", "--total", total)
    assert code == 1 and out == ""
    assert len(err.splitlines()) == 1 and "the budget must be a positive amount" in err


def test_piped_tables_print_customer_ids_whole(
    shop_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "80")  # a narrow terminal's setting must not cut a pipe
    listed = ok_json(shop_db, "segments", "--json")["slipping_away"]
    code, text, _ = cli(shop_db, "segments", "--top", "20")
    assert code == 0 and listed
    for row in listed:
        line = next(ln for ln in text.splitlines() if ln.strip().startswith(row["customer_id"]))
        assert row["tier"] in line and "…" not in line


def test_print_table_keeps_a_long_email_id_on_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    from clvtui.cli.common import print_table

    long_id = "shopify:" + "very.long.customer.name." * 4 + "someone@example-shop.co.uk"
    print_table("Slipping", ["customer", "tier", "CLV"], [[long_id, "Highly profitable", "1.00"]])
    lines = capsys.readouterr().out.splitlines()  # captured: not a terminal
    row = [ln for ln in lines if long_id in ln]
    assert len(row) == 1 and "Highly profitable" in row[0] and len(row[0]) > 120


def test_moved_compares_by_as_of_date_and_prints_the_movers(shop_copy: Path) -> None:
    """A backtest fitted after the plain fit is earlier in time: it has nothing before it,
    and the plain fit compares back to it (never the other way round)."""
    first = ok_json(shop_copy, "runs", "--json")["runs"][0]
    code, _, err = cli(shop_copy, "fit", "--as-of", "2026-01-31", "--json")
    assert code == 0, err
    doc = ok_json(shop_copy, "moved", "--json")  # the latest fit: the backtest
    assert doc["run_id"] == 2 and doc["previous_run_id"] is None and doc["moved"] == 0
    assert "no fit is scored before run 2's as-of date (2026-01-31)" in doc["notes"][0]
    plain = ok_json(shop_copy, "moved", "--run", str(first["id"]), "--json", "--limit", "3")
    assert plain["previous_run_id"] == 2
    assert plain["previous_as_of"] == "2026-01-31" < plain["as_of"] == str(first["as_of"])[:10]
    assert plain["moved"] > 3 and len(plain["customers"]) == 3
    code, text, _ = cli(shop_copy, "moved", "--run", str(first["id"]), "--limit", "3")
    assert code == 0
    assert f"Run {first['id']} vs run 2 (as of {plain['as_of']} vs 2026-01-31)" in text
    assert f"Movers (top 3 of {plain['moved']:,}" in text
    shown = [ln.split()[0] for ln in text.splitlines() if ln.strip().startswith("shopify:")]
    assert shown == [c["customer_id"] for c in plain["customers"]]
    # a refit as of the plain fit's date is the same moment: it compares with the earlier date
    code, _, err = cli(shop_copy, "fit", "--json")
    assert code == 0, err
    refit = ok_json(shop_copy, "moved", "--json")
    assert refit["run_id"] == 3 and refit["previous_run_id"] == 2


def _slipping_by_hand(customers: list[dict[str, Any]], multiple: float) -> list[str]:
    """The rule, computed here from rank's figures: valuable, not active, at stake ≥ floor."""
    floor = multiple * sum(c["clv"] for c in customers) / len(customers)
    rows = [
        (c["clv"] * (1 - c["p_alive"]), c["customer_id"])
        for c in customers
        if c["tier"] in ("Highly profitable", "Profitable") and c["risk"] != "active"
    ]
    return [cid for stake, cid in sorted(rows, key=lambda r: (-r[0], r[1])) if stake >= floor]


def test_slipping_away_means_valuable_in_segments_and_export(
    shop_copy: Path, tmp_path: Path
) -> None:
    everyone = ok_json(shop_copy, "rank", "--top", "1000000", "--json")["customers"]
    mean_clv = sum(c["clv"] for c in everyone) / len(everyone)
    seg = ok_json(shop_copy, "segments", "--json", "--top", "10")
    want = _slipping_by_hand(everyone, 1.0)
    assert seg["slipping_min_value_at_stake"] == pytest.approx(mean_clv, rel=1e-9)
    assert seg["slipping_away_total"] == len(want)
    assert [r["customer_id"] for r in seg["slipping_away"]] == want[:10]
    old_rule = _slipping_by_hand(everyone, 0.0)  # every valuable customer who is not active
    # a win-back list, not most of the shop (nor of the valuable customers who are not active)
    assert 0 < len(want) < len(old_rule) / 5 and len(want) < len(everyone) / 20
    out = tmp_path / "winback.csv"
    code, _, err = cli(shop_copy, "export", "--at-risk", "-o", str(out))
    assert code == 0, err
    ids = [ln.split(",")[0] for ln in out.read_text(encoding="utf-8").splitlines()[1:]]
    assert sorted(ids) == sorted(want)
    code, text, _ = cli(shop_copy, "segments", "--top", "3")
    assert re.search(rf"Valuable but slipping away: {len(want):,} customers with at least", text)
    # the setting moves the floor, for every face at once
    code, _, err = cli(shop_copy, "settings", "--set", "slipping_min_stake=0")
    assert code == 0, err
    assert ok_json(shop_copy, "segments", "--json")["slipping_away_total"] == len(old_rule)
