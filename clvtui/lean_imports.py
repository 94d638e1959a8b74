"""Keep sqlite-utils from importing pandas and numpy, which clvtui never hands it.

``sqlite_utils.db`` imports pandas and numpy at module level, if installed, only to map
``pd.Timestamp`` and numpy scalars to column types. clvtui passes it plain Python values, and
pandas is installed only as a dependency of statsmodels: importing it cost every command
~0.5 s (more on a busy machine) and ~40 MB before it read anything. While ``sqlite_utils.db``
is being imported, those two imports fail as if the packages were absent (sqlite-utils handles
that); anyone else, later or elsewhere, imports them as usual.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from importlib.abc import MetaPathFinder
from importlib.machinery import ModuleSpec
from types import FrameType, ModuleType

_WITHHELD = frozenset({"pandas", "numpy"})
_IMPORTER = "sqlite_utils.db"


class _WithholdFromSqliteUtils(MetaPathFinder):
    """Refuses pandas/numpy to ``sqlite_utils.db``'s module code, and to no one else."""

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> ModuleSpec | None:
        if fullname in _WITHHELD and _importing_from(_IMPORTER):
            raise ModuleNotFoundError(f"No module named {fullname!r}", name=fullname)
        return None  # let the normal finders do their work


def _importing_from(module: str) -> bool:
    """Whether the module-level code of ``module`` is on the call stack (a few frames up)."""
    frame: FrameType | None = sys._getframe(1)
    for _ in range(40):  # importlib's own frames, then the importer's
        if frame is None:
            return False
        if frame.f_code.co_name == "<module>" and frame.f_globals.get("__name__") == module:
            return True
        frame = frame.f_back
    return False


def install() -> None:
    """Put the finder first on ``sys.meta_path`` (once)."""
    if not any(isinstance(f, _WithholdFromSqliteUtils) for f in sys.meta_path):
        sys.meta_path.insert(0, _WithholdFromSqliteUtils())
