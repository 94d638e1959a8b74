"""How every timestamp is stored (UTC text): one name for the store, the import and the runs.

Text in this format sorts as the instants it names, so SQL compares and orders it directly;
the generic importer's content keys are built from it too, so changing it re-keys orders.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from clvtui.errors import ModelError

TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
#: The as-of dates a fit accepts: a typo such as 0001-01-01 or 9999-12-31 is refused in one
#: line instead of fitting nothing (or a 2,000-year holdout) without a word.
EARLIEST_AS_OF = date(1970, 1, 1)
LATEST_AS_OF = date(2100, 12, 31)
#: Ten years: a longer holdout leaves no history to fit on in any shop this tool can read.
MAX_HOLDOUT_WEEKS = 520


def now_text() -> str:
    """The current time as stored (seconds, UTC)."""
    return datetime.now(UTC).strftime(TIMESTAMP_FORMAT)


def as_of_date(value: date | datetime | str | None) -> date | None:
    """An as-of date as a fit takes it (a date, a datetime, or text starting YYYY-MM-DD); None
    stays None (the fit picks the latest order). Shared by the orders fit and the summary fit,
    which must read the same text the same way."""
    if value is None:
        return None
    if isinstance(value, datetime):
        day = value.date()
    elif isinstance(value, date):
        day = value
    else:
        try:
            day = date.fromisoformat(str(value)[:10])
        except ValueError:
            raise ModelError(f"as-of date must look like 2025-06-30, not {value!r}") from None
    if not EARLIEST_AS_OF <= day <= LATEST_AS_OF:
        raise ModelError(
            f"as-of date {day} is not plausible: give a day from {EARLIEST_AS_OF} to "
            f"{LATEST_AS_OF} (the last day of data to use)"
        )
    return day


def check_holdout_weeks(weeks: int | None) -> None:
    """Refuse a holdout no shop's history can hold (one line, before any work)."""
    if weeks is not None and not 1 <= weeks <= MAX_HOLDOUT_WEEKS:
        raise ModelError(
            f"holdout weeks must be from 1 to {MAX_HOLDOUT_WEEKS} (ten years; got {weeks})"
        )
