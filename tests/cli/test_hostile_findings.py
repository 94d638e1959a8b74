"""The hostile tester's findings (issue 15 follow-up): each bad input is refused in ONE line on
stderr, with exit 1 or 2 and no traceback, on the real demo database and real files."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clvtui.cli import app
from clvtui.core.currency import currency_code, suggest
from clvtui.errors import InputError

runner = CliRunner()


def refused(db: Path, *args: str) -> str:
    """The one error line of a refused command (asserting there is exactly one, no traceback)."""
    result = runner.invoke(app, [*args, "--db", str(db)])
    assert result.exit_code in (1, 2), result.stdout
    assert not (result.exception and not isinstance(result.exception, SystemExit))
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


def test_scores_out_on_a_damaged_run_report_is_one_line(shop_copy: Path, tmp_path: Path) -> None:
    with sqlite3.connect(shop_copy) as conn:
        conn.execute("UPDATE runs SET report = '{\"model\": broken' WHERE id = 1")
    line = refused(shop_copy, "scores", "--out", str(tmp_path / "s.csv"))
    assert "damaged (malformed JSON in run 1's report)" in line and str(shop_copy) in line
    assert not (tmp_path / "s.csv").exists()


@pytest.mark.parametrize(
    ("typed", "hint"),
    [("euro", "EUR"), ("Euros", "EUR"), ("EUX", "EUR"), ("dollars", "USD"), ("yen", "JPY")],
)
def test_currency_must_be_an_iso_code_with_a_suggestion(
    shop_copy: Path, typed: str, hint: str
) -> None:
    line = refused(shop_copy, "fit", "--currency", typed)
    assert line == (
        f"error: --currency: {typed!r} is not an ISO 4217 currency code; did you mean {hint}?"
    )


def test_currency_codes_in_any_case_are_accepted() -> None:
    assert currency_code(" eur ") == "EUR" and currency_code("JPY") == "JPY"
    assert suggest("qqq") is None
    with pytest.raises(InputError, match=r"'QQQ' is not an ISO 4217 currency code \(three"):
        currency_code("QQQ")


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("--as-of", "0001-01-01"), "as-of date 0001-01-01 is not plausible: give a day from "
         "1970-01-01 to 2100-12-31"),
        (("--as-of", "9999-12-31"), "as-of date 9999-12-31 is not plausible"),
        (("--holdout-weeks", "100000"), "--holdout-weeks must be from 1 to 520 (ten years; got "
         "100000)"),
    ],
)  # fmt: skip
def test_absurd_as_of_and_holdout_are_refused(
    shop_copy: Path, args: tuple[str, ...], expected: str
) -> None:
    before = shop_copy.read_bytes()
    assert expected in refused(shop_copy, "fit", *args)
    assert shop_copy.read_bytes() == before  # no run stored


def test_summary_fit_refuses_seasonality_on(shop_copy: Path, tmp_path: Path) -> None:
    summary = tmp_path / "summary.csv"
    summary.write_text("customer_id,x,t_x,T,m\na,1,10,20,30\n", encoding="utf-8")
    line = refused(shop_copy, "fit", "--summary", str(summary), "--seasonality", "on")
    assert "--seasonality on needs the stored orders' dates" in line


def test_import_map_currency_must_be_a_code(tmp_path: Path) -> None:
    orders = tmp_path / "orders.csv"
    orders.write_text("order_id,customer_id,date,amount\n1,a,2025-01-02,10.00\n", "utf-8")
    line = refused(
        tmp_path / "shop.db", "import", str(orders), "--format", "generic",
        "--map", "currency=euro",
    )  # fmt: skip
    assert "--map currency=euro: 'euro' is not an ISO 4217 currency code; did you mean EUR?" in line
    assert not (tmp_path / "shop.db").exists()


def test_moved_on_the_earliest_of_several_fits_does_not_say_only_one_run(shop_copy: Path) -> None:
    refit = runner.invoke(app, ["fit", "--db", str(shop_copy)])
    assert refit.exit_code == 0, refit.stderr
    result = runner.invoke(app, ["moved", "--run", "1", "--db", str(shop_copy)])
    assert result.exit_code == 0, result.stderr
    assert "only one run" not in result.stdout
    assert result.stdout.startswith(
        "no fit is scored before run 1's as-of date (2026-06-30): moved compares a fit with the "
        "one before it in time; pick a later fit with --run N"
    )


def test_one_customer_is_singular(tmp_path: Path) -> None:
    orders = tmp_path / "one.csv"
    orders.write_text("order_id,customer_id,date,amount,currency\n1,a,2025-01-02,10.00,EUR\n")
    db = tmp_path / "one.db"
    done = runner.invoke(app, ["import", str(orders), "--format", "generic", "--db", str(db)])
    assert done.exit_code == 0, done.stderr
    fit = runner.invoke(app, ["fit", "--db", str(db)])
    assert fit.exit_code == 0, fit.stderr
    said = fit.stdout + fit.stderr
    assert "on 1 customer, scored as of 2025-01-02" in said
    assert "this data has 1 customer and 0 repeat buyers" in said
    assert "1 customers" not in said


def test_moved_reads_only_the_columns_it_compares(shop_db: Path) -> None:
    """Two fits' whole rankings (names, e-mails, sources, …) were read to compare four
    columns: ~58 MB more at a million customers. Only the compared columns are read now."""
    from clvtui.services.trends import MOVE_COLUMNS, _tiered
    from clvtui.settings import Settings
    from clvtui.store import open_db

    frame = _tiered(open_db(shop_db, readonly=True), 1, MOVE_COLUMNS, Settings())
    assert sorted(frame.columns) == sorted(
        ["customer_id", "clv", "p_alive", "x", "T", "tier", "risk"]
    )


def test_control_characters_in_an_id_are_escaped_in_text_output(tmp_path: Path) -> None:
    """A newline, tab or escape sequence inside a customer id keeps each row one line in the
    rank and segments tables (JSON keeps the id as it is)."""
    orders = tmp_path / "evil.csv"
    orders.write_text(
        'order_id,customer_id,date,amount,currency\n1,"ev\nil\t\x1b[31mred",2025-01-02,10.00,EUR\n'
        "2,plain,2025-01-03,12.00,EUR\n",
        encoding="utf-8",
    )
    db = str(tmp_path / "evil.db")
    assert (
        runner.invoke(app, ["import", str(orders), "--format", "generic", "--db", db]).exit_code
        == 0
    )
    assert runner.invoke(app, ["fit", "--db", db]).exit_code == 0
    rank = runner.invoke(app, ["rank", "--db", db])
    lines = rank.stdout.splitlines()
    assert len(lines) == 4  # heading, header, two customers
    assert lines[2].startswith("generic:ev\\nil\\t\\x1b[31mred ") and "\x1b" not in rank.stdout
    doc = runner.invoke(app, ["rank", "--json", "--db", db]).stdout
    assert "generic:ev\nil\t\x1b[31mred" in [c["customer_id"] for c in json.loads(doc)["customers"]]


def test_every_text_table_escapes_control_characters_and_markup(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from clvtui.cli.common import print_table

    print_table("Movers", ["customer", "CLV"], [["a\nb\x1b[2J", "1.00"], ["[red]x[/red]", None]])
    lines = capsys.readouterr().out.splitlines()
    assert [ln.split()[0] for ln in lines[2:]] == ["a\\nb\\x1b[2J", "[red]x[/red]"]


def test_settings_show_the_default_tier_floor_in_words(tmp_path: Path) -> None:
    """``profit_floor`` unset means "what one contact costs": said so, with today's figure
    (2 by default, then whatever ``winback_cost_per_contact`` is set to); JSON keeps null."""
    db = str(tmp_path / "shop.db")
    shown = runner.invoke(app, ["settings", "--db", db])
    assert "none (one contact's cost: 2)" in shown.stdout
    runner.invoke(app, ["settings", "--set", "winback_cost_per_contact=1.5", "--db", db])
    shown = runner.invoke(app, ["settings", "--db", db])
    assert "none (one contact's cost: 1.5)" in shown.stdout
    doc = json.loads(runner.invoke(app, ["settings", "--json", "--db", db]).stdout)
    assert doc["profit_floor"] is None
