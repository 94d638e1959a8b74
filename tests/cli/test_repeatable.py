"""Every reporting command's JSON is the same, byte for byte, each time it runs on the same
fit: polars' group-by sums and means add their threads' partial sums in any order, and a
figure whose last digits change while nothing did is a figure a user cannot trust (or diff).
In-process calls (typer's CliRunner) on the shared 2,000-customer demo, with marketing spend
and a backtest beside its fit, so that every command has something to say."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clvtui.cli import app
from tests.dbfiles import built_once, private_copy

runner = CliRunner()
RUNS = 3  # each command this many times; one answer expected
SPEND = (
    "month,channel,amount\n2025-01,paid social,4000\n2025-02,email,900\n"
    "2025-03,organic search,1200\n2025-03,paid social,2500\n2025-04,email,700\n"
)
# run 1 is the demo's fit; run 2, a backtest, is what ``moved`` compares it with
COMMANDS = [
    ["segments", "--run", "1"],
    ["actions", "--run", "1"],
    ["budget", "--total", "5000", "--run", "1"],
    ["budget", "--total", "5000", "--by-channel", "--run", "1"],
    ["profile", "--run", "1"],
    ["whatif", "--margin", "30%", "--run", "1"],
    ["moved", "--run", "1"],
    ["rank", "--top", "200", "--run", "1"],
    ["trends"],
    ["cohorts", "--run", "1"],
    ["cohorts", "--by", "channel", "--run", "1"],
    ["plan", "--revenue-goal", "50000", "--retention-uplift", "10%", "--run", "1"],
    ["products", "--run", "1"],
    ["products", "--tier", "high", "--run", "1"],
    ["costs"],
    ["channels", "--run", "1"],
    ["spend", "cac"],
]


def _with_spend_and_backtest(source: Path) -> Callable[[Path], None]:
    def build(path: Path) -> None:
        private_copy(source, path.parent, path.name)
        sheet = path.parent / "spend.csv"
        sheet.write_text(SPEND, encoding="utf-8")
        for args in (["spend", "import", str(sheet)], ["fit", "--as-of", "2026-01-31"]):
            result = runner.invoke(app, [*args, "--db", str(path)])
            assert result.exit_code == 0, result.output

    return build


@pytest.fixture(scope="module")
def two_fits(demo_2000: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo shop, its spend and a backtest (read-only)."""
    build = _with_spend_and_backtest(demo_2000)
    return built_once(tmp_path_factory, "repeatable-demo-2000", build, "demo.db")


def _answer(db: Path, args: list[str], out: Path | None = None) -> str:
    extra = ["-o", str(out), "--force"] if out is not None else []
    result = runner.invoke(app, [*args, "--json", "--db", str(db), *extra])
    assert result.exit_code == 0, (args, result.output)
    return result.stdout + (out.read_text(encoding="utf-8") if out is not None else "")


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_a_command_says_the_same_bytes_every_time(two_fits: Path, args: list[str]) -> None:
    first = _answer(two_fits, args)
    assert '"run_id"' in first or '"customers"' in first or '"rows"' in first  # real output
    for _ in range(RUNS - 1):
        assert _answer(two_fits, args) == first


def test_the_export_of_everyone_is_the_same_bytes_every_time(
    two_fits: Path, tmp_path: Path
) -> None:
    out = tmp_path / "all.csv"
    first = _answer(two_fits, ["export", "--all", "--run", "1"], out)
    assert first.count("\n") > 2000  # a header and a row per customer, beside the JSON
    for _ in range(RUNS - 1):
        assert _answer(two_fits, ["export", "--all", "--run", "1"], out) == first
