"""Next-best actions at size: ``clvtui actions`` and ``export --action`` as processes, and the
Actions screen's interactions (issue 12: command < 5 s, screen interactions < 200 ms at 1 M).

    .venv/bin/python bench/actions_bench.py --customers 100000
    .venv/bin/python bench/actions_bench.py --db /tmp/clv-1m.db   # reuse (or build) this one

The database is built once (``clvtui demo --customers N --no-tui``) and reused. Commands run
once untimed, then ``--repeat`` times (median, through the installed entry point: start-up and
imports count). The screen is driven headless with ``run_test``: each figure is key press →
the expected state on screen (the grid filled, a cell's customers shown, back on the grid).
The first switch to the screen includes reading the shared customer frame once (what the
Customers or Segments screen would already have done); "again" is a second visit.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from commands_bench import clvtui, measure


def ensure(db: Path, customers: int) -> None:
    """Build ``db`` as a fitted demo shop of ``customers`` unless it already holds a fit."""
    if db.exists():
        return
    cmd = [*clvtui(), "demo", "--customers", str(customers), "--no-tui", "--db", str(db)]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)


def commands(db: Path, repeat: int) -> list[tuple[str, float, float]]:
    out = Path(tempfile.mkdtemp(prefix="clvtui-actions-bench-")) / "winback.csv"
    rows = []
    for label, argv in (
        ("actions --json", ["actions", "--json"]),
        ("export --action winback", ["export", "--action", "winback", "-o", str(out), "--force"]),
    ):
        cmd = [*clvtui(), *argv, "--db", str(db)]
        measure(cmd)
        runs = [measure(cmd) for _ in range(repeat)]
        rows.append((label, statistics.median(r[0] for r in runs), max(r[1] for r in runs)))
    return rows


async def screen(db: Path) -> list[tuple[str, float]]:
    """Key press → first frame showing the result, for the Actions screen's keys (timed by
    ``tui_bench.PaintClock``: ``pilot.press`` would add its wait for an idle process)."""
    from tui_bench import PaintClock, until

    from clvtui.tui.app import make_app
    from clvtui.tui.screens.actions import ActionCellScreen, ActionsScreen

    clock = PaintClock()
    app = make_app(db)

    async def keys(_app, names: list[str], check) -> float:  # type: ignore[no-untyped-def]
        """Like ``PaintClock.keys``, but watching from before the key is sent: a quick key
        (a cursor move) is painted before ``PaintClock.after`` would start watching."""
        import asyncio
        import time

        from textual import events

        clock.check, clock.shown = check, None
        start = time.perf_counter()
        for key in names:
            event = events.Key(key, key if len(key) == 1 else None)
            event.set_sender(app)
            app._driver.send_message(event)  # type: ignore[union-attr]
        while clock.shown is None:
            await asyncio.sleep(0.001)
            if time.perf_counter() - start > 120:
                raise TimeoutError(f"no paint showed the result of {names}")
        clock.check = None
        return clock.shown - start

    def grid_filled() -> bool:
        s = app.screen
        return isinstance(s, ActionsScreen) and bool(s.cells)

    def cell_shown() -> bool:
        s = app.screen
        return isinstance(s, ActionCellScreen) and s.query_one("#cell-customers").row_count > 0

    def row_is(n: int):  # type: ignore[no-untyped-def]
        return lambda: grid_filled() and app.screen.query_one("#actions-table").cursor_row == n

    figures = []
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.data.cached_customers() is not None)
        figures.append(("switch to Actions (first: assigns everyone)",
                        await keys(app, ["7"], grid_filled)))  # fmt: skip
        await pilot.pause()
        cells = app.screen.cells
        target = max(range(len(cells)), key=lambda i: cells[i]["customers"])
        for n in range(1, target + 1):
            figures.append((f"move in the grid (down to row {n})",
                            await keys(app, ["down"], row_is(n))))  # fmt: skip
        for visit in ("first", "again"):
            figures.append((f"open the largest cell (Enter, {visit})",
                            await keys(app, ["enter"], cell_shown)))  # fmt: skip
            await pilot.pause()
            figures.append(("back to the grid (Escape)",
                            await keys(app, ["escape"], grid_filled)))  # fmt: skip
            await pilot.pause()
        await keys(app, ["1"], lambda: app.current_mode == "overview")
        await pilot.pause()
        figures.append(("switch to Actions again", await keys(app, ["7"], grid_filled)))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--db", type=Path)
    args = parser.parse_args()
    db = args.db or Path(tempfile.gettempdir()) / f"clvtui-actions-bench-{args.customers}.db"
    ensure(db, args.customers)
    print(f"database: {db}; {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
    for label, wall, rss in commands(db, args.repeat):
        print(f"{label:42} {wall:6.2f} s  {rss:5.0f} MiB  (goal < 5 s)")
    for label, secs in asyncio.run(screen(db)):
        print(f"{label:42} {secs * 1000:6.0f} ms  (goal < 200 ms)")
    print(f"load average now {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
