"""Shop exports → normalised orders: detection, column maps, exact money, UTC times.

``import_file(db, path)`` is the entry point; ``FORMATS`` lists the supported sources.
"""

from clvtui.ingest.formats import FORMATS
from clvtui.ingest.importer import ImportReport, import_file

__all__ = ["FORMATS", "ImportReport", "import_file"]
