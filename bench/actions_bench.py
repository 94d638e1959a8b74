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
import time
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
    """Key press → state on screen for the Actions screen's keys."""
    from clvtui.tui.app import make_app
    from clvtui.tui.screens.actions import ActionCellScreen, ActionsScreen

    async def until(pilot, check) -> float:  # type: ignore[no-untyped-def]
        start = time.perf_counter()
        while not check():
            await pilot.pause(0.002)
            if time.perf_counter() - start > 300:
                raise TimeoutError
        return time.perf_counter() - start

    def grid_filled(app) -> bool:  # type: ignore[no-untyped-def]
        s = app.screen
        return isinstance(s, ActionsScreen) and bool(s.cells)

    app = make_app(db)
    figures = []
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.5)
        await pilot.press("7")
        figures.append(("switch to Actions (first, reads the frame)", await until(
            pilot, lambda: grid_filled(app))))  # fmt: skip
        for label in ("open the largest cell (Enter)", "open it again"):
            table = app.screen.query_one("#actions-table")
            cells = app.screen.cells
            target = max(range(len(cells)), key=lambda i: cells[i]["customers"])
            table.move_cursor(row=target)
            await pilot.pause()
            start = time.perf_counter()
            await pilot.press("enter")
            await until(pilot, lambda: isinstance(app.screen, ActionCellScreen)
                        and app.screen.query_one("#cell-customers").row_count > 0)  # fmt: skip
            figures.append((label, time.perf_counter() - start))
            start = time.perf_counter()
            await pilot.press("escape")
            await until(pilot, lambda: isinstance(app.screen, ActionsScreen))
            figures.append(("back to the grid (Escape)", time.perf_counter() - start))
        start = time.perf_counter()
        await pilot.press("down")
        await pilot.pause()
        figures.append(("move in the grid (down)", time.perf_counter() - start))
        await pilot.press("1")
        await pilot.pause()
        start = time.perf_counter()
        await pilot.press("7")
        await until(pilot, lambda: grid_filled(app))
        figures.append(("switch to Actions again", time.perf_counter() - start))
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
