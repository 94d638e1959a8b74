"""Import speed: `clvtui import` vs `sqlite3 .import` vs pandas, on a demo Shopify export.

    .venv/bin/python bench/import_bench.py                 # 1,000,000 customers (~2.8 M orders)
    .venv/bin/python bench/import_bench.py --customers 100000

Every contender runs as its own subprocess so wall time and peak RSS (ru_maxrss of that child
alone) are comparable. `sqlite3 .import` is the floor for getting the raw rows into SQLite
(no parsing, no normalising); pandas is what a hand-written importer would use. Goals: within
2× of `sqlite3 .import`, faster than pandas, peak RSS < 1.5 GB, re-import cheaper than import.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# Runs one command and reports its own peak RSS: RUSAGE_CHILDREN of a fresh wrapper process
# covers exactly that command (the benchmark's own memory is not mixed in).
WRAPPER = (
    "import resource, subprocess, sys, time\n"
    "t = time.perf_counter()\n"
    "code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode\n"
    "wall = time.perf_counter() - t\n"
    "rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
    "print(f'{code} {wall} {rss}', file=sys.stderr)\n"
)
PANDAS = (
    "import sqlite3, sys, pandas as pd\n"
    "df = pd.read_csv(sys.argv[1], dtype=str, keep_default_na=False)\n"
    "with sqlite3.connect(sys.argv[2]) as conn:\n"
    "    df.to_sql('orders_raw', conn, index=False, chunksize=100_000)\n"
)


def measure(cmd: list[str]) -> tuple[float, float]:
    """(wall seconds, peak RSS in MiB) of one command."""
    out = subprocess.run([sys.executable, "-c", WRAPPER, *cmd], capture_output=True, text=True)
    code, wall, rss = out.stderr.strip().splitlines()[-1].split()
    if code != "0":
        raise SystemExit(f"failed ({code}): {' '.join(cmd)}\n{out.stderr}")
    return float(wall), int(rss) / 1024  # ru_maxrss is KiB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--keep", type=Path, help="directory to keep the files in")
    parser.add_argument("--skip-pandas", action="store_true")
    args = parser.parse_args()

    from clvtui.demo import DemoParams, write_demo_export

    work = args.keep or Path(tempfile.mkdtemp(prefix="clvtui-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    for old in work.glob("*.db*"):  # a kept directory must not hold last run's tables
        old.unlink()
    export = work / "shopify_orders.csv"
    t = time.perf_counter()
    write_demo_export(export, "shopify", DemoParams(n_customers=args.customers), seed=0)
    written = time.perf_counter() - t
    lines = sum(1 for _ in export.open("rb")) - 1
    size = export.stat().st_size / 2**20
    print(f"export: {args.customers:,} customers, {lines:,} rows, {size:,.0f} MiB, "
          f"written in {written:.1f} s")  # fmt: skip

    sqlite3 = shutil.which("sqlite3") or "/usr/bin/sqlite3"
    clvtui = [sys.executable, "-m", "clvtui", "import", str(export), "--json"]
    results: dict[str, tuple[float, float]] = {}
    results["sqlite3 .import (raw rows)"] = measure(
        [sqlite3, str(work / "raw.db"), ".mode csv", f".import {export} orders_raw"]
    )
    results["clvtui import"] = measure([*clvtui, "--db", str(work / "clv.db")])
    results["clvtui re-import (same file)"] = measure([*clvtui, "--db", str(work / "clv.db")])
    # After another import the shortcut for "same file as the latest import" does not apply:
    # this measures the general path (staging table + upsert that writes only changed rows).
    other = work / "other.csv"
    other.write_text("customer,date,amount\nx1,2024-01-01,1.00\n")
    subprocess.run([*clvtui[:3], "import", str(other), "--db", str(work / "clv.db")],
                   check=True, stdout=subprocess.DEVNULL)  # fmt: skip
    results["clvtui re-import (staged upsert)"] = measure([*clvtui, "--db", str(work / "clv.db")])
    if not args.skip_pandas:
        results["pandas read_csv + to_sql"] = measure(
            [sys.executable, "-c", PANDAS, str(export), str(work / "pandas.db")]
        )
    report = subprocess.run(
        [*clvtui, "--db", str(work / "check.db"), "--dry-run"], capture_output=True, text=True
    )
    orders = json.loads(report.stdout)["orders"] if report.returncode == 0 else None

    floor = results["sqlite3 .import (raw rows)"][0]
    print(f"\n{'contender':32} {'wall s':>8} {'× sqlite3':>10} {'peak RSS MiB':>13}")
    for name, (wall, rss) in results.items():
        print(f"{name:32} {wall:8.2f} {wall / floor:10.2f} {rss:13.0f}")
    if orders is not None:
        print(f"\norders after normalising: {orders:,}")
    ours = results["clvtui import"][0]
    again = results["clvtui re-import (same file)"][0]
    staged = results["clvtui re-import (staged upsert)"][0]
    goals = {
        "within 2× of sqlite3 .import": ours <= 2 * floor,
        "re-import cheaper than import": again < ours,
        "staged re-import cheaper than import": staged < ours,
        "peak RSS < 1.5 GB": results["clvtui import"][1] < 1536,
    }
    if "pandas read_csv + to_sql" in results:
        goals["faster than pandas"] = ours < results["pandas read_csv + to_sql"][0]
    for goal, met in goals.items():
        print(f"{'met ' if met else 'MISS'}  {goal}")
    if args.keep is None:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
