"""The Campaigns drill-down, driven like a user: the list with statuses, and the highlighted
campaign's result after later orders were imported (a real generic CSV, linked by e-mail)."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

from textual.widgets import DataTable, Static

from clvtui.ingest import import_file
from clvtui.services.campaigns import Selection, new_campaign
from clvtui.store import open_db
from clvtui.tui.app import make_app
from clvtui.tui.screens.campaigns import CampaignsScreen
from tests.tui.conftest import SIZE, settle


def _campaigns_with_later_orders(path: Path, folder: Path) -> None:
    """Two campaigns; then, the day after the start, one order of 40.00 by every contacted
    member of the first and none by its control group, imported the way a user would (same
    e-mail, a generic CSV)."""
    db = open_db(path)
    new_campaign(db, "high value", Selection(tier="Highly profitable"), holdout=0.2, seed=1)
    new_campaign(db, "win back", Selection(action="winback"), holdout=0.1, seed=2)
    conn = sqlite3.connect(path)
    (start,) = conn.execute("SELECT start_date FROM campaigns WHERE name = 'high value'").fetchone()
    emails = [e for (e,) in conn.execute(
        "SELECT c.email FROM campaign_members m JOIN customers c USING (customer_id) "
        "JOIN campaigns k ON k.id = m.campaign_id "
        "WHERE k.name = 'high value' AND m.member_group = 'contacted'")]  # fmt: skip
    csv = folder / "later.csv"
    lines = ["order_id,customer_id,email,date,amount,currency"]
    day = dt.date.fromisoformat(start) + dt.timedelta(days=1)
    lines += [f"L{i},{e},{e},{day}T12:00:00Z,40.00,USD" for i, e in enumerate(emails)]
    csv.write_text("\n".join(lines) + "\n")
    import_file(db, csv, fmt="generic")


async def test_campaigns_list_and_result(demo_copy: Path, tmp_path: Path) -> None:
    _campaigns_with_later_orders(demo_copy, tmp_path)
    app = make_app(demo_copy)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        app.push_screen(CampaignsScreen())
        await settle(pilot, app)
        listed = app.screen.query_one("#campaigns-list", DataTable)
        assert listed.row_count == 2
        summary = str(app.screen.query_one("#campaign-summary", Static).render())
        assert "win back" in summary  # the newest is shown first
        await pilot.press("down")
        await settle(pilot, app)
        summary = str(app.screen.query_one("#campaign-summary", Static).render())
        # the demo's economics: 40 % margin, 3.00 per order — 13.00 profit per contacted
        n = int(str(listed.get_row("high value")[3]).replace(",", ""))
        assert "high value" in summary and f"Incremental profit ${13 * n:,.2f}" in summary
        assert n > 0
        result = app.screen.query_one("#campaign-result", DataTable)
        bought = result.get_row("Bought again")
        assert (str(bought[1]), str(bought[2])) == ("100.0 %", "0.0 %")
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, CampaignsScreen)
