"""The README's promises, run as a shop owner would: its quick-start commands, its set-up
commands against CI, and its glossary against the one the terminal UI shows.

Why read the commands out of README.md rather than copy them here: a copy drifts; the README
is what a new user types, so that is what must keep working.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
GLOSSARY = ROOT / "clvtui" / "tui" / "glossary.md"
ENTRY_POINT = Path(sys.executable).with_name("clvtui")  # what a user runs, in this venv
# an interpreter without the installed script (rare: a bare PYTHONPATH run) runs the package
CLVTUI = [str(ENTRY_POINT)] if ENTRY_POINT.exists() else [sys.executable, "-m", "clvtui"]


def fenced_block_after(marker: str) -> list[str]:
    """The command lines of the first fenced block after ``<!-- marker -->`` (comments cut)."""
    text = README.read_text(encoding="utf-8")
    start = text.index(f"<!-- {marker} -->")
    block = re.search(r"```[a-z]*\n(.*?)```", text[start:], re.S)
    assert block is not None, f"no code block after <!-- {marker} --> in README.md"
    lines = [re.split(r"\s{2,}#", line)[0].strip() for line in block.group(1).splitlines()]
    return [line for line in lines if line]


def opens_the_ui(argv: list[str]) -> bool:
    """``clvtui [--db FILE]`` with no command opens the terminal UI (as does a bare ``demo``)."""
    rest = argv[1:]
    while rest[:1] == ["--db"]:
        rest = rest[2:]
    return not rest or (rest[0] == "demo" and "--no-tui" not in rest)


@dataclass
class QuickStart:
    folder: Path
    outputs: dict[str, str]  # command name → what it printed
    ui_lines: list[list[str]]  # the lines that open the terminal UI


@pytest.fixture(scope="module")
def quick_start(tmp_path_factory: pytest.TempPathFactory) -> QuickStart:
    """Every quick-start line but the UI's, through the installed ``clvtui``, in an empty
    folder, in order (about 15 s: the demo shop is the README's, 5,000 customers)."""
    folder = tmp_path_factory.mktemp("quick-start")
    lines = fenced_block_after("quick-start")
    assert len(lines) >= 4 and all(line.startswith("clvtui") for line in lines), lines
    env = {
        **os.environ,
        "CLVTUI_DB": str(folder / "data" / "clvtui.db"),  # never the user's own database
        "XDG_DATA_HOME": str(folder / "data"),
        "COLUMNS": "100",
    }
    result = QuickStart(folder, {}, [])
    for line in lines:
        argv = shlex.split(line)
        if opens_the_ui(argv):
            result.ui_lines.append(argv)
            continue
        done = subprocess.run(
            [*CLVTUI, *argv[1:]], cwd=folder, env=env, capture_output=True, text=True,
            timeout=120,
        )  # fmt: skip
        assert done.returncode == 0, f"{line}\n{done.stderr}"
        result.outputs[argv[1]] = done.stdout
    return result


def test_quick_start_commands_run_as_written(quick_start: QuickStart) -> None:
    out = quick_start.outputs
    assert "5,000 simulated customers" in out["demo"]
    ranked = [row for row in out["rank"].splitlines() if row.startswith("shopify:")]
    assert len(ranked) == 5, out["rank"]
    assert "Customer equity" in out["segments"]
    assert "Budget 5,000.00 USD" in out["budget"]


def test_demo_writes_what_the_readme_says_where_it_says(quick_start: QuickStart) -> None:
    assert (quick_start.folder / "demo.db").is_file()
    export = quick_start.folder / "demo-shopify-export.csv"
    assert 1_000_000 < export.stat().st_size < 10_000_000  # "about 3 MB"
    assert "demo-shopify-export.csv" in README.read_text(encoding="utf-8")


async def test_the_quick_starts_ui_line_opens_the_demo(quick_start: QuickStart) -> None:
    """The UI line cannot run headless as a command: open its database in the pilot."""
    from clvtui.tui.app import make_app
    from clvtui.tui.widgets.kpi import KpiCard
    from tests.tui.conftest import settle

    assert quick_start.ui_lines == [["clvtui", "--db", "demo.db"]]
    app = make_app(quick_start.folder / "demo.db")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        assert app.current_mode == "overview"
        equity = app.screen.query_one("#kpi-equity", KpiCard)
        assert any(ch.isdigit() for ch in equity._value), equity._value


def test_readme_test_command_is_the_one_ci_runs() -> None:
    """The README's second set-up command ends in the command ``.ci/run`` runs, on the same
    install (the test extra), and the first one installs the same package."""
    (demo,) = fenced_block_after("set-up: demo")
    (tests,) = fenced_block_after("set-up: tests")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    ci_commands = [line.strip() for line in ci if line.strip() and not line.startswith("#")]
    assert tests.endswith(".venv/bin/python -m pytest")
    assert ci_commands[-1] == "python -m pytest"
    assert '-e ".[test]"' in tests and any('-e ".[test]"' in line for line in ci_commands)
    assert demo.startswith("python3 -m venv .venv && .venv/bin/pip install -e .")
    assert demo.endswith(".venv/bin/clvtui demo")


def glossary_in_readme() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index("## Glossary\n")
    end = text.index("\n## ", start + 1)
    return text[start:end].strip()


def test_readme_glossary_is_the_one_help_shows() -> None:
    assert glossary_in_readme() == GLOSSARY.read_text(encoding="utf-8").strip()


# Every term a shop owner meets on a screen or in a command (issue 15's list and the columns).
TERMS = [
    "CLV", "Net CLV", "Revenue CLV", "90 % interval", "Customer equity", "Value concentration",
    "P(alive)", "P(order 90d)", "Order 90d", "Exp. ord", "Expected orders", "Orders", "Spent",
    "Sources", "Next order", "Tier", "Churn risk", "Risk", "Value at risk",
    "Valuable but slipping away", "Moved", "CPA", "CAC", "Allowable CPA", "`ltv_cac_ratio`",
    "CLV : CAC", "Headroom", "Payback", "Win-back", "Look-alike", "Acquisition saturation",
    "ROI", "Unallocated", "Retention uplift", "AOV", "Tenure", "Lift", "Hazard ratio",
    "95 % CI", "Retention curve", "Holdout", "Verdict", "Correlation", "Calibration",
    "Parameters", "r", "α", "a", "b", "Std. err.", "Log-likelihood", "AIC", "BG/NBD",
    "Pareto/NBD", "MBG/NBD", "NBD", "Gamma-Gamma", "Minor units", "Rejected row", "As of",
    "Horizon", "Discount rate", "Value at acquisition", "Outlier order",
]  # fmt: skip


@pytest.mark.parametrize("term", TERMS)
def test_glossary_explains(term: str) -> None:
    """Each term is written in bold where it is explained (so a reader's eye finds it)."""
    assert f"**{term}**" in GLOSSARY.read_text(encoding="utf-8")


async def test_help_screen_shows_the_glossary(tmp_path: Path) -> None:
    from textual.widgets import Markdown

    from clvtui.tui.app import make_app

    app = make_app(tmp_path / "empty.db")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        filling = getattr(app.screen, "filling", None)
        if filling is not None:
            await filling.wait()  # the help is shown a section at a time
        shown = "\n".join(md.source for md in app.screen.query(Markdown))
        assert "## Glossary" in shown and "**Hazard ratio**" in shown


def test_readme_lists_every_command() -> None:
    """The README's command table names every command ``clvtui --help`` lists."""
    import typer.main

    from clvtui.cli import app

    text = README.read_text(encoding="utf-8")
    table = text[text.index("## Commands\n") : text.index("## Glossary\n")]
    listed = set(re.findall(r"^\| `clvtui (\w+)", table, re.M))
    assert listed == set(typer.main.get_command(app).commands)
