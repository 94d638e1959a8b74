"""write_export → import gives back exactly the simulated purchases, for every format."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl
import pytest

from clvtui.demo.shop_exports import HEADERS, write_export
from clvtui.ingest import FORMATS, import_file


def _orders(n: int = 60) -> pl.DataFrame:
    """A hand-made frame with the contract columns (no dependence on the simulator)."""
    return pl.DataFrame(
        {
            "customer_id": [f"C{i % 17:03d}" for i in range(n)],
            "email": [f"p{i % 17}@example.com" for i in range(n)],
            "name": [f"Person {i % 17}" for i in range(n)],
            "country": ["US", "GB", "DE"] * (n // 3),
            "channel": ["email", "referral"] * (n // 2),
            "product": ["Tea", "Coffee beans", "Gift box"] * (n // 3),
            "discount_code": [None if i % 4 else "WELCOME10" for i in range(n)],
            "order_id": [str(1001 + i) for i in range(n)],
            "ordered_at": [
                datetime(2025, 1 + i % 12, 1 + i % 28, i % 24, 7, 30, tzinfo=UTC) for i in range(n)
            ],
            "amount": [round(5 + i * 1.37, 2) for i in range(n)],
            "currency": ["USD"] * n,
        }
    ).sort("ordered_at")


@pytest.mark.parametrize("fmt", FORMATS)
def test_round_trip(tmp_path, fmt: str) -> None:
    truth = _orders()
    path = write_export(truth, tmp_path / f"{fmt}.csv", fmt, seed=3)
    assert path.read_text().splitlines()[0].split(",")[:3] == HEADERS[fmt][:3]
    from clvtui.store import open_db

    db = open_db(tmp_path / "c.db")
    report = import_file(db, path)
    assert report.format == fmt and report.rows_rejected == 0
    got = pl.DataFrame(
        list(
            db.query(
                "SELECT customer_key, amount_minor - refunded_minor AS net, ordered_at "
                "FROM orders WHERE is_purchase = 1"
            )
        ),
        orient="row",
    )
    assert got.height == truth.height
    assert got["net"].sum() == round(truth["amount"].sum() * 100)
    if fmt != "etsy":  # Etsy exports dates only
        expected = sorted(truth["ordered_at"].dt.strftime("%Y-%m-%dT%H:%M:%SZ").to_list())
        assert sorted(got["ordered_at"].to_list()) == expected
    assert report.orders > truth.height or fmt == "online-retail"  # extras ride on top


def test_online_retail_xlsx(tmp_path) -> None:
    path = write_export(_orders(), tmp_path / "retail.xlsx", "online-retail")
    from clvtui.store import open_db

    report = import_file(open_db(tmp_path / "c.db"), path)
    assert (report.format, report.orders, report.purchases) == ("online-retail", 60, 60)
