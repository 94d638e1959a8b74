"""The Import screen's column mapping (the CLI's ``--map`` and ``--timezone`` on screen), no
stale mapping after a failed preview or another file, and the Customers export's columns."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from textual.widgets import DataTable, Input, Select
from textual.widgets.select import InvalidSelectValueError
from typer.testing import CliRunner

from clvtui.cli import app as cli
from clvtui.tui.app import make_app
from tests.tui.conftest import DEMO_CUSTOMERS, SIZE, settle

ODD = Path("fixtures/generic_odd_headers.csv").resolve()
GOOD = Path("fixtures/generic_orders.csv").resolve()


def rows(table: DataTable) -> list[list[str]]:
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


def text(screen, selector: str) -> str:  # type: ignore[no-untyped-def]
    return str(screen.query_one(selector).render())


async def preview(pilot, app, path: Path) -> None:  # type: ignore[no-untyped-def]
    box = app.screen.query_one("#import-path", Input)
    box.value = str(path)
    box.focus()
    await pilot.press("enter")
    await settle(pilot, app)


async def test_map_columns_on_screen_then_import_uses_them(tmp_path: Path) -> None:
    db_path = tmp_path / "shop.db"
    app = make_app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("6")
        await settle(pilot, app)
        screen = app.screen
        await preview(pilot, app, ODD)
        # the fix names the screen's own control, not the CLI's --map, and is half done
        summary = text(screen, "#import-summary")
        assert "Preview failed" in summary and "--map" not in summary
        assert "set customer_id=?, ordered_at=?, amount=Net Total in Map columns (m)" in summary
        assert screen.query_one("#import-map", Input).value == "amount=Net Total"
        assert screen.query_one("#import-format", Select).value == "generic"
        assert screen.query_one("#import-mapping", DataTable).row_count == 0
        toasts = [str(n.message) for n in app._notifications]
        assert all("\n" not in t for t in toasts)

        # pick a field and one of the file's columns: it joins the box, and previews again
        screen.query_one("#import-field", Select).value = "customer_id"
        screen.query_one("#import-column", Select).value = "Kunde"  # a column of the file
        await settle(pilot, app)
        box = screen.query_one("#import-map", Input)
        assert box.value == "amount=Net Total, customer_id=Kunde"
        summary = text(screen, "#import-summary")
        assert "fix: set ordered_at=? in Map columns (m)" in summary  # one field left

        await pilot.press("escape", "m")  # m: into the mapping box
        assert screen.focused is box
        box.value = "order_id=Beleg, ordered_at=Bestelldatum, " + box.value
        box.value += ", currency=EUR"
        screen.query_one("#import-timezone", Input).value = "Europe/Berlin"
        await pilot.press("enter")  # Enter in the box previews with it
        await settle(pilot, app)
        assert screen.previewed == ODD
        assert rows(screen.query_one("#import-mapping", DataTable)) == [
            ["order_id", "Beleg"],
            ["ordered_at", "Bestelldatum"],
            ["amount", "Net Total"],
            ["customer_id", "Kunde"],
            ["currency", "EUR (set here, not a column)"],
        ]
        assert "5 orders" in text(screen, "#import-summary")
        assert not db_path.exists() or _orders(db_path) == []  # a preview writes nothing

        await pilot.press("escape", "i")
        await settle(pilot, app)
        assert "Imported generic_odd_headers.csv" in text(screen, "#import-summary")
    assert _orders(db_path) == [
        ("B-1001", "generic:K-17", "2024-03-01T08:30:00Z", 1990, "EUR"),
        ("B-1002", "generic:K-17", "2024-04-12T16:05:00Z", 2450, "EUR"),  # CEST: UTC+2
        ("B-1003", "generic:K-23", "2024-03-15T10:00:00Z", 700, "EUR"),
        ("B-1004", "generic:K-42", "2024-05-02T21:30:00Z", 12000, "EUR"),
        ("B-1005", "generic:K-23", "2024-06-20T06:15:00Z", 1525, "EUR"),
    ]


def _orders(db_path: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(db_path) as conn:
        return conn.execute(
            "SELECT order_id, customer_key, ordered_at, amount_minor, currency FROM orders "
            "ORDER BY order_id"
        ).fetchall()


async def test_a_failed_preview_then_another_file_shows_no_stale_mapping(tmp_path: Path) -> None:
    app = make_app(tmp_path / "shop.db")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("6")
        await settle(pilot, app)
        screen = app.screen
        mapping = screen.query_one("#import-mapping", DataTable)
        sample = screen.query_one("#import-sample", DataTable)
        go = screen.query_one("#import-go")
        await preview(pilot, app, GOOD)
        assert ["customer_id", "customer"] in rows(mapping) and sample.row_count > 0
        assert not go.disabled

        await preview(pilot, app, ODD)  # fails: nothing of the good file may stay on screen
        assert mapping.row_count == 0 and sample.row_count == 0 and go.disabled
        assert screen.previewed is None
        assert screen.query_one("#import-map", Input).value == "amount=Net Total"
        assert not screen.query_one("#import-column", Select).disabled  # the odd file's columns

        await preview(pilot, app, GOOD)  # a new file: the odd file's mapping is gone too
        assert screen.query_one("#import-map", Input).value == ""
        assert screen.query_one("#import-format", Select).value == "auto"  # as was chosen
        assert rows(mapping) == [
            ["customer_id", "customer"],
            ["ordered_at", "date"],
            ["amount", "amount"],
        ]
        assert "generic_orders.csv" in text(screen, "#import-summary")
        picker = screen.query_one("#import-column", Select)
        picker.value = "amount"  # this file's columns are offered now …
        with pytest.raises(InvalidSelectValueError):
            picker.value = "Kunde"  # … and no longer the odd file's

        box = screen.query_one("#import-map", Input)  # a changed mapping needs a new preview
        box.value = "amount=date"
        await settle(pilot, app)
        assert screen.previewed is None and go.disabled
        assert "Mapping changed" in text(screen, "#import-summary")


async def test_customers_export_has_the_cli_export_columns(demo_copy: Path) -> None:
    """``e`` on Customers writes the rows shown, in their order, with exactly the columns and
    values of ``clvtui export --all`` (CLV interval, P(order), next-order dates)."""
    cli_file = demo_copy.parent / "cli-export.csv"
    done = CliRunner().invoke(cli, ["export", "--all", "--db", str(demo_copy), "-o", str(cli_file)])
    assert done.exit_code == 0, done.output
    from_cli = pl.read_csv(cli_file)
    app = make_app(demo_copy)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("2")
        await settle(pilot, app)
        await pilot.press("s")  # sorted by P(alive): the file keeps the screen's order
        await settle(pilot, app)
        shown = app.screen.view().get_column("customer_id").to_list()
        await pilot.press("e")
        await settle(pilot, app)
        await pilot.press("3", "e")  # Segments: the highlighted tier, as export --tier has it
        await settle(pilot, app)
    written = demo_copy.parent / "exports" / f"customers-{date.today().isoformat()}.csv"
    from_tui = pl.read_csv(written)
    assert from_tui.columns == from_cli.columns
    assert {"clv_low", "clv_high", "next_order_from", "next_order_to"} <= set(from_tui.columns)
    assert from_tui.height == DEMO_CUSTOMERS
    assert from_tui.get_column("customer_id").to_list() == shown
    assert from_tui.sort("customer_id").equals(from_cli.sort("customer_id"))
    (tier_file,) = (demo_copy.parent / "exports").glob("tier-*.csv")
    from_tier = pl.read_csv(tier_file)
    (tier,) = from_tier.get_column("tier").unique().to_list()
    assert from_tier.height > 0 and tier_file.name.startswith("tier-highly-profitable")
    in_cli = from_cli.filter(pl.col("tier") == tier)
    assert from_tier.sort("customer_id").equals(in_cli.sort("customer_id"))
