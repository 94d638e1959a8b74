"""What every service's "one fit's inputs" shares: the run it was read from (no imports, so a
service can base its dataclasses on it without loading the run-reading code at start-up)."""

from __future__ import annotations

from typing import Any


class OfRun:
    """The id and currency of the stored run (``run``, a ``runs`` row) an object was read from:
    one definition for every service's "what one fit's work starts from"."""

    run: dict[str, Any]

    @property
    def run_id(self) -> int:
        return int(self.run["id"])

    @property
    def currency(self) -> str:
        return self.run.get("currency") or ""
