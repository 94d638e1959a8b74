"""The wholesale-shop crash, end to end: a no-dropout shop through ``fit_run`` on a real SQLite
file, every model, with and without a holdout — a stored run, finite JSON, and the report says
that no dropout is visible."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from clvtui.pipeline import fit_run
from tests.model.helpers import load_orders
from tests.model.shops import no_dropout, orders_frame


@pytest.fixture(scope="module")
def wholesale_db(tmp_path_factory: pytest.TempPathFactory):
    x, t_x, T = no_dropout(1200, seed=21)
    return load_orders(tmp_path_factory.mktemp("wholesale") / "shop.db", orders_frame(x, t_x, T))


@pytest.mark.parametrize(
    ("model", "holdout"),
    [("auto", None), ("bgnbd", None), ("mbgnbd", None), ("paretonbd", None), ("bgnbd", 13),
     ("auto", 13)],
)  # fmt: skip
def test_no_dropout_shop_fits_and_says_so(wholesale_db, model: str, holdout: int | None) -> None:
    result = fit_run(wholesale_db, model=model, holdout_weeks=holdout)
    report = result.report
    json.dumps(report, allow_nan=False)
    assert report["model"] == "nbd" and report["model_label"] == "NBD (no dropout visible)"
    assert any(w.startswith("No customer visibly left") for w in report["warnings"])
    pm = report["purchase_model"]
    assert pm["nested_from"] in ("bgnbd", "mbgnbd", "paretonbd")
    assert pm["boundary_fit"]["model"] == pm["nested_from"]
    eq = report["customer_equity"]
    assert eq["low"] <= eq["value"] <= eq["high"]
    if model == "auto":
        assert all(
            "score" in c or "error" in c for c in report["model_choice"]["candidates"].values()
        )


def test_report_renders_with_held_parameters(wholesale_db, tmp_path: Path) -> None:
    from clvtui.cli.fit_cmd import render_report

    report = fit_run(wholesale_db, model="bgnbd").report
    text = render_report(report)
    assert "NBD (no dropout visible)" in text and "No customer visibly left" in text
