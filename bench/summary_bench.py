"""Fit from a warehouse summary at 10 M customers: time and peak memory of the whole process.

    .venv/bin/python bench/summary_bench.py [--customers 10000000] [--file PATH] [--repeat 1]

Makes (once, cached at --file) a summary Parquet of simulated BG/NBD customers at day
resolution — t_x and T in whole days, as the warehouse queries in docs/warehouse.md write them —
then runs ``--fit FILE`` in a child process under ``/usr/bin/time -v`` and prints its wall time
and peak RSS against the goals (< 15 s, < 2.5 GB). The child does what ``clvtui fit --summary``
does short of writing SQLite: start Python, read and check the file (``ingest.summary_file``,
in a thread beside the model code's import), fit BG/NBD and Gamma-Gamma, predict CLV with 90 %
intervals, P(order in 30/90 days), tiers, risk bands and retention (``summary_fit.score_summary``).
Stage times are printed by the child. Storing 10 M score rows in SQLite is a different
question (``bench/model_bench.py --db-fit`` measures a whole fit with its writes).

The simulation: λ ~ Gamma(r, α) per week, dropout p ~ Beta(a, b) after each purchase,
acquisition uniform over 52 weeks, observation to week 78; purchases on one day are one
purchase (the convention); spend Gamma-Gamma (p, q, γ). Parameters: clvtui.demo's defaults.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

GOAL_SECONDS = 15.0
GOAL_GB = 2.5  # decimal gigabytes (2.33 GiB); RSS is printed in both units
AS_OF = "2026-06-30"  # T runs to this day (any day: the file has no dates)


def simulate_summary(n: int, seed: int = 0) -> pl.DataFrame:
    """One row per simulated customer: customer_id, x, t_x, T (days), m."""
    from clvtui.demo import DemoParams

    prm = DemoParams()
    rng = np.random.default_rng(seed)
    lam = rng.gamma(prm.r, 1.0 / prm.alpha, n) / 7.0  # per day
    drop = rng.beta(prm.a, prm.b, n)
    T = (78 * 7 - rng.integers(0, 52 * 7, n)).astype(np.int64)
    x = np.zeros(n, dtype=np.int64)
    last = np.zeros(n, dtype=np.int64)  # day of the last purchase since the first
    t = np.zeros(n)
    active = np.flatnonzero(lam > 0)
    while active.size:
        t[active] += rng.exponential(1.0, active.size) / lam[active]
        inside = t[active] <= T[active]
        buying = active[inside]
        day = np.floor(t[buying]).astype(np.int64)
        new = day > last[buying]  # same-day orders are one purchase
        x[buying[new]] += 1
        last[buying[new]] = day[new]
        alive = rng.random(buying.size) >= drop[buying]
        active = buying[alive]
    nu = rng.gamma(prm.q, 1.0 / prm.gamma, n)
    shape = np.maximum(prm.p * x, 1e-9)
    m = np.where(x > 0, rng.gamma(shape, 1.0 / (nu * np.maximum(x, 1))), 0.0).round(2)
    ids = pl.int_range(0, n, eager=True).cast(pl.Utf8).str.zfill(9)
    return pl.DataFrame({"customer_id": "c" + ids, "x": x, "t_x": last, "T": T, "m": m})


def fit_child(path: Path) -> None:
    """What the timed child does; prints one line per stage."""
    t0 = time.perf_counter()
    from clvtui.ingest.summary_file import read_summary_in_background

    reading = read_summary_in_background(path, unit="days")  # as the CLI: beside the import
    from clvtui.settings import Settings
    from clvtui.summary_fit import score_summary

    stages = {"import (the read running beside it)": time.perf_counter() - t0}
    t = time.perf_counter()
    summary = reading.result()
    stages["read + check, after the import"] = time.perf_counter() - t
    t = time.perf_counter()
    done = score_summary(summary, Settings(), as_of=AS_OF, model="bgnbd", unit="days")
    stages["fit + CLV + segments"] = time.perf_counter() - t
    report = done.run["report"]
    distinct = report["summary_file"]["distinct_rows"]
    print(f"customers {summary.frame.height:,}; distinct (x, t_x, T) {distinct:,}")
    print(
        "params " + ", ".join(f"{k} {v:.4g}" for k, v in report["purchase_model"]["params"].items())
    )
    eq = report["customer_equity"]
    print(f"equity {eq['value']:,.0f} (90 % {eq['low']:,.0f} – {eq['high']:,.0f})")
    for name, secs in stages.items():
        print(f"stage {name}: {secs:.2f} s")


def timed(path: Path) -> tuple[float, float, str]:
    """Wall seconds and peak RSS (GB) of the child, and its output."""
    out = subprocess.run(
        ["/usr/bin/time", "-v", sys.executable, __file__, "--fit", str(path)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    wall = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)", out.stderr)
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", out.stderr)
    cpu = [float(v) for v in re.findall(r"(?:User|System) time \(seconds\): ([\d.]+)", out.stderr)]
    assert wall and rss and len(cpu) == 2, out.stderr
    h, mnt, sec = wall.groups()
    seconds = int(h or 0) * 3600 + int(mnt) * 60 + float(sec)
    return seconds, int(rss.group(1)) / 1024**2, out.stdout + f"CPU time {sum(cpu):.1f} s\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=10_000_000)
    parser.add_argument("--file", type=Path, default=None)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--fit", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.fit is not None:
        fit_child(args.fit)
        return
    path = args.file or Path(tempfile.gettempdir()) / f"clvtui-summary-{args.customers}.parquet"
    if not path.exists():
        t = time.perf_counter()
        simulate_summary(args.customers).write_parquet(path)
        print(
            f"made {path} ({path.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t:.0f} s"
        )
    with open("/proc/loadavg", encoding="ascii") as fh:
        print(
            f"load average before: {fh.read().split()[0]} on {__import__('os').cpu_count()} cores"
        )
    runs = [timed(path) for _ in range(args.repeat)]
    print(runs[-1][2], end="")
    for seconds, gb, _ in runs:
        print(
            f"whole process: {seconds:.1f} s (goal < {GOAL_SECONDS:g} s), peak RSS {gb:.2f} GiB "
            f"= {gb * 1.073741824:.2f} GB (goal < {GOAL_GB:g} GB)"
        )


if __name__ == "__main__":
    main()
