"""The service layer sits between the faces and the core: no Textual, no Typer below it, and
``insights`` stays pure (frames in, frames out: no store)."""

from __future__ import annotations

import subprocess
import sys

import pytest


def _imported_by(package: str) -> set[str]:
    code = (
        "import importlib, pkgutil, sys\n"
        f"m = importlib.import_module({package!r})\n"
        "for info in pkgutil.walk_packages(m.__path__, m.__name__ + '.'):\n"
        "    importlib.import_module(info.name)\n"
        "print('\\n'.join(sorted(sys.modules)))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return set(result.stdout.split())


@pytest.mark.parametrize("package", ["clvtui.services", "clvtui.insights"])
def test_no_face_below_the_faces(package: str) -> None:
    modules = _imported_by(package)
    assert not {m for m in modules if m.split(".")[0] in ("textual", "typer")}
    assert not {m for m in modules if m.startswith(("clvtui.cli", "clvtui.tui"))}


def test_insights_do_not_read_the_store() -> None:
    assert not {m for m in _imported_by("clvtui.insights") if m.startswith("clvtui.store")}
