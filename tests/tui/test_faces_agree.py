"""The same question gets the same answer from both faces (``clvtui.services``).

A tier rule changed after the fit must show everywhere at once: ``clvtui segments --json``,
``export``, ``rank``, ``trends``, the Overview, Segments, Customers and Tier screens, and the
budget plan of ``clvtui budget --json`` and the Budget screen (the screens once read the
tiers stored at fit time while the CLI re-applied today's rule).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import polars as pl
import pytest
from textual.widgets import DataTable
from typer.testing import CliRunner

from clvtui.cli import app as cli
from clvtui.insights.segments import TIERS
from clvtui.tui.app import make_app
from clvtui.tui.screens.tier import TierScreen
from clvtui.tui.widgets.frame_table import FrameTable
from tests.tui.conftest import DEMO_CUSTOMERS, SIZE, settle

# wider "Highly profitable" and stricter "active" than the defaults the demo was fitted with
NEW_RULE = ["top_value_share=0.8", "profit_floor=5", "active_min_p_alive=0.9"]


def clvtui(*args: str) -> dict:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def change_rule(db: Path) -> None:
    args = ["settings", "--db", str(db), "--json"]
    for item in NEW_RULE:
        args += ["--set", item]
    clvtui(*args)


def stored_tiers(db: Path) -> Counter:
    from clvtui.store import open_db
    from clvtui.store.runs import latest_run, scores_frame

    conn = open_db(db, readonly=True)
    run = latest_run(conn)
    assert run is not None
    return Counter(scores_frame(conn, int(run["id"]))["tier"].to_list())


def as_int(cell: object) -> int:
    return int(str(cell).replace(",", ""))


async def test_a_changed_tier_rule_shows_the_same_tiers_in_cli_and_every_screen(
    demo_copy: Path, tmp_path: Path
) -> None:
    at_fit = stored_tiers(demo_copy)
    change_rule(demo_copy)
    doc = clvtui("segments", "--db", str(demo_copy), "--json")
    cli_tiers = {t["name"]: t["customers"] for t in doc["tiers"]}
    assert doc["cutoffs"]["top_value_share"] == 0.8 and doc["cutoffs"]["profit_floor"] == 5
    assert sum(cli_tiers.values()) == DEMO_CUSTOMERS
    # the new rule really moves customers (else this test could not tell the two sources apart)
    assert cli_tiers[TIERS[0]] > at_fit[TIERS[0]]
    assert cli_tiers != {t: at_fit[t] for t in TIERS}
    cli_cells = {(c["tier"], c["risk"]): c["customers"] for c in doc["risk_matrix"]}
    # the history's latest fit is what segments shows (not the totals stored at fit time)
    runs = clvtui("trends", "--db", str(demo_copy), "--json")["runs"]
    latest = max(r["run_id"] for r in runs)
    assert {r["tier"]: r["customers"] for r in runs if r["run_id"] == latest} == cli_tiers
    # per customer: the CLI's export of everyone carries each customer's tier
    out = tmp_path / "all.csv"
    clvtui("export", "--all", "--db", str(demo_copy), "-o", str(out), "--json")
    exported = dict(pl.read_csv(out, infer_schema=False).select("customer_id", "tier").iter_rows())
    assert len(exported) == DEMO_CUSTOMERS
    # clvtui rank --tier lists the tier's customers by the same rule
    ranked = clvtui("rank", "--db", str(demo_copy), "--tier", TIERS[0], "--top", "5000",
                    "--format", "json")["customers"]  # fmt: skip
    assert {r["customer_id"] for r in ranked} == {c for c, t in exported.items() if t == TIERS[0]}

    app = make_app(demo_copy)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        matrix = app.screen.query_one("#tier-matrix", DataTable)  # Overview
        overview = {str(matrix.get_row_at(i)[0]): as_int(matrix.get_row_at(i)[4]) for i in range(3)}
        assert overview == cli_tiers

        await pilot.press("3")  # Segments: tier, customers, …, active, at risk, likely lost
        await settle(pilot, app)
        table = app.screen.query_one("#segments-table", DataTable)
        rows = [table.get_row_at(i) for i in range(table.row_count)]
        assert {str(r[0]): as_int(r[1]) for r in rows} == cli_tiers
        for r in rows:
            for risk, cell in zip(("active", "at risk", "likely lost"), r[5:8], strict=True):
                assert as_int(str(cell).split(" · ")[0]) == cli_cells[(str(r[0]), risk)]

        await pilot.press("2")  # Customers: every customer's tier
        await settle(pilot, app)
        full = app.screen.full
        assert full is not None and full.height == DEMO_CUSTOMERS
        assert dict(full.select("customer_id", "tier").iter_rows()) == exported

        tier = TIERS[0]
        app.push_screen(TierScreen(tier))
        await settle(pilot, app)
        shown = app.screen.query_one("#tier-customers", FrameTable)
        assert shown.row_count == cli_tiers[tier]


async def test_budget_plan_is_the_same_from_the_cli_and_the_screen(demo_copy: Path) -> None:
    """After the tier rule changed: both faces plan on today's tiers, to the cent."""
    change_rule(demo_copy)
    expected = clvtui("budget", "--db", str(demo_copy), "--total", "5000", "--json")
    app = make_app(demo_copy)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("4")
        await settle(pilot, app)
        plan = app.screen.plan
        assert plan is not None and plan.total == 5000
        shown = [a.to_json() for a in plan.allocations]
        assert [a["target"] for a in shown] == [a["target"] for a in expected["allocations"]]
        assert len(shown) >= 2  # win-back and at least one look-alike target
        for mine, theirs in zip(shown, expected["allocations"], strict=True):
            for key in ("spend", "expected_value", "customers"):
                assert mine[key] == pytest.approx(theirs[key], abs=0.005), (mine, key)
        assert plan.unallocated == pytest.approx(expected["unallocated"], abs=0.005)
        # the allowable CPA per tier on the screen is the CLI's (segments --json)
        segments = clvtui("segments", "--db", str(demo_copy), "--json")
        cpa = app.screen.query_one("#cpa-table", DataTable)
        screen_customers = {str(cpa.get_row_at(i)[0]): as_int(cpa.get_row_at(i)[1])
                            for i in range(cpa.row_count)}  # fmt: skip
        assert screen_customers == {t["name"]: t["customers"] for t in segments["tiers"]}
