"""Command palette: screens, fit, export, import, and "jump to customer" over the ranking."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from clvtui.tui.app import ClvApp

SCREEN_COMMANDS = [
    ("overview", "Go to Overview", "Customer equity, tiers, concentration, verdict (1)"),
    ("customers", "Go to Customers", "Every customer ranked by CLV (2)"),
    ("segments", "Go to Segments", "Tiers × churn risk (3)"),
    ("budget", "Go to Budget", "Allowable CPA and budget split (4)"),
    ("model", "Go to Model", "Parameters, holdout check, refit (5)"),
    ("import", "Go to Import", "Import a shop export (6)"),
]
MAX_CUSTOMER_HITS = 12


class ClvCommands(Provider):
    """Everything the app can do, plus customers by name, e-mail or id once loaded."""

    @property
    def clv(self) -> ClvApp:
        return self.app  # type: ignore[return-value]

    def _actions(self) -> list[tuple[str, str, object]]:
        app = self.clv
        actions: list[tuple[str, str, object]] = [
            (title, help_, partial(app.switch_mode, mode)) for mode, title, help_ in SCREEN_COMMANDS
        ]
        actions += [
            ("Fit model", "Refit on all orders with the current settings (f on Model)",
             app.action_refit),
            ("Export", "Export what the current screen shows (e)", app.action_export),
            ("Import a file…", "Pick a shop export to import (6)",
             partial(app.switch_mode, "import")),
            ("Help", "Keys and screens (? or F1)", app.action_help),
        ]  # fmt: skip
        return actions

    async def discover(self) -> Hits:
        for title, help_, callback in self._actions():
            yield DiscoveryHit(title, callback, help=help_)  # type: ignore[arg-type]

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_, callback in self._actions():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback, help=help_)  # type: ignore[arg-type]
        frame = self.clv.data.cached_customers()
        needle = query.strip().lower()
        if frame is None or len(needle) < 2:
            return
        import polars as pl

        found = frame.filter(pl.col("search").str.contains(needle, literal=True)).head(
            MAX_CUSTOMER_HITS
        )
        for row in found.iter_rows(named=True):
            title = f"Customer {row['name'] or row['customer_id']}"
            who = row["email"] or row["customer_id"]
            detail = f"{who} · {row['tier'] or ''} · CLV {row['clv']:,.2f}"
            yield Hit(
                0.5,
                title,
                partial(self.clv.open_customer, row["customer_id"]),
                help=detail,
            )
