"""A stored run as the screens show it: the typed report (``clvtui.report.RunReport``) and the
sentences and figures several screens share.

The screens read fields of ``RunReport.from_run(run)``, never guessed keys: older and newer
report shapes are mapped once, in ``clvtui.report_json.upgrade``.
"""

from __future__ import annotations

from typing import Any

from clvtui.report import HoldoutCheck, RunReport


def run_report(run: dict[str, Any]) -> RunReport:
    """The run's typed report (the runs row filling what an older report lacks)."""
    return RunReport.from_run(run)


def run_currency(run: dict[str, Any]) -> str | None:
    return run_report(run).currency


def value_kind_text(report: RunReport) -> str:
    """``net CLV`` or ``revenue CLV (no margin set)`` (the words live in ``clvtui.wording``)."""
    from clvtui.wording import clv_label

    return clv_label(report.value_kind)


def run_value_kind(run: dict[str, Any]) -> str:
    return value_kind_text(run_report(run))


def scored_as_of(run: dict[str, Any]) -> str:
    """The date a run's values refer to (YYYY-MM-DD): as-of since runs are refitted on all
    their data; runs stored before that scored a backtest at its calibration end."""
    return str(run_report(run).scored_as_of or "")[:10]


def verdict_text(report: RunReport) -> str:
    """The model's holdout verdict in one sentence (or why there is none)."""
    if report.holdout is None:
        return (
            "This fit used all orders, so there is no holdout check. Refit with a holdout "
            "(clvtui fit --holdout-weeks 26) to see how well the model predicts."
        )
    return report.holdout.verdict or "Holdout checked; no verdict recorded."


def holdout_counts(holdout: HoldoutCheck | None) -> tuple[float, int] | None:
    """(predicted, actual) repeat orders over the holdout, when both are known and any
    happened (an error relative to 0 orders means nothing)."""
    if holdout is None or holdout.predicted_repeat_orders is None:
        return None
    if not holdout.actual_repeat_orders:
        return None
    return holdout.predicted_repeat_orders, holdout.actual_repeat_orders


def left_out_currencies(report: RunReport) -> list[str]:
    """The currencies this run's fit left out (a run is in one currency)."""
    left = report.currencies.left_out if report.currencies else []
    return [str(o.get("currency")) for o in left]
