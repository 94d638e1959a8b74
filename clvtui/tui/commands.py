"""Command palette: screens, fit, export, import, and "jump to customer" over the ranking."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from textual.command import DiscoveryHit, Hit, Hits, Provider

from clvtui.tui.screens.registry import MAIN_SCREENS, key_of

if TYPE_CHECKING:
    from clvtui.tui.app import ClvApp

MAX_CUSTOMER_HITS = 12


class ClvCommands(Provider):
    """Everything the app can do, plus customers by name, e-mail or id once loaded."""

    @property
    def clv(self) -> ClvApp:
        return self.app  # type: ignore[return-value]

    def _actions(self) -> list[tuple[str, str, object]]:
        app = self.clv
        actions: list[tuple[str, str, object]] = [
            (f"Go to {s.title}", f"{s.summary} ({s.key})", partial(app.switch_mode, s.mode))
            for s in MAIN_SCREENS
        ]
        actions += [
            ("Fit model", "Refit on all orders with the current settings (f on Model)",
             app.action_refit),
            ("Export", "Export what the current screen shows (e)", app.action_export),
            ("Import a file…", f"Pick a shop export to import ({key_of('import')})",
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
