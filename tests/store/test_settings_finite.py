"""Settings are finite numbers in range: nan, inf and 1e400 are refused like margin=3500 %,
and a non-finite value stored by an older version is named, never used."""

from __future__ import annotations

import math
import sqlite3
from dataclasses import fields
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from clvtui.cli import app
from clvtui.errors import SettingsError
from clvtui.settings import Settings, parse_value
from clvtui.store import open_db
from clvtui.store.saved_settings import load_settings
from tests.store.conftest import content, one_error_line

runner = CliRunner()
NUMERIC = [  # the numbers (not yes/no, not the rule table's action names)
    f.name for f in fields(Settings) if not isinstance(f.default, (bool, str))
]
FLOATS = [k for k in NUMERIC if k != "horizon_months"]


def invoke(*args: str | Path) -> tuple[int, str, str]:
    result = runner.invoke(app, [str(a) for a in args])
    assert not (result.exception and not isinstance(result.exception, SystemExit)), result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("text", ["nan", "NaN", "inf", "-inf", "Infinity", "1e400", "-1e400",
                                  "nan%", "1e400%"])  # fmt: skip
def test_non_finite_values_are_refused_at_the_command_line(text: str, shop: Path) -> None:
    before = content(shop)
    for key in NUMERIC:
        code, _, err = invoke("settings", "--set", f"{key}={text}", "--db", shop)
        assert code == 1, (key, text)
        line = one_error_line(err)
        if key == "horizon_months" and not text.endswith("%"):  # whole months: int() refuses
            assert line == f"error: horizon_months must be a number, not {text!r}"
        else:
            assert line == f"error: {key} must be a finite number, not {text!r}"
    assert content(shop) == before


@given(key=st.sampled_from(FLOATS), value=st.sampled_from([math.inf, -math.inf, math.nan]))
def test_non_finite_values_never_make_settings(key: str, value: float) -> None:
    with pytest.raises(SettingsError, match=f"^{key} must be"):
        Settings(**{key: value})


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=0.0, max_value=1e9))
def test_finite_costs_are_kept_exactly(value: float) -> None:
    assert Settings(cost_per_order=value).cost_per_order == value
    assert parse_value("cost_per_order", repr(value)) == value


def test_a_stored_non_finite_value_is_named_and_can_be_repaired(shop: Path) -> None:
    conn = sqlite3.connect(shop)  # what an older clvtui stored for cost_per_order=inf
    conn.execute("INSERT INTO settings VALUES ('cost_per_order', 'Infinity')")
    conn.execute("INSERT INTO settings VALUES ('ltv_cac_ratio', 'NaN')")
    conn.commit()
    conn.close()
    for command in (("settings",), ("segments",), ("budget", "--total", "500"), ("fit",)):
        code, _, err = invoke(*command, "--db", shop)
        assert code == 1, command
        assert one_error_line(err) == (
            "error: stored setting cost_per_order=inf is invalid (cost_per_order must be a "
            "finite number (got inf)); set it again with clvtui settings --set "
            "cost_per_order=VALUE"
        ), command
    code, _, err = invoke("settings", "--set", "cost_per_order=2.5", "--db", shop)
    assert code == 1 and "stored setting ltv_cac_ratio=nan is invalid" in one_error_line(err)
    code, _, err = invoke(
        "settings", "--set", "cost_per_order=2.5", "--set", "ltv_cac_ratio=3", "--db", shop
    )
    assert code == 0, err
    settings = load_settings(open_db(shop, readonly=True))
    assert (settings.cost_per_order, settings.ltv_cac_ratio) == (2.5, 3.0)
    code, _, err = invoke("segments", "--db", shop)
    assert code == 0, err
