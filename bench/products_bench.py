"""Speed of ``clvtui products`` as the user sees it, and where its time goes.

    .venv/bin/python bench/products_bench.py                       # 1,000,000 customers
    .venv/bin/python bench/products_bench.py --customers 100000 --repeat 3
    .venv/bin/python bench/products_bench.py --db /tmp/clv-1m.db    # reuse (or build) this one

Builds (once) a fitted demo shop — ``clvtui demo --customers N --no-tui``: a Shopify export
whose orders carry 1–3 priced lines with product-family affinity — then runs ``clvtui products
--json`` as its own process (start-up, imports, SQLite reads and output all count; one untimed
run warms the page cache) and, in this process, the steps inside it: reading the purchase
lines, entry products, journey, affinity, and the best next product of every customer (what
the Actions view asks for). Goal (issue 12): ``products`` < 5 s at 1 M customers.
"""

from __future__ import annotations

import argparse
import os
import platform
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


def wall(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def steps(db_path: Path) -> list[tuple[str, float]]:
    """Seconds per step of the service, in this process."""
    from clvtui.insights import products as ins
    from clvtui.services.products import product_report, run_lines
    from clvtui.store import open_db

    db = open_db(db_path, readonly=True)
    out = []
    t = time.perf_counter()
    data = run_lines(db)
    out.append((f"read {data.lines.height:,} purchase lines + run values", time.perf_counter() - t))
    t = time.perf_counter()
    product_report(db, data=data)
    out.append(("entry products + journey + affinity", time.perf_counter() - t))
    t = time.perf_counter()
    bought = ins.customer_products(data.lines)
    best = ins.best_next_products(bought, ins.affinity(bought))
    out.append((f"best next product of {best.height:,} customers", time.perf_counter() - t))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--db", type=Path, default=None)
    args = parser.parse_args()
    db = args.db or Path(f"/tmp/clvtui-products-{args.customers}.db")
    build(db, args.customers)
    cmd = [*clvtui(), "products", "--json", "--db", str(db)]
    wall(cmd)  # warm the page cache
    times = [wall(cmd) for _ in range(args.repeat)]
    cores = os.cpu_count()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{platform.processor() or platform.machine()}, {cores} cores, load {load:.1f}")
    print(f"clvtui products --json at {args.customers:,} customers: median "
          f"{statistics.median(times):.2f} s, fastest {min(times):.2f} s (goal < 5 s)")  # fmt: skip
    for label, seconds in steps(db):
        print(f"  {label}: {seconds:.2f} s")


if __name__ == "__main__":
    main()
