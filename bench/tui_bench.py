"""Terminal UI speed on a big shop: first paint, switching, sorting, filtering, paging, memory.

Usage: python bench/tui_bench.py [--customers 1000000] [--db PATH]
Builds (once) a fitted demo database of that size, then drives the app headless with
``run_test`` and prints key press → rendered times. Goals: first paint < 1 s; switch, sort,
filter, page < 200 ms; peak RSS < 1.5 GB; ``clvtui demo`` (5,000 customers) to interactive < 10 s.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def build(path: Path, customers: int) -> float:
    from clvtui.cli.demo_cmd import build_demo

    start = time.perf_counter()
    build_demo(path, customers=customers, fmt="shopify", seed=0, fresh=False)
    return time.perf_counter() - start


async def until(pilot, check, timeout: float = 120.0) -> float:  # type: ignore[no-untyped-def]
    """Seconds until ``check()`` holds, pausing the pilot (i.e. letting the app render)."""
    start = time.perf_counter()
    while not check():
        await pilot.pause(0.005)
        if time.perf_counter() - start > timeout:
            raise TimeoutError("condition not reached")
    await pilot.pause()
    return time.perf_counter() - start


async def drive(db: Path, n: int) -> dict[str, float]:
    from clvtui.tui.app import make_app
    from clvtui.tui.widgets.frame_table import FrameTable
    from clvtui.tui.widgets.kpi import KpiCard

    out: dict[str, float] = {}
    start = time.perf_counter()
    app = make_app(db)
    async with app.run_test(size=(140, 45)) as pilot:
        await until(pilot, lambda: app.screen.query_one("#kpi-equity", KpiCard)._value != "–")
        out["first paint (overview headline)"] = time.perf_counter() - start
        await until(pilot, lambda: not app.screen.query_one("#dashboard").loading)
        out["overview complete (charts, 1 M frame loaded)"] = time.perf_counter() - start

        t = time.perf_counter()
        await pilot.press("2")
        await until(
            pilot,
            lambda: (
                app.current_mode == "customers"
                and app.screen.query_one("#ranking", FrameTable).row_count == n
            ),
        )
        out["switch to Customers"] = time.perf_counter() - t
        table = app.screen.query_one("#ranking", FrameTable)

        t = time.perf_counter()
        await pilot.press("s")
        await until(pilot, lambda: app.screen.sort_key == "p_alive")
        out["sort (P(alive))"] = time.perf_counter() - t

        t = time.perf_counter()
        await pilot.press("slash", "a", "d", "a")
        await until(pilot, lambda: app.screen.needle == "ada")
        out["filter ('/ada', 3 keystrokes, each refilters)"] = time.perf_counter() - t
        out["  rows after filter"] = float(table.row_count)
        await pilot.press("escape")
        await pilot.pause()

        t = time.perf_counter()
        await pilot.press("pagedown")
        await pilot.pause()
        out["page down"] = time.perf_counter() - t
        t = time.perf_counter()
        await pilot.press("end")
        await pilot.pause()
        out["end"] = time.perf_counter() - t
        t = time.perf_counter()
        await pilot.press("1")
        await pilot.pause()
        out["switch back to Overview"] = time.perf_counter() - t
    return out


def demo_to_interactive() -> float:
    """``clvtui demo --no-tui`` (5,000 customers) plus the app's first paint on it."""
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "demo.db"
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "clvtui", "demo", "--no-tui", "--db", str(db)],
            check=True,
            capture_output=True,
        )
        build_s = time.perf_counter() - start

        async def paint() -> float:
            from clvtui.tui.app import make_app
            from clvtui.tui.widgets.kpi import KpiCard

            t = time.perf_counter()
            app = make_app(db)
            async with app.run_test(size=(140, 45)) as pilot:
                await until(
                    pilot, lambda: app.screen.query_one("#kpi-equity", KpiCard)._value != "–"
                )
            return time.perf_counter() - t

        return build_s + asyncio.run(paint())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--db", type=Path, default=None)
    args = parser.parse_args()
    db = args.db or Path(tempfile.gettempdir()) / f"clvtui-bench-{args.customers}.db"
    if not db.exists():
        print(f"building {args.customers:,}-customer demo database at {db} …", flush=True)
        print(f"  built in {build(db, args.customers):.1f} s", flush=True)
    print(f"clvtui demo (5,000 customers) → interactive: {demo_to_interactive():.2f} s")
    for name, value in asyncio.run(drive(db, args.customers)).items():
        shown = f"{value:,.0f}" if name.startswith("  ") else f"{value * 1000:,.0f} ms"
        print(f"{name:48s} {shown}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{'peak RSS (this process)':48s} {peak:,.0f} MiB")


if __name__ == "__main__":
    main()
