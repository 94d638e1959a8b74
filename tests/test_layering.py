"""The layers hold: the import contracts in pyproject, and the core usable without the faces
(no textual or typer in its import graph, checked by importing it)."""

import json
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


# One interpreter imports the third-party libraries the core is built on (none of them a face),
# then forks a child per module: each child imports that module and its submodules into an
# interpreter with no clvtui module loaded, as a fresh ``python -c`` would, without paying
# numpy, polars, scipy and statsmodels thirteen times (~1 s of CPU each). The child reports the
# face modules it ends with (or why the import failed) through a pipe.
PROBE = """
import importlib, json, os, pkgutil, sys
FACES = ("textual", "typer")
import numpy, polars, scipy.optimize, scipy.special, scipy.stats, sqlite_utils, statsmodels.api
loaded = sorted(n for n in sys.modules if n.split(".")[0] in (*FACES, "clvtui"))
found = {"(before any clvtui module)": loaded}
for module in sys.argv[1:]:
    sys.stdout.flush()
    sys.stderr.flush()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        try:
            m = importlib.import_module(module)
            for info in pkgutil.walk_packages(getattr(m, "__path__", []), m.__name__ + "."):
                importlib.import_module(info.name)
            faces = sorted(n for n in sys.modules if n.split(".")[0] in FACES)
        except BaseException as exc:
            faces = [f"import failed: {exc!r}"]
        os.write(write, json.dumps(faces).encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        answer = pipe.read()
    os.waitpid(pid, 0)
    found[module] = json.loads(answer) if answer else ["the child died"]
print(json.dumps(found))
"""


@pytest.fixture(scope="module")
def faces_imported() -> dict[str, list[str]]:
    """Module → the textual/typer modules in its import graph (all probed in one run); the
    faces themselves are probed too, to show the probe sees a face when one is imported."""
    modules = [*CORE_MODULES, "clvtui.tui", "clvtui.cli"]
    result = subprocess.run([sys.executable, "-c", PROBE, *modules], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    found: dict[str, list[str]] = json.loads(result.stdout)
    assert found.pop("(before any clvtui module)") == []
    return found


@pytest.mark.parametrize("module", CORE_MODULES)
def test_core_module_does_not_import_ui(module: str, faces_imported: dict[str, list[str]]) -> None:
    assert faces_imported[module] == []


def test_the_probe_sees_the_faces(faces_imported: dict[str, list[str]]) -> None:
    assert "textual.app" in faces_imported["clvtui.tui"]
    assert "typer" in faces_imported["clvtui.cli"]


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
