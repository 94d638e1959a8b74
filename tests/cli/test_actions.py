"""``clvtui actions`` and ``export --action`` on the fitted demo shop: the same customers."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clvtui.cli import app
from clvtui.settings import ACTION_NAMES
from tests.dbfiles import checkpoint

runner = CliRunner()


def run(db: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, [*args, "--db", str(db)])
    assert not (result.exception and not isinstance(result.exception, SystemExit)), result.exception
    return result.exit_code, result.stdout, result.stderr


def test_actions_add_up_and_match_their_exports(shop_db: Path, tmp_path: Path) -> None:
    code, out, _ = run(shop_db, "actions", "--json")
    assert code == 0
    doc = json.loads(out)
    segments = json.loads(run(shop_db, "segments", "--json")[1])
    n = sum(t["customers"] for t in segments["tiers"])
    assert doc["customers"] == n == sum(a["customers"] for a in doc["actions"])
    assert sum(c["customers"] for c in doc["cells"]) == n
    stake = sum(c["value_at_stake"] for c in segments["risk_matrix"])
    assert sum(a["value_at_stake"] for a in doc["actions"]) == pytest.approx(stake, rel=1e-9)
    seen: set[str] = set()
    for a in doc["actions"]:
        path = tmp_path / f"{a['action']}.csv"
        code, _, err = run(shop_db, "export", "--action", a["action"], "-o", str(path))
        assert code == 0, err
        rows = list(csv.DictReader(path.open()))
        assert len(rows) == a["customers"]
        assert {r["action"] for r in rows} <= {a["action"]}
        spend = sum(float(r["max_spend"]) for r in rows)
        assert spend == pytest.approx(a["max_spend_total"], abs=0.005 * len(rows) + 1e-9)
        ids = {r["customer_id"] for r in rows}
        assert not ids & seen  # every customer in exactly one list
        seen |= ids
    assert len(seen) == n


def test_tier_filter_keeps_one_tier(shop_db: Path) -> None:
    doc = json.loads(run(shop_db, "actions", "--json", "--tier", "high")[1])
    assert doc["tier"] == "Highly profitable"
    assert {c["tier"] for c in doc["cells"]} <= {"Highly profitable", "Recent one-time buyers"}
    assert doc["customers"] == sum(c["customers"] for c in doc["cells"])
    assert doc["customers"] == sum(a["customers"] for a in doc["actions"])
    assert {a["action"] for a in doc["actions"]} == {c["action"] for c in doc["cells"]}


def test_the_rule_table_is_edited_in_settings(shop_copy: Path) -> None:
    before = json.loads(run(shop_copy, "actions", "--json")[1])
    code, _, err = run(shop_copy, "settings", "--set", "action_profitable_lost=no-paid-contact")
    assert code == 0, err
    after = json.loads(run(shop_copy, "actions", "--json")[1])
    cells = {(c["tier"], c["risk"]): c for c in after["cells"]}
    cell = cells[("Profitable", "likely lost")]
    assert cell["action"] == "no-paid-contact" and cell["max_spend_each"] == 0.0
    moved = cell["customers"]
    won = {a["action"]: a["customers"] for a in after["actions"]}
    was = {a["action"]: a["customers"] for a in before["actions"]}
    assert won["no-paid-contact"] == was["no-paid-contact"] + moved
    assert won["winback"] == was["winback"] - moved


def test_unknown_action_names_are_one_line_and_change_nothing(shop_copy: Path) -> None:
    stamp = checkpoint(shop_copy).read_bytes()
    code, _, err = run(shop_copy, "settings", "--set", "action_high_active=discount")
    assert code == 1 and err.count("\n") == 1
    assert "action_high_active must be one of " + ", ".join(ACTION_NAMES) in err
    code, _, err = run(shop_copy, "export", "--action", "spam", "-o", "/tmp/never.csv")
    assert code == 1 and err.startswith("error: unknown action 'spam'") and err.count("\n") == 1
    assert checkpoint(shop_copy).read_bytes() == stamp


def test_cross_sell_list_suggests_a_product_the_customer_has_not_bought(
    shop_db: Path, tmp_path: Path
) -> None:
    """The demo's Shopify export has order lines: every cross-sell customer exported gets a
    ``suggested_product``, never one already on their orders (checked against the stored
    lines, through the customer's orders)."""
    import sqlite3

    out = tmp_path / "cross-sell.csv"
    code, _, err = run(shop_db, "export", "--action", "cross-sell", "-o", str(out))
    assert code == 0, err
    with out.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert rows and all(r["suggested_product"] for r in rows)
    conn = sqlite3.connect(shop_db)
    bought: dict[str, set[str]] = {}
    for customer, product in conn.execute(
        "SELECT o.customer_key, l.product FROM order_lines l "
        "JOIN orders o USING (source, order_id) WHERE o.is_purchase = 1"
    ):
        bought.setdefault(customer, set()).add(product)
    assert all(r["suggested_product"] not in bought[r["customer_id"]] for r in rows)
