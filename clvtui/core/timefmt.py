"""How every timestamp is stored (UTC text): one name for the store, the import and the runs.

Text in this format sorts as the instants it names, so SQL compares and orders it directly;
the generic importer's content keys are built from it too, so changing it re-keys orders.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from clvtui.errors import ModelError

TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def now_text() -> str:
    """The current time as stored (seconds, UTC)."""
    return datetime.now(UTC).strftime(TIMESTAMP_FORMAT)


def as_of_date(value: date | datetime | str | None) -> date | None:
    """An as-of date as a fit takes it (a date, a datetime, or text starting YYYY-MM-DD); None
    stays None (the fit picks the latest order). Shared by the orders fit and the summary fit,
    which must read the same text the same way."""
    if value is None or (isinstance(value, date) and not isinstance(value, datetime)):
        return value
    if isinstance(value, datetime):
        return value.date()
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        raise ModelError(f"as-of date must look like 2025-06-30, not {value!r}") from None
