"""What a hostile tester tried after the first merge: a pipe as --db, absurd but finite
settings. Each is one line on stderr and exit 1, and nothing is changed."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clvtui.cli import app

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
runner = CliRunner()


def _one_line_error(result) -> str:
    assert result.exit_code == 1, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), result.stderr
    return lines[0]


@pytest.mark.parametrize(
    "command", [["segments"], ["import", str(FIXTURES / "generic_orders.csv")]]
)
def test_a_pipe_as_database_is_refused_without_hanging(tmp_path: Path, command: list[str]) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    line = _one_line_error(runner.invoke(app, ["--db", str(fifo), *command]))
    assert "not a regular file" in line
    assert stat.S_ISFIFO(fifo.stat().st_mode) and stat.S_IMODE(fifo.stat().st_mode) != 0o600


@pytest.mark.parametrize(
    ("setting", "word"),
    [
        ("cost_per_order=1e308", "at most"),
        ("acquisition_cost=2e9", "at most"),
        ("lookalike_pool=1e308", "at most"),
        ("acquisition_saturation=1e308", "at most"),
        ("ltv_cac_ratio=1e12", "at most"),
        ("profit_floor=-1e300", "within"),
    ],
)
def test_absurd_but_finite_settings_are_refused(tmp_path: Path, setting: str, word: str) -> None:
    db = tmp_path / "shop.db"
    assert (
        runner.invoke(
            app, ["--db", str(db), "import", str(FIXTURES / "generic_orders.csv")]
        ).exit_code
        == 0
    )
    shown = runner.invoke(app, ["--db", str(db), "settings"]).stdout
    line = _one_line_error(runner.invoke(app, ["--db", str(db), "settings", "--set", setting]))
    assert setting.split("=")[0] in line and word in line
    assert runner.invoke(app, ["--db", str(db), "settings"]).stdout == shown  # nothing stored
