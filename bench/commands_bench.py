"""Whole-command speed as the user sees it: every reporting command as its own process.

    .venv/bin/python bench/commands_bench.py                      # 1,000,000 customers
    .venv/bin/python bench/commands_bench.py --customers 100000 --repeat 5
    .venv/bin/python bench/commands_bench.py --db /tmp/clv-1m.db   # reuse (or build) this one

Builds (once, then cached) a fitted demo database — ``clvtui demo --customers N --no-tui``
and a second ``clvtui fit``, so ``moved`` has two runs to compare — then runs each command
through the installed ``clvtui`` entry point, the way a user types it: start-up, imports,
SQLite reads and output all count. Each command runs once untimed (warm page cache), then
``--repeat`` times; the table shows the median and fastest wall time and the peak RSS of the
child alone (``ru_maxrss`` from ``os.wait4`` on that child, not the cumulative
``RUSAGE_CHILDREN`` maximum) and its CPU time (user + system: on a machine shared with other
jobs the wall time stretches with the load, the CPU time much less — compare both).
Goals (issue 18): every reporting command ≤ 2 s and < 600 MB
(read as MiB, as in the issue's figures), ``export --all`` to CSV ≤ 3 s; ``clvtui --help``
start-up ≤ 0.5 s (this benchmark's own mark for "kept small"). Figures depend on the
machine: quote its cores and load beside them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MB, MIB = 1_000_000, 1 << 20
# (label, arguments after `clvtui`, wall goal s, RSS goal MB); {out} is filled in, and
# `--db` is added to all but --help. A new command is one more line here.
COMMANDS: list[tuple[str, list[str], float, float]] = [
    ("--help", ["--help"], 0.5, 600),
    ("segments --json", ["segments", "--json"], 2.0, 600),
    ("actions --json", ["actions", "--json"], 2.0, 600),  # issue 12: < 5 s; 18: every ≤ 2 s
    ("budget --total 5000 --json", ["budget", "--total", "5000", "--json"], 2.0, 600),
    ("profile --json", ["profile", "--json"], 2.0, 600),
    ("whatif --margin 40% --json", ["whatif", "--margin", "40%", "--json"], 2.0, 600),
    ("moved --json", ["moved", "--json"], 2.0, 600),
    ("export --all -o FILE.csv --force", ["export", "--all", "-o", "{out}", "--force"], 3.0, 600),
    ("rank --top 20", ["rank", "--top", "20"], 2.0, 600),
    ("trends --json", ["trends", "--json"], 2.0, 600),
    ("runs --json", ["runs", "--json"], 2.0, 600),
    ("imports --json", ["imports", "--json"], 2.0, 600),
    ("cohorts --json", ["cohorts", "--json"], 2.0, 600),  # issue 13: < 5 s; 18: every ≤ 2 s
    (
        "plan --revenue-goal 1000000 --json",
        ["plan", "--revenue-goal", "1000000", "--json"],
        2.0,  # issue 13: < 5 s at 1 M; 18: every command ≤ 2 s, < 600 MB
        600,
    ),
    ("products --json", ["products", "--json"], 2.0, 600),  # issue 12: < 5 s; 18: ≤ 2 s
    ("costs --json", ["costs", "--json"], 2.0, 600),  # issue 13 (18: every command ≤ 2 s)
    ("channels --json", ["channels", "--json"], 2.0, 600),  # issue 13
    ("campaign list", ["campaign", "list"], 2.0, 600),  # issue 12
    # wave 10 (determ): the paths with marketing spend and a tier, where sums became row-order
    ("spend cac --json", ["spend", "cac", "--json"], 2.0, 600),
    ("cohorts --by channel --json", ["cohorts", "--by", "channel", "--json"], 5.0, 1000),
    (
        "budget --total 5000 --by-channel --json",
        ["budget", "--total", "5000", "--by-channel", "--json"],
        2.0,
        600,
    ),
    ("products --tier high --json", ["products", "--tier", "high", "--json"], 5.0, 1000),
]


def clvtui() -> list[str]:
    """The entry point a user runs (beside this interpreter), else ``python -m clvtui``."""
    script = Path(sys.executable).parent / "clvtui"
    return [str(script)] if script.exists() else [sys.executable, "-m", "clvtui"]


def measure(cmd: list[str], tree: Path | None = None) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds, peak RSS MiB) of one run of ``cmd``; exits if it fails.
    ``tree``: run the clvtui of that source checkout instead (``python -m clvtui``)."""
    env = None
    if tree is not None:
        cmd = [sys.executable, "-m", "clvtui", *cmd[len(clvtui()) :]]
        env = os.environ | {"PYTHONPATH": str(tree)}
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=tree
    )
    assert proc.stderr is not None
    err = proc.stderr.read()  # drained so a chatty child never blocks on a full pipe
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    proc.stderr.close()
    if proc.returncode != 0:
        raise SystemExit(f"failed ({proc.returncode}): {' '.join(cmd)}\n{err.decode()}")
    cpu = usage.ru_utime + usage.ru_stime
    return wall, cpu, usage.ru_maxrss / 1024  # ru_maxrss is KiB on Linux


