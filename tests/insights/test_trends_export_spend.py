"""Trends and movers, export neutralisation, and the spend sheet reader."""

from __future__ import annotations

import csv
import datetime as dt
import re
from pathlib import Path

import polars as pl
import pytest

from clvtui.errors import ClvError, InputError
from clvtui.insights.customer_lists import export_frame, neutralise, write_export
from clvtui.insights.spend import parse_month, read_spend
from clvtui.insights.trends import moved, tier_trend


def frame(rows: list[tuple[str, str, str, float]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=["customer_id", "tier", "risk", "clv"], orient="row")


def test_moved_lists_tier_and_risk_changes_largest_first() -> None:
    before = frame(
        [
            ("a", "Profitable", "active", 10.0),
            ("b", "Highly profitable", "active", 90.0),
            ("c", "Profitable", "active", 12.0),
            ("gone", "Profitable", "active", 5.0),
        ]
    )
    now = frame(
        [
            ("a", "Highly profitable", "active", 60.0),  # up a tier
            ("b", "Highly profitable", "at risk", 40.0),  # slipping
            ("c", "Profitable", "active", 13.0),  # no move
            ("new", "Profitable", "active", 3.0),
        ]
    )
    result = moved(before, now, run_id=2, previous_run_id=1)
    doc = result.to_json()
    assert doc["customers_compared"] == 3 and doc["new_customers"] == 1 and doc["moved"] == 2
    assert [r["customer_id"] for r in doc["customers"]] == ["a", "b"]  # |+50| ties |-50|: by id
    assert doc["customers"][1]["risk_before"] == "active"
    assert doc["customers"][1]["risk_now"] == "at risk"
    assert sum(t["customers"] for t in doc["transitions"]) == 2
    first = moved(now.head(0), now, run_id=1, previous_run_id=None)
    assert first.to_json()["moved"] == 0 and "only one run" in first.notes[0]


def test_tier_trend_has_every_tier_for_every_run() -> None:
    seg = pl.DataFrame(
        {
            "run_id": [1, 1, 2],
            "created_at": ["t1", "t1", "t2"],
            "as_of": ["2024-01-31", "2024-01-31", "2024-02-29"],
            "value_kind": ["net"] * 3,
            "customer_equity": [100.0, 100.0, 150.0],
            "tier": ["Profitable", "Profitable", "Highly profitable"],
            "risk": ["active", "at risk", "active"],
            "customers": [3, 2, 4],
            "clv_total": [60.0, 40.0, 150.0],
        }
    )
    out = tier_trend(seg)
    assert out.height == 6
    r1 = {r["tier"]: r for r in out.filter(pl.col("run_id") == 1).to_dicts()}
    assert r1["Profitable"]["customers"] == 5 and r1["Profitable"]["clv_total"] == 100.0
    assert r1["Highly profitable"]["customers"] == 0
    assert out["tier"].to_list()[:3] == ["Highly profitable", "Profitable", "Not profitable"]


@pytest.mark.parametrize(
    ("text", "safe"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1 555", "'+1 555"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("ann@example.com", "ann@example.com"),
        ("Zoë", "Zoë"),
    ],
)
def test_neutralise(text: str, safe: str) -> None:
    assert neutralise(text) == safe


def scored_for_export() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "customer_id": ["c1", "=cmd|' /C calc'!A0", "c3"],
            "email": ["a@x.org", "+b@x.org", None],
            "name": ["Ann", "@Bob", "-Carl"],
            "tier": ["Profitable", "Highly profitable", "Not profitable"],
            "risk": ["active", "at risk", "likely lost"],
            "clv": [10.0, 99.5, -1.25],
            "clv_low": [8.0, 80.0, -2.0],
            "clv_high": [12.0, 120.0, -0.5],
            "p_alive": [0.9, 0.5, 0.1],
            "next_order_low": [1.0, 2.0, None],
            "next_order_high": [4.0, 10.0, None],
        }
    )


