"""The layers hold: the import contracts in pyproject, and the core usable without the faces
(no textual or typer in its import graph, checked by importing it)."""

import subprocess
import sys
from pathlib import Path

import pytest

CORE_MODULES = [
    "clvtui.store",
    "clvtui.store.saved_settings",
    "clvtui.settings",
    "clvtui.ingest",
    "clvtui.model",
    "clvtui.insights",
    "clvtui.demo",
    "clvtui.pipeline",
    "clvtui.backtest",
    "clvtui.shop",
    "clvtui.report",
    "clvtui.report_json",
    "clvtui.services",
]


@pytest.mark.parametrize("module", CORE_MODULES)
def test_core_module_does_not_import_ui(module: str) -> None:
    code = (
        f"import importlib, pkgutil, sys\n"
        f"m = importlib.import_module({module!r})\n"
        f"for info in pkgutil.walk_packages(getattr(m, '__path__', []), m.__name__ + '.'):\n"
        f"    importlib.import_module(info.name)\n"
        f"bad = sorted(n for n in sys.modules if n.split('.')[0] in ('textual', 'typer'))\n"
        f"assert not bad, bad\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_help_does_not_import_heavy_libraries() -> None:
    """`clvtui --help` must stay fast: no polars, statsmodels or textual at import time."""
    code = (
        "import sys\n"
        "from clvtui.cli import app\n"
        "heavy = sorted({n.split('.')[0] for n in sys.modules} & "
        "{'polars', 'statsmodels', 'textual', 'scipy', 'numpy'})\n"
        "assert not heavy, heavy\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_import_contracts_hold() -> None:
    """Every contract of pyproject's [tool.importlinter] (layer direction, a core without the
    faces, maths and insights without the database) is kept, as .ci/run checks it."""
    root = Path(__file__).resolve().parents[1]
    code = (
        "import sys\n"
        "from importlinter.cli import lint_imports_command\n"
        "sys.argv = ['lint-imports', '--no-cache', '--no-logo']\n"
        "lint_imports_command()\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 3 kept, 0 broken." in result.stdout, result.stdout
