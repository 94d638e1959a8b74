"""The Model screen says, in plain words, when the data could not pin the model down."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import DataTable, Static

from clvtui.pipeline import fit_run
from clvtui.tui.app import make_app
from tests.model.helpers import load_orders
from tests.model.shops import no_dropout, orders_frame
from tests.tui.conftest import SIZE, settle


async def test_model_screen_shows_the_no_dropout_note(tmp_path: Path) -> None:
    x, t_x, T = no_dropout(600, seed=31)
    path = tmp_path / "wholesale.db"
    db = load_orders(path, orders_frame(x, t_x, T))
    fit_run(db, model="bgnbd")
    db.conn.close()
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("5")
        await settle(pilot, app)
        verdict = str(app.screen.query_one("#model-verdict", Static).render())
        assert "No customer visibly left in the data" in verdict
        params = app.screen.query_one("#params-table", DataTable)
        names = [str(params.get_row_at(i)[0]) for i in range(params.row_count)]
        assert names[:2] == ["r", "alpha"] and "a" not in names  # NBD: two purchase parameters
