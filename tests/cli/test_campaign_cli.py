"""``clvtui campaign`` and ``export --for`` through the real CLI on the fitted demo shop."""

from __future__ import annotations

import csv
import json
import sqlite3
from pathlib import Path

from typer.testing import CliRunner

from clvtui.cli import app

runner = CliRunner()


def run(db: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, [*args, "--db", str(db)])
    assert not (result.exception and not isinstance(result.exception, SystemExit)), result.exception
    return result.exit_code, result.stdout, result.stderr


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_new_campaign_exports_only_the_contacted(shop_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "winback.csv"
    code, stdout, _ = run(shop_copy, "campaign", "new", "june winback", "--action", "slipping-away",
                          "--holdout", "20%", "--seed", "3", "-o", str(out), "--for", "klaviyo",
                          "--json")  # fmt: skip
    assert code == 0
    doc = json.loads(stdout)
    conn = sqlite3.connect(shop_copy)
    groups = dict(
        conn.execute(
            "SELECT member_group, count(*) FROM campaign_members GROUP BY member_group"
        ).fetchall()
    )
    contacted_emails = {e.strip().lower() for (e,) in conn.execute(
        "SELECT c.email FROM campaign_members m JOIN customers c USING (customer_id) "
        "WHERE m.member_group = 'contacted' AND c.email IS NOT NULL")}  # fmt: skip
    _, at_risk, _ = run(shop_copy, "segments", "--json")
    assert groups["contacted"] + groups["control"] == json.loads(at_risk)["slipping_away_total"]
    assert groups["control"] == round(0.2 * (groups["contacted"] + groups["control"]))
    assert doc["contacted"] == groups["contacted"] and doc["seed"] == 3
    rows = read_csv(out)
    assert out.read_text().splitlines()[0].startswith("Email,First Name,Last Name,Country,")
    assert {r["Email"] for r in rows} == contacted_emails
    assert doc["export"]["rows"] == len(rows) and doc["export"]["for"] == "klaviyo"


def test_list_and_report_before_any_later_order(shop_copy: Path) -> None:
    assert run(shop_copy, "campaign", "new", "lost", "--risk", "likely lost", "--seed", "1")[0] == 0
    code, stdout, _ = run(shop_copy, "campaign", "list")
    assert code == 0 and "lost" in stdout and "waiting for orders" in stdout
    code, stdout, _ = run(shop_copy, "campaign", "report", "lost")
    assert code == 0 and "no orders after" in stdout


def test_refusals_are_one_line_and_store_nothing(shop_copy: Path, tmp_path: Path) -> None:
    taken = tmp_path / "taken.csv"
    taken.write_text("keep me")
    code, _, err = run(shop_copy, "campaign", "new", "x", "--action", "winback", "-o", str(taken))
    assert code == 1 and err.strip() == f"error: {taken} already exists; add --force to replace it"
    assert taken.read_text() == "keep me"
    code, _, err = run(shop_copy, "campaign", "new", "x", "--tier", "high", "--holdout", "150%")
    assert code == 1 and "--holdout must be above 0 % and below 100 %" in err
    code, _, err = run(shop_copy, "campaign", "new", "x", "--action", "vipp")
    assert code == 1 and "unknown action 'vipp'" in err
    code, _, err = run(
        shop_copy, "export", "--all", "-o", str(tmp_path / "a.xlsx"), "--for", "meta"
    )
    assert code == 1 and "meta imports CSV files" in err
    conn = sqlite3.connect(shop_copy)
    assert conn.execute("SELECT count(*) FROM campaigns").fetchone()[0] == 0


def test_export_for_every_tool(shop_db: Path, tmp_path: Path) -> None:
    for tool, first in [
        ("meta", "email,fn,ln,country,value"),
        ("google-ads", "Email,First Name"),
        ("shopify", "First Name,Last Name,Email,"),
        ("mailchimp", "Email Address,"),
    ]:
        out = tmp_path / f"{tool}.csv"
        code, stdout, _ = run(shop_db, "export", "--tier", "high", "-o", str(out), "--for", tool)
        assert code == 0 and f"for {tool} to {out}" in stdout
        assert out.read_text().splitlines()[0].startswith(first)
    meta = read_csv(tmp_path / "meta.csv")
    assert all(r["email"] == r["email"].strip().lower() and len(r["country"]) == 2 for r in meta)
