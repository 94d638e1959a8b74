"""Load an orders frame into a real SQLite file through the public ingest API (no SQL here)."""

from __future__ import annotations

from pathlib import Path

from clvtui.demo.load import load_orders  # noqa: F401  (re-exported for the tests)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "cdnow"
CDNOW_SAMPLE = FIXTURES / "CDNOW_sample.txt"
CDNOW_SUMMARY = FIXTURES / "cdnow_customers_summary_with_transactions.csv"
