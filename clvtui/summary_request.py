"""What a fit-from-summary request must agree with, checked before any database is opened.

The as-of day (``--as-of``, or ``first_order`` + T of every row — they must agree, and
``last_order`` must be ``first_order`` + t_x), the holdout counts (``x_holdout`` exactly when
``--holdout-weeks`` is given) and the currency (the file's column, or ``--currency``). Kept apart
from ``summary_fit`` because the faces run these checks first: a request that cannot be
honoured must not create or touch a database.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import polars as pl

from clvtui.core.currency import currency_code
from clvtui.core.timefmt import as_of_date, check_holdout_weeks
from clvtui.errors import InputError, ModelError
from clvtui.ingest.summary_file import SummaryFile
from clvtui.model.registry import PURCHASE_MODELS

NO_CURRENCY = "XXX"  # ISO 4217: no currency involved


def check_request(
    summary: SummaryFile,
    as_of: date | datetime | str | None,
    holdout_weeks: int | None,
    model: str | None,
    currency: str | None,
) -> tuple[date, date]:
    """Every check of the request that needs no database, so that a face can run them before
    it opens (or creates) one; returns (as-of, calibration end)."""
    if model not in (None, "auto") and model not in PURCHASE_MODELS:
        raise ModelError(f"unknown model {model!r}; choose auto, {', '.join(PURCHASE_MODELS)}")
    _holdout_columns(summary, holdout_weeks)
    request_currency(summary, currency, [])
    return summary_dates(summary, as_of, holdout_weeks)


def summary_dates(
    summary: SummaryFile, as_of: date | datetime | str | None, holdout_weeks: int | None
) -> tuple[date, date]:
    """(as-of, calibration end): the day T runs to is the calibration end (= as-of without a
    holdout). Taken from ``--as-of``, else from ``first_order`` + T; when both are there they
    must agree, and so must ``last_order`` and ``first_order`` + t_x."""
    weeks = holdout_weeks or 0
    given = as_of_date(as_of)
    name = summary.path.name
    derived = _derived_end(summary, name) if summary.has("first_order") else None
    if given is None and derived is None:
        raise InputError(
            f"{name}: say which day T runs to with --as-of YYYY-MM-DD (or add a first_order column)"
        )
    if given is not None:
        cal_end = given - timedelta(weeks=weeks)
        if derived is not None and derived != cal_end:
            what = (
                f"--as-of {given} minus {weeks} weeks is {cal_end}" if weeks else f"--as-of {given}"
            )
            raise InputError(
                f"{name}: first_order + T is {derived} for every customer, but {what}; "
                "T must run to the summary's end"
            )
        return given, cal_end
    assert derived is not None
    return derived + timedelta(weeks=weeks), derived


def _derived_end(summary: SummaryFile, name: str) -> date:
    """The one day first_order + T reaches (T is whole days in any summary of dates)."""
    frame = summary.frame
    rows = frame.with_row_index("_i").select(
        "_i",
        end=pl.col("first_order") + pl.duration(days=(pl.col("T") * 7).round(0).cast(pl.Int64)),
        last=pl.col("first_order") + pl.duration(days=(pl.col("t_x") * 7).round(0).cast(pl.Int64)),
        given_last=pl.col("last_order") if "last_order" in frame.columns else pl.lit(None),
    )
    ends = rows.filter(pl.col("end").is_not_null())
    if ends.height == 0:
        raise InputError(f"{name}: first_order is empty on every row; give --as-of")
    first_end = ends["end"][0]
    off = ends.filter(pl.col("end") != first_end)
    if off.height:
        raise InputError(
            f"{name}: first_order + T is {first_end} on one row and {off['end'][0]} on another "
            f"(row {summary.row_number(int(off['_i'][0]))}); T must run to one as-of day for "
            "everyone"
        )
    wrong = rows.filter(
        pl.col("given_last").is_not_null() & (pl.col("given_last") != pl.col("last"))
    )
    if wrong.height:
        raise InputError(
            f"{name} row {summary.row_number(int(wrong['_i'][0]))}, column last_order: "
            f"{wrong['given_last'][0]} but first_order + t_x is {wrong['last'][0]}"
        )
    return first_end


def _holdout_columns(summary: SummaryFile, holdout_weeks: int | None) -> None:
    name = summary.path.name
    check_holdout_weeks(holdout_weeks)
    if holdout_weeks and not summary.has("x_holdout"):
        raise InputError(
            f"{name}: --holdout-weeks needs an x_holdout column (purchase days in the N weeks "
            "after the summary's end); see docs/warehouse.md"
        )
    if summary.has("x_holdout") and not holdout_weeks:
        raise InputError(
            f"{name}: the file has x_holdout; say how many weeks it counts with --holdout-weeks N"
        )
    if holdout_weeks and summary.frame["x_holdout"].is_null().any():
        row = summary.row_number(int(summary.frame["x_holdout"].is_null().arg_true()[0]))
        raise InputError(f"{name} row {row}, column x_holdout: empty")


def request_currency(summary: SummaryFile, currency: str | None, warnings: list[str]) -> str:
    named = currency_code(currency) if currency else None
    if named and summary.currency and named != summary.currency:
        raise InputError(
            f"{summary.path.name}: its currency column says {summary.currency}, not {named}"
        )
    code = summary.currency or named
    if code is None:
        warnings.append(
            "the summary has no currency column and no --currency was given: amounts are "
            f"shown in {NO_CURRENCY} (no currency)"
        )
        return NO_CURRENCY
    return code
