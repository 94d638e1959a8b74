"""``clvtui costs``, ``clvtui channels`` and ``budget --by-channel`` on the real demo shop, and
cost columns surviving ``imports undo`` (real files, real database)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from clvtui.cli import app
from clvtui.ingest.importer import import_file
from clvtui.store import open_db

runner = CliRunner()
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "costs"


def cli(db: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, [*args, "--db", str(db)])
    assert not (result.exception and not isinstance(result.exception, SystemExit)), result.exception
    return result.exit_code, result.stdout, result.stderr


def test_channels_json_matches_the_table(shop_db: Path) -> None:
    code, out, err = cli(shop_db, "channels", "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["by"] == "channel" and doc["min_group"] == 30
    total = sum(g["customers"] for g in doc["groups"])
    assert total == 2_000  # every fitted customer is in exactly one group
    for g in doc["groups"]:
        assert g["value_low"] <= g["value"] <= g["value_high"]
        if g["enough"]:
            assert abs(g["allowable_cpa"] - max(g["value"], 0) / doc["ltv_cac_ratio"]) < 1e-9
    code, text, _ = cli(shop_db, "channels")
    assert code == 0 and doc["groups"][0]["group"] in text


def test_channels_refuses_an_unknown_grouping(shop_db: Path) -> None:
    code, _, err = cli(shop_db, "channels", "--by", "weather")
    assert code == 1
    assert err.strip() == (
        "error: unknown grouping 'weather'; use one of: channel, first_product, "
        "discount_code, country"
    )


def test_budget_by_channel_spends_at_most_the_total(shop_copy: Path) -> None:
    assert cli(shop_copy, "settings", "--set", "acquisition_cost=5")[0] == 0
    code, out, err = cli(shop_copy, "budget", "--total", "2000", "--by-channel", "--json")
    assert code == 0, err
    doc = json.loads(out)
    spent = sum(a["spend"] for a in doc["allocations"])
    assert abs(spent + doc["unallocated"] - 2000) < 0.05 and doc["allocations"]


def test_costs_on_a_shop_without_cost_data(shop_db: Path) -> None:
    code, out, err = cli(shop_db, "costs", "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert not doc["used_by_fit"] and doc["per_purchase"]["observed"] == 0.0
    code, text, _ = cli(shop_db, "costs")
    assert code == 0 and "Cost to serve per purchase" in text


def test_undo_restores_the_cost_columns(tmp_path: Path) -> None:
    db_path = tmp_path / "clv.db"
    db = open_db(db_path)
    import_file(db, FIXTURES / "stripe_fees.csv")
    changed = tmp_path / "stripe_fees_later.csv"
    changed.write_text((FIXTURES / "stripe_fees.csv").read_text().replace(",3.20,", ",9.99,"))
    import_file(db, changed)
    fee = "SELECT fee_minor FROM orders WHERE order_id = 'ch_1'"
    assert db.conn.execute(fee).fetchone()[0] == 999
    code, _, err = cli(db_path, "imports", "undo", "2")
    assert code == 0, err
    assert open_db(db_path).conn.execute(fee).fetchone()[0] == 320