def test_csv_export_neutralises_text_and_keeps_numbers(tmp_path: Path) -> None:
    out = export_frame(scored_for_export(), dt.date(2024, 3, 31))
    path = write_export(out, tmp_path / "c.csv")
    with path.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert rows[0]["customer_id"] == "'=cmd|' /C calc'!A0"  # highest CLV first
    assert rows[0]["email"] == "'+b@x.org" and rows[0]["name"] == "'@Bob"
    assert rows[0]["next_order_from"] == "2024-04-14" and rows[0]["next_order_to"] == "2024-06-09"
    assert rows[2]["name"] == "'-Carl" and rows[2]["clv"] == "-1.25"  # numbers untouched
    assert rows[2]["next_order_from"] == ""


def test_xlsx_export_writes_text_cells_not_formulas(tmp_path: Path) -> None:
    out = export_frame(scored_for_export(), dt.date(2024, 3, 31))
    path = write_export(out, tmp_path / "c.xlsx")
    back = pl.read_excel(path)
    assert back["customer_id"][0] == "'=cmd|' /C calc'!A0"
    assert back["name"].to_list() == ["'@Bob", "Ann", "'-Carl"]
    assert back["clv"].to_list() == [99.5, 10.0, -1.25]
    import zipfile

    sheet = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet  # no formula cell anywhere


def test_export_refuses_other_suffixes(tmp_path: Path) -> None:
    with pytest.raises(ClvError, match=r"\.csv or \.xlsx"):
        write_export(scored_for_export(), tmp_path / "c.json")


def test_spend_sheet_is_read_strictly(tmp_path: Path) -> None:
    good = tmp_path / "spend.csv"
    good.write_text('Month,Channel,Amount\n2024-01,Web,"1,234.50"\n2024/2,Instagram,99\n\n')
    rows = read_spend(good, currency="eur")
    assert rows == [
        ("2024-01", "Web", 123450, "EUR", str(good)),
        ("2024-02", "Instagram", 9900, "EUR", str(good)),
    ]
    assert parse_month("2024-13") is None and parse_month("2024-03-15") == "2024-03"
    cases = {
        "month,channel\n2024-01,web\n": "missing column(s) amount",
        "month,channel,amount\n2024-01,web,abc\n": "row 2, column amount",
        "month,channel,amount\nJan,web,5\n": "row 2, column month",
        "month,channel,amount\n2024-01,web,5\n2024-01,WEB,6\n": "row 3: 2024-01 / WEB already",
        "month,channel,amount\n2024-01,web,-5\n": "expected an amount ≥ 0",
        "month,channel,amount,currency\n2024-01,web,5,USD\n2024-02,web,5,EUR\n": "mixes",
    }
    for text, message in cases.items():
        bad = tmp_path / "bad.csv"
        bad.write_text(text)
        with pytest.raises(InputError, match=re.escape(message)):
            read_spend(bad)


def test_export_order_is_by_cents_then_id_and_the_rows_are_taken() -> None:
    """Sorted as positions and put in order column by column: the order of sorting the frame
    by the rounded CLV, ties (equal to the cent) by customer id."""
    from clvtui.insights.customer_lists import EXPORT_COLUMNS, take_export_frame

    scored = pl.concat([scored_for_export().head(1)] * 4)
    scored = scored.with_columns(
        customer_id=pl.Series(["b", "a", "d", "c"]),
        clv=pl.Series([10.004, 10.001, 10.006, 9.0]),
    )
    held = [scored]
    out = take_export_frame(held, dt.date(2024, 3, 31))
    assert held == []  # taken: the caller's list no longer holds the rows
    assert out.columns == list(EXPORT_COLUMNS)
    assert out["customer_id"].to_list() == ["d", "a", "b", "c"]
    assert out["clv"].to_list() == [10.01, 10.0, 10.0, 9.0]
    assert out["next_order_from"].to_list() == [dt.date(2024, 4, 7)] * 4
