"""How every timestamp is stored (UTC text): one name for the store, the import and the runs.

Text in this format sorts as the instants it names, so SQL compares and orders it directly;
the generic importer's content keys are built from it too, so changing it re-keys orders.
"""

from __future__ import annotations

from datetime import UTC, datetime

TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def now_text() -> str:
    """The current time as stored (seconds, UTC)."""
    return datetime.now(UTC).strftime(TIMESTAMP_FORMAT)
