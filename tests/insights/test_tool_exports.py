"""``export --for TOOL``: each tool's documented header row, normalised e-mails, names split,
ISO countries, formula-safe cells — on frames with known rows and written by the real writer."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from clvtui.insights.customer_lists import write_export
from clvtui.insights.tool_exports import TOOLS, tool_frame

#: The header rows as each tool documents them (sources in docs/commands.md, "export --for").
DOCUMENTED = {
    "klaviyo": "Email,First Name,Last Name,Country,CLV Tier,Churn Risk,CLV,Next Order Date",
    "mailchimp": "Email Address,First Name,Last Name,Tags,CLV,Next Order Date,Country",
    "meta": "email,fn,ln,country,value",
    "google-ads": "Email,First Name,Last Name,Country,Zip,Phone",
    "shopify": "First Name,Last Name,Email,Accepts Email Marketing,Default Address Company,"
    "Default Address Address1,Default Address Address2,Default Address City,"
    "Default Address Province Code,Default Address Country Code,Default Address Zip,"
    "Default Address Phone,Phone,Accepts SMS Marketing,Tags,Note,Tax Exempt",
}


def rows() -> pl.DataFrame:
    """Four customers, best first, as ``services.exporting.customer_export_frame`` gives them."""
    return pl.DataFrame(
        {
            "customer_id": ["shopify:1", "shopify:2", "shopify:3", "shopify:4", "shopify:5"],
            "email": ["  Jane.DOE@Example.COM ", "=cmd@evil.com", None, "not-an-email",
                      "jane.doe@example.com"],
            "name": ["Jane  van Dijk", "=HYPERLINK(\"http://x\")", "Solo", "Ann Lee", "Dup"],
            "country": ["gb", "United Kingdom", "DE", "Narnia", "UK"],
            "tier": ["Highly profitable", "Profitable", "Profitable", "Not profitable",
                     "Profitable"],
            "risk": ["at risk", "active", "likely lost", "active", "active"],
            "clv": [123.456, 50.0, 20.0, -3.5, 10.0],
            "next_order_from": [dt.date(2026, 7, 14), None, None, None, dt.date(2026, 8, 1)],
        }
    )  # fmt: skip


@pytest.mark.parametrize("tool", sorted(TOOLS))
def test_header_row_is_exactly_the_documented_one(tool: str, tmp_path: Path) -> None:
    out, _ = tool_frame(rows(), tool)
    path = write_export(out, tmp_path / f"{tool}.csv")
    assert path.read_text(encoding="utf-8").splitlines()[0] == DOCUMENTED[tool]


def test_emails_are_trimmed_lower_cased_and_one_row_each() -> None:
    out, left_out = tool_frame(rows(), "klaviyo")
    # the missing, the malformed and the second jane.doe@ are left out (3 of 5)
    assert out["Email"].to_list() == ["jane.doe@example.com", "=cmd@evil.com"]
    assert left_out == 3
    first = out.row(0, named=True)
    assert (first["First Name"], first["Last Name"], first["Country"]) == ("Jane", "van Dijk", "GB")
    assert first["CLV"] == 123.46 and first["Next Order Date"] == "2026-07-14"
    assert out.row(1, named=True)["Country"] == "GB"  # "United Kingdom"


def test_meta_is_lower_case_with_non_negative_value() -> None:
    frame = rows().with_columns(email=pl.lit("a@b.co") + pl.int_range(5).cast(pl.Utf8))
    out, _ = tool_frame(frame, "meta")
    assert out["fn"].to_list()[:2] == ["jane", '=hyperlink("http://x")']
    assert out["country"].to_list() == ["gb", "gb", "de", None, "gb"]  # Narnia: unknown
    assert out["value"].to_list() == [123.46, 50.0, 20.0, 0.0, 10.0]  # a loss is 0, not < 0


def test_tags_and_note_carry_tier_risk_and_clv() -> None:
    out, _ = tool_frame(rows(), "shopify")
    first = out.row(0, named=True)
    assert first["Tags"] == "clv-highly-profitable, risk-at-risk"
    assert first["Note"] == "clvtui: CLV 123.46, next order from 2026-07-14"
    assert first["Accepts Email Marketing"] is None  # consent is never invented
    assert out.row(1, named=True)["Note"] == "clvtui: CLV 50.00, next order from –"
    mailchimp, _ = tool_frame(rows(), "mailchimp")
    assert mailchimp["Tags"].to_list()[1] == "clv-profitable, risk-active"


def test_cells_a_spreadsheet_would_run_are_neutralised(tmp_path: Path) -> None:
    out, _ = tool_frame(rows(), "google-ads")
    path = write_export(out, tmp_path / "google.csv")
    with path.open(newline="", encoding="utf-8") as f:
        lines = list(csv.DictReader(f))
    assert lines[1]["Email"] == "'=cmd@evil.com"
    assert lines[1]["First Name"] == '\'=HYPERLINK("http://x")'
    assert not any(v.startswith(("=", "+", "-", "@")) for line in lines for v in line.values())
