"""Old stored run reports in today's key layout: the version switch of ``RunReport.from_json``.

Reports live in ``runs.report`` for ever; when the layout changes, bump ``REPORT_VERSION``
and add a step here that maps the older keys, so every stored run still opens.
"""

from __future__ import annotations

from typing import Any

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
