"""Speed of ``clvtui products`` as the user sees it, and where its time goes.

    .venv/bin/python bench/products_bench.py                       # 1,000,000 customers
    .venv/bin/python bench/products_bench.py --customers 100000 --repeat 3
    .venv/bin/python bench/products_bench.py --db /tmp/clv-1m.db    # reuse (or build) this one

Builds (once) a fitted demo shop — ``clvtui demo --customers N --no-tui``: a Shopify export
whose orders carry 1–3 priced lines with product-family affinity — then runs ``clvtui products
--json`` as its own process (start-up, imports, SQLite reads and output all count; one untimed
run warms the page cache) and, in this process, the steps inside it: reading the purchase
lines, entry products, journey, affinity, and the best next product of every customer (what
the Actions view asks for). ``clvtui actions --json`` is timed the same way. Wall and CPU time
(the child's user + system, all its threads) are both printed, with the load average: the
machine is shared. Goal (issue 12): ``products`` and ``actions`` < 5 s at 1 M customers.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path


def clvtui() -> list[str]:
    script = Path(sys.executable).parent / "clvtui"
    return [str(script)] if script.exists() else [sys.executable, "-m", "clvtui"]


def build(db: Path, customers: int) -> None:
    if db.exists():
        return
    print(f"building a {customers:,}-customer demo shop in {db} …", flush=True)
    cmd = [*clvtui(), "demo", "--customers", str(customers), "--no-tui", "--db", str(db)]
    subprocess.run(cmd, check=True)


def timed(cmd: list[str]) -> tuple[float, float]:
    """(wall, CPU) seconds of one run of ``cmd`` as its own process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return seconds, cpu


def report(name: str, cmd: list[str], repeat: int, customers: int) -> None:
    timed(cmd)  # warm the page cache
    runs = [timed(cmd) for _ in range(repeat)]
    walls = [w for w, _ in runs]
    cpu = statistics.median(c for _, c in runs)
    middle = statistics.median(walls)
    print(f"clvtui {name} --json at {customers:,} customers: median {middle:.2f} s"
          f" (CPU {cpu:.2f} s), fastest {min(walls):.2f} s (goal < 5 s)")  # fmt: skip


def steps(db_path: Path) -> list[tuple[str, float, float]]:
    """(step, wall, CPU) seconds per step of the service, in this process."""
    from clvtui.insights import products as ins
    from clvtui.services.products import product_report, run_lines
    from clvtui.store import open_db

    db = open_db(db_path, readonly=True)
    out = []

    def clock() -> tuple[float, float]:
        return time.perf_counter(), time.process_time()

    def lap(label: str, since: tuple[float, float]) -> None:
        now = clock()
        out.append((label, now[0] - since[0], now[1] - since[1]))

    t = clock()
    data = run_lines(db)
    read = data.coded.order.size if data.coded is not None else data.lines.height
    lap(f"read {read:,} purchase lines + run values", t)
    t = clock()
    product_report(db, data=data)
    lap("entry products + journey + affinity", t)
    t = clock()
    bought = ins.customer_products(data.lines)
    best = ins.best_next_products(bought, ins.affinity(bought))
    lap(f"best next product of {best.height:,} customers", t)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--db", type=Path, default=None)
    args = parser.parse_args()
    db = args.db or Path(f"/tmp/clvtui-products-{args.customers}.db")
    build(db, args.customers)
    cores = os.cpu_count()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{platform.processor() or platform.machine()}, {cores} cores, load {load:.1f}")
    for name in ("products", "actions"):
        report(name, [*clvtui(), name, "--json", "--db", str(db)], args.repeat, args.customers)
    for label, seconds, cpu in steps(db):
        print(f"  {label}: {seconds:.2f} s (CPU {cpu:.2f} s)")
    print(f"  peak memory of this process: {peak_mib():.0f} MiB")


def peak_mib() -> float:
    """Peak resident memory of this process (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


if __name__ == "__main__":
    main()
