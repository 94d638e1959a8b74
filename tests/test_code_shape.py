"""Issue 14's "must hold": no core module over 400 lines, no core function over 60 lines.

The core is clvtui minus its two faces (clvtui/tui, clvtui/cli). Lines are counted as the AST
sees them: a module's physical lines, a function from its ``def`` line to its last line
(decorators aside, docstring included). A failure lists every offender, so a split can be
planned from the message alone.
"""

from __future__ import annotations

import ast
from pathlib import Path

CORE = Path(__file__).resolve().parents[1] / "clvtui"
FACES = ("tui", "cli")
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60
ALLOWED_LONG_FUNCTIONS: set[tuple[str, str]] = set()  # none: every core function fits


def _core_modules() -> list[tuple[str, str]]:
    found = []
    for path in sorted(CORE.rglob("*.py")):
        rel = path.relative_to(CORE).as_posix()
        if rel.split("/", 1)[0] not in FACES:
            found.append((rel, path.read_text(encoding="utf-8")))
    return found


def _long_functions(rel: str, source: str) -> list[str]:
    out = []
    for node in ast.walk(ast.parse(source, filename=rel)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            if length > MAX_FUNCTION_LINES and (rel, node.name) not in ALLOWED_LONG_FUNCTIONS:
                out.append(f"{rel}:{node.lineno} {node.name} ({length} lines)")
    return out


def test_the_scan_sees_the_core() -> None:
    names = {rel for rel, _ in _core_modules()}
    assert {"model/clv.py", "ingest/importer.py", "store/orders.py"} <= names
    assert not any(n.startswith(("tui/", "cli/")) for n in names)


def test_the_function_rule_catches_a_long_function() -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_FUNCTION_LINES))
    assert _long_functions("x.py", f"def f():\n{body}\n") == ["x.py:1 f (61 lines)"]
    assert _long_functions("x.py", "def f():\n" + body.split("\n", 1)[1] + "\n") == []


def test_no_core_module_over_400_lines() -> None:
    long = [
        f"{rel} ({n} lines)"
        for rel, src in _core_modules()
        if (n := len(src.splitlines())) > MAX_MODULE_LINES
    ]
    assert not long, f"core modules over {MAX_MODULE_LINES} lines: " + "; ".join(long)


def test_no_core_function_over_60_lines() -> None:
    long = [f for rel, src in _core_modules() for f in _long_functions(rel, src)]
    assert not long, f"core functions over {MAX_FUNCTION_LINES} lines: " + "; ".join(long)
