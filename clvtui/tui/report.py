"""Reading a run (the ``runs`` row plus its ``fit --json`` report) without trusting its shape.

The report is written by the model pipeline; the UI only reads it, and a field that is absent
shows as "–" rather than an error, so a newer or older report never breaks a screen.
"""

from __future__ import annotations

import json
from typing import Any


def dig(doc: Any, *keys: str | int) -> Any:
    """``doc[k1][k2]...`` or None as soon as a level is missing (JSON text is parsed)."""
    for key in keys:
        if isinstance(doc, str) and doc[:1] in "{[":
            try:
                doc = json.loads(doc)
            except ValueError:
                return None
        if isinstance(doc, dict):
            doc = doc.get(key)  # type: ignore[arg-type]
        elif isinstance(doc, list) and isinstance(key, int) and -len(doc) <= key < len(doc):
            doc = doc[key]
        else:
            return None
        if doc is None:
            return None
    return doc


def run_currency(run: dict[str, Any]) -> str | None:
    return run.get("currency") or dig(run, "report", "currency")


def run_value_kind(run: dict[str, Any]) -> str:
    """``net CLV`` or ``revenue CLV (no margin set)`` (the words live in ``clvtui.wording``)."""
    from clvtui.wording import clv_label

    return clv_label(run.get("value_kind") or dig(run, "report", "value_kind"))


def scored_as_of(run: dict[str, Any]) -> str:
    """The date a run's values refer to (YYYY-MM-DD).

    Runs are refitted on all their data, so values are as of the as-of date; runs stored before
    that change (no ``scored_as_of`` in the report) scored a backtest at its calibration end.
    """
    scored = dig(run, "report", "scored_as_of") or run.get("calibration_end") or run.get("as_of")
    return str(scored or "")[:10]


def holdout_of(run: dict[str, Any]) -> dict[str, Any] | None:
    holdout = dig(run, "report", "holdout")
    return holdout if isinstance(holdout, dict) else None


def verdict_text(run: dict[str, Any]) -> str:
    """The model's holdout verdict in one sentence (or why there is none)."""
    holdout = holdout_of(run)
    if holdout is None:
        return (
            "This fit used all orders, so there is no holdout check. Refit with a holdout "
            "(clvtui fit --holdout-weeks 26) to see how well the model predicts."
        )
    verdict = holdout.get("verdict") or dig(run, "report", "verdict")
    if isinstance(verdict, dict):
        verdict = verdict.get("text") or verdict.get("summary") or verdict.get("label")
    return str(verdict) if verdict else "Holdout checked; no verdict recorded."


def boundary_notes(run: dict[str, Any]) -> list[str]:
    """Plain-words notes of fits that ran to the edge of the parameter space (no visible
    dropout: NBD used; a parameter held at its limit), purchase model first."""
    notes: list[str] = []
    for section in ("purchase_model", "spend_model"):
        for note in dig(run, "report", section, "boundary") or []:
            if isinstance(note, str) and note not in notes:
                notes.append(note)
    return notes
