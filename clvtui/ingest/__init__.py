"""Shop exports → normalised orders: detection, column maps, exact money, UTC times.

``import_file(db, path)`` is the entry point; ``FORMATS`` lists the supported sources.
Both load on first use (PEP 562), so ``clvtui.ingest.csvscan`` can check a file without
importing polars.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from clvtui.ingest.formats import FORMATS
    from clvtui.ingest.importer import ImportReport, import_file

__all__ = ["FORMATS", "ImportReport", "import_file"]


def __getattr__(name: str) -> Any:
    if name == "FORMATS":
        from clvtui.ingest.formats import FORMATS

        return FORMATS
    if name in ("ImportReport", "import_file"):
        from clvtui.ingest import importer

        return getattr(importer, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
