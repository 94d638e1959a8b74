"""The core is type-checked (mypy in .ci/run) with no escape hatches: a `# type: ignore` in the
core would hide exactly the mistakes the checker is there for, so none may come back."""

from pathlib import Path

import clvtui

FACES = ("tui", "cli")  # not type-checked yet (see [tool.mypy] in pyproject)


def test_the_core_has_no_type_ignores() -> None:
    root = Path(clvtui.__file__).parent
    core = [p for p in root.rglob("*.py") if p.relative_to(root).parts[0] not in FACES]
    assert len(core) > 50  # the walk found the package, not an empty folder
    found = [
        f"{path.relative_to(root)}:{n}"
        for path in core
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if "type: ignore" in line
    ]
    assert found == []
