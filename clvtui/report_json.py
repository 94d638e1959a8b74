"""The run report's JSON boundary: old stored shapes in, only finite numbers out.

Reading: reports live in ``runs.report`` for ever; when the layout changes, bump
``REPORT_VERSION`` and add a step to ``upgrade`` that maps the older keys, so every stored run
still opens (``RunReport.from_json`` calls it). Writing: SQLite's JSON and ``--json`` take no
NaN or infinity, and a silent null would hide one, so ``finite_report`` lists each.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

REPORT_VERSION = 1  # 0: every report stored before reports carried a "version" key


def upgrade(doc: dict[str, Any]) -> dict[str, Any]:
    """A stored report in the current key layout (the version switch).

    Version 0 is every report stored before reports carried a version. Most are today's shape;
    the oldest lack ``scored_as_of`` (they scored a backtest at its calibration end) and some
    drafts named things differently: ``predicted``/``actual`` for the holdout's repeat orders,
    a verdict as a dict (``text``/``summary``/``label``) or at the top level, the horizon under
    ``settings`` and the currency at the top level.
    """
    if int(doc.get("version") or 0) >= 1:
        return doc
    doc.setdefault("scored_as_of", doc.get("calibration_end") or doc.get("as_of"))
    holdout = doc.get("holdout")
    if isinstance(holdout, dict):
        holdout = dict(holdout)
        for old, new in (("predicted", "predicted_repeat_orders"),
                         ("actual", "actual_repeat_orders")):  # fmt: skip
            if new not in holdout and not isinstance(holdout.get(old), dict | list):
                holdout[new] = holdout.pop(old, None)
        verdict = holdout.get("verdict") or doc.get("verdict")
        if isinstance(verdict, dict):
            verdict = verdict.get("text") or verdict.get("summary") or verdict.get("label")
        holdout["verdict"] = None if verdict is None else str(verdict)
        doc["holdout"] = holdout
    equity = doc.get("customer_equity")
    if isinstance(equity, dict):
        equity = dict(equity)
        horizon = (doc.get("settings") or {}).get("horizon_months")
        equity.setdefault("horizon_months", horizon)
        equity.setdefault("currency", doc.get("currency"))
        equity.setdefault("value_kind", doc.get("value_kind") or "revenue")
        doc["customer_equity"] = equity
    return doc


def finite_report(report: dict[str, Any]) -> dict[str, Any]:
    """The report with every NaN/inf replaced by null, each listed in ``nulls`` with a reason
    (the database and ``--json`` accept no non-finite number, and a silent null would hide one)."""
    nulls: list[dict[str, str]] = []

    def clean(value: Any, path: str) -> Any:
        if isinstance(value, float | np.floating):
            if math.isfinite(value):
                return float(value)
            nulls.append({"field": path, "reason": f"not computable ({value!r}) on this data"})
            return None
        if isinstance(value, dict):
            return {k: clean(v, f"{path}.{k}" if path else str(k)) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [clean(v, f"{path}[{i}]") for i, v in enumerate(value)]
        if isinstance(value, np.integer):
            return int(value)
        return value

    out = clean(report, "")
    if nulls:  # after any listed by an earlier pass
        out["nulls"] = [*(out.get("nulls") or []), *nulls]
    return out