def runs_in(db: Path) -> int:
    """How many fits ``db`` holds (0 if it is missing or unreadable)."""
    if not db.exists():
        return 0
    out = subprocess.run([*clvtui(), "runs", "--json", "--db", str(db)], capture_output=True)
    if out.returncode != 0:
        return 0
    return len(json.loads(out.stdout).get("runs", []))


def build(db: Path, customers: int) -> float:
    """Demo shop of ``customers`` plus a second fit into ``db``; seconds taken."""
    for old in db.parent.glob(db.name + "*"):  # the db and its -wal/-shm leftovers
        old.unlink()
    start = time.perf_counter()
    for step in (
        ["demo", "--customers", str(customers), "--no-tui", "--db", str(db)],
        ["fit", "--db", str(db)],
    ):
        subprocess.run([*clvtui(), *step], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per command")
    parser.add_argument(
        "--db", type=Path, help="database to reuse (built there if it lacks two fits)"
    )
    parser.add_argument("--only", nargs="*", help="run only the commands starting with these")
    parser.add_argument(
        "--against", type=Path, help="another clvtui checkout, run alternately (before/after)"
    )
    args = parser.parse_args()

    db = args.db or Path(tempfile.gettempdir()) / f"clvtui-commands-bench-{args.customers}.db"
    db.parent.mkdir(parents=True, exist_ok=True)
    if runs_in(db) >= 2:
        print(f"database: {db} (reused; built earlier)")
    else:
        print(f"database: building {args.customers:,} customers + a second fit in {db} …")
        print(f"database: built in {build(db, args.customers):.0f} s")
    size = sum(p.stat().st_size for p in db.parent.glob(db.name + "*")) / 2**20
    load = os.getloadavg()[0]
    print(f"database: {size:,.0f} MiB on disk")
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.python_version()}, "
          f"load average {load:.2f} at start (other processes share the cores)")  # fmt: skip

    work = Path(tempfile.mkdtemp(prefix="clvtui-commands-bench-"))
    out = work / "export.csv"
    rows = []
    chosen = [c for c in COMMANDS if not args.only or c[0].startswith(tuple(args.only))]
    for label, argv, wall_goal, rss_goal in chosen:
        filled = [a.replace("{out}", str(out)) for a in argv]
        cmd = [*clvtui(), *filled] if label == "--help" else [*clvtui(), *filled, "--db", str(db)]
        measure(cmd)  # warm-up, untimed
        if args.against is not None:
            measure(cmd, args.against)  # warm-up, untimed
            old = [(measure(cmd, args.against), measure(cmd))[0] for _ in range(args.repeat)]
            o_wall, o_cpu, o_rss = zip(*old, strict=True)
            print(f"  {label} ({args.against}): {statistics.median(o_wall):.2f} s, "
                  f"{statistics.median(o_cpu):.2f} s CPU, {max(o_rss):.0f} MiB",
                  flush=True)  # fmt: skip
        walls, cpus, rsss = zip(*(measure(cmd) for _ in range(args.repeat)), strict=True)
        median, fastest, rss = statistics.median(walls), min(walls), max(rsss)
        cpu, load_now = statistics.median(cpus), os.getloadavg()[0]
        ok = median <= wall_goal and rss * MIB < rss_goal * MB  # the goals are in MB (10^6)
        goal = f"≤ {wall_goal:g} s, < {rss_goal:g} MB"
        rows.append((label, median, fastest, cpu, rss, load_now, goal, ok))
        print(f"  {label}: {median:.2f} s", file=sys.stderr, flush=True)
    shutil.rmtree(work)

    print(f"\n{args.customers:,} customers, median of {args.repeat} runs after one warm-up")
    print(f"{'command':34} {'median s':>8} {'min s':>6} {'CPU s':>6} {'RSS MiB':>8} "
          f"{'load':>5}  {'goal':20} result")  # fmt: skip
    for label, median, fastest, cpu, rss, load_now, goal, ok in rows:
        print(f"{label:34} {median:8.2f} {fastest:6.2f} {cpu:6.2f} {rss:8.0f} {load_now:5.1f}  "
              f"{goal:20} {'OK' if ok else 'over'}")  # fmt: skip
    over = sum(not r[-1] for r in rows)
    print(f"\n{len(rows) - over} of {len(rows)} within their goals; load average now "
          f"{os.getloadavg()[0]:.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
