"""CLV engine vs the `lifetimes` package, side by side, stage by stage.

    .venv/bin/pip install -e '.[bench]'          # lifetimes 0.11.3 + setuptools<81
    .venv/bin/python bench/model_bench.py [--cdnow PATH] [--sizes 100000,1000000] [--db-fit]
                                          [--shape standard|no-dropout|regular|wholesale|…]
                                          [--repeat 3] [--repeat-lifetimes 1]

Datasets: CDNOW master (23,570 customers; default path bench/data/cdnow/CDNOW_master.txt, in
the repository, else ../shared/data/cdnow/CDNOW_master.txt) and simulated shops (clvtui.demo).
Stages: summary (orders → x, t_x, T, m), BG/NBD fit, Gamma-Gamma fit, CLV over 12 months
(ours with 90 % intervals; lifetimes without). Also a bare polars group-by over the same frame
(the floor for a summary) and the log-likelihood of both fits evaluated by the same function.
--db-fit: the whole `clvtui fit` on a database of the largest simulated shop (orders read from
SQLite, scores written back), timed in a child process with its peak RSS.
--repeat N: run our stages (bare group-by included, interleaved with them) N times and print
medians — the machine is shared, single timings swing by ±30 %; --repeat-lifetimes likewise
for lifetimes (default once: ~20 s a run at 1 M customers).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

from clvtui.demo import SHAPES, DemoParams, simulate_orders, simulate_shape
from clvtui.model import bgnbd, clv, gammagamma
from clvtui.model.base import Rows
from clvtui.model.registry import fit_purchase
from clvtui.model.summary import cdnow_orders, summarise

ROOT = Path(__file__).resolve().parents[1]
ECON = clv.Economics(None, 0.0, 1.1 ** (1 / 12) - 1, 12)
_CHILD = """
import atexit, resource, sys
# the child's own peak, on its last stderr line: at exit, after the whole command, which ends
# the way the console script does (clvtui.cli.main: no interpreter teardown)
atexit.register(lambda: print(
    f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f}", file=sys.stderr))
from clvtui.cli import main
sys.argv = ["clvtui", *sys.argv[1:]]
main()
"""


def timed(fn, *args, **kwargs):
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - t0


def ours(orders: pl.DataFrame, summary_first: bool = False) -> dict:
    """Our stages once. ``summary_first`` times the summary before the bare group-by: here the
    stage timed right after the other's large allocations ran ~10 % slower, so repeats
    alternate the order to be fair to both."""
    res: dict = {}

    def bare() -> None:
        _, res["bare group-by"] = timed(
            lambda: orders.group_by("customer_id").agg(
                first=pl.col("ordered_at").min(),
                last=pl.col("ordered_at").max(),
                n=pl.len(),
                spend=pl.col("amount").sum(),
            )
        )

    if not summary_first:
        bare()
    s, res["summary"] = timed(summarise, orders)
    if summary_first:
        bare()
    _, res["summary+holdout"] = timed(summarise, orders, None, 13)
    x, t_x, T, m = (s[c].to_numpy().astype(float) for c in ("x", "t_x", "T", "m"))
    fit, res["BG/NBD fit"] = timed(fit_purchase, "bgnbd", x, t_x, T)
    spend, res["Gamma-Gamma fit"] = timed(gammagamma.fit, x, m)
    pred, res["CLV (+90% intervals)"] = timed(clv.predict, fit, spend, x, t_x, T, m, ECON)
    res["_fit"], res["_summary"], res["_equity"] = fit, s, pred.equity
    return res


def theirs(orders: pl.DataFrame, summary: pl.DataFrame) -> dict:
    from lifetimes import BetaGeoFitter, GammaGammaFitter
    from lifetimes.utils import summary_data_from_transaction_data

    res: dict = {}
    pdf = orders.select(
        "customer_id", date=pl.col("ordered_at").dt.replace_time_zone(None), amount="amount"
    ).to_pandas()
    end = pdf["date"].max()
    lt, res["summary"] = timed(
        summary_data_from_transaction_data,
        pdf, "customer_id", "date", monetary_value_col="amount", observation_period_end=end,
    )  # fmt: skip
    # fit on OUR weekly summary, so both fits see identical data
    f = summary["x"].to_numpy().astype(float)
    r, T = summary["t_x"].to_numpy(), summary["T"].to_numpy()
    m = summary["m"].to_numpy()
    bgf = BetaGeoFitter()
    _, res["BG/NBD fit"] = timed(bgf.fit, f, r, T)
    rep = (f > 0) & (m > 0)  # as ours: repeat buyers with a positive repeat spend
    ggf = GammaGammaFitter()
    _, res["Gamma-Gamma fit"] = timed(ggf.fit, f[rep], m[rep])
    import pandas as pd

    fs, rs, ts, ms = (pd.Series(v) for v in (f, r, T, m))
    _, res["CLV (+90% intervals)"] = timed(
        ggf.customer_lifetime_value, bgf, fs, rs, ts, ms, time=12, discount_rate=0.00797, freq="W"
    )
    res["_params"] = np.array([bgf.params_[k] for k in ("r", "alpha", "a", "b")])
    del lt
    return res


def loglik(theta: np.ndarray, summary: pl.DataFrame) -> float:
    rows = Rows.collapse(*(summary[c].to_numpy().astype(float) for c in ("x", "t_x", "T")))
    return bgnbd.Likelihood(rows).loglike(np.log(theta))


def medians(runs: list[dict]) -> dict:
    """Per-stage median timings over repeated runs; the non-timing entries of the last run."""
    out = dict(runs[-1])
    for key in runs[0]:
        if not key.startswith("_"):
            out[key] = float(np.median([r[key] for r in runs]))
    return out


def report(
    name: str, orders: pl.DataFrame, with_lifetimes: bool, repeat: int = 1, repeat_lt: int = 1
) -> None:
    n_cust = orders["customer_id"].n_unique()
    print(f"\n== {name}: {n_cust:,} customers, {orders.height:,} orders")
    a = medians([ours(orders, summary_first=i % 2 == 1) for i in range(repeat)])
    b = {}
    if with_lifetimes:
        b = medians([theirs(orders, a["_summary"]) for _ in range(repeat_lt)])
    if repeat > 1 or (b and repeat_lt > 1):
        print(f"(medians of {repeat} clvtui runs, {repeat_lt if b else 0} lifetimes runs)")
    stages = ["summary", "BG/NBD fit", "Gamma-Gamma fit", "CLV (+90% intervals)"]
    print(f"{'stage':<24}{'clvtui s':>10}{'lifetimes s':>13}{'ratio':>8}")
    for st in ["bare group-by", "summary+holdout", *stages]:
        mine, ref = a.get(st), b.get(st)
        ratio = f"{ref / mine:7.1f}x" if ref and mine else ""
        ref_s = f"{ref:13.3f}" if ref else f"{'':13}"
        print(f"{st:<24}{mine:10.3f}{ref_s}{ratio}")
    tot_a = sum(a[s] for s in stages)
    print(f"{'summary+fits+CLV':<24}{tot_a:10.3f}", end="")
    if b:
        tot_b = sum(b[s] for s in stages)
        print(f"{tot_b:13.3f}{tot_b / tot_a:7.1f}x")
        ll_a, ll_b = a["_fit"].loglik, loglik(b["_params"], a["_summary"])
        print(f"log-likelihood: clvtui {ll_a:.4f}, lifetimes {ll_b:.4f}, diff {ll_a - ll_b:+.2e}")
    else:
        print()
    print(f"summary / bare group-by: {a['summary'] / a['bare group-by']:.2f}x; "
          f"fits together {a['BG/NBD fit'] + a['Gamma-Gamma fit']:.3f} s; "
          f"BG/NBD rows after collapsing: {a['_fit'].n_rows:,}")  # fmt: skip


def db_fit(n: int, shape: str = "standard") -> None:
    """Import a simulated shop into SQLite (not timed) and time `clvtui fit` on it."""
    from clvtui.ingest import import_file
    from clvtui.store import open_db

    tmp = Path(tempfile.mkdtemp(prefix="clvbench-"))
    csv = tmp / "orders.csv"
    simulate_shape(shape, DemoParams(n_customers=n), 7).select(
        order_id="order_id",
        customer="customer_id",
        date=pl.col("ordered_at").dt.strftime("%Y-%m-%dT%H:%M:%SZ"),
        amount="amount",
    ).write_csv(csv)
    db = tmp / "shop.db"
    t0 = time.perf_counter()
    shop = open_db(db)
    import_file(shop, csv, fmt="generic")
    shop.close()  # as `clvtui import` exiting does: the WAL is checkpointed into the file
    print(
        f"\n== whole `clvtui fit` on {n:,} customers (import took {time.perf_counter() - t0:.1f} s)"
    )
    for args in (["--model", "bgnbd"], ["--model", "bgnbd", "--holdout-weeks", "13"], []):
        t0 = time.perf_counter()
        # via sh (which forks: "; exit"): Linux carries a process's peak RSS across exec, so a
        # child forked straight from this multi-GB benchmark would report the benchmark's size
        cmd = ["/bin/sh", "-c", '"$0" "$@"; exit $?', sys.executable, "-c", _CHILD,
               "fit", "--db", str(db), "--json", *args]  # fmt: skip
        out = subprocess.run(cmd, capture_output=True, text=True)
        wall = time.perf_counter() - t0
        # the child reports its own peak (RUSAGE_SELF) on its last stderr line
        rss = out.stderr.strip().splitlines()[-1] if out.stderr.strip() else "?"
        status = "ok" if out.returncode == 0 else f"FAILED: {out.stderr.strip()[:200]}"
        print(f"clvtui fit {' '.join(args) or '(auto)':<36} {wall:6.2f} s  "
              f"peak RSS {rss} MiB  {status}")  # fmt: skip
    for p in tmp.iterdir():
        p.unlink()
    tmp.rmdir()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    default = ROOT / "bench" / "data" / "cdnow" / "CDNOW_master.txt"
    if not default.exists():
        default = ROOT.parent / "shared" / "data" / "cdnow" / "CDNOW_master.txt"
    ap.add_argument("--cdnow", type=Path, default=default)
    ap.add_argument("--sizes", default="100000,1000000")
    ap.add_argument("--no-lifetimes", action="store_true")
    ap.add_argument("--db-fit", action="store_true", help="also time the whole clvtui fit")
    ap.add_argument(
        "--shape", default="standard", choices=SHAPES, help="simulated shop shape (clvtui.demo)"
    )
    ap.add_argument("--repeat", type=int, default=3, help="clvtui runs per dataset (median)")
    ap.add_argument("--repeat-lifetimes", type=int, default=1, help="lifetimes runs (median)")
    args = ap.parse_args()
    reps = (max(args.repeat, 1), max(args.repeat_lifetimes, 1))
    with_lt = not args.no_lifetimes
    if with_lt:
        try:
            import lifetimes  # noqa: F401
        except ImportError:
            print("lifetimes not installed (pip install -e '.[bench]'); clvtui only")
            with_lt = False
    print(f"cores: {os.cpu_count()}, load average: {os.getloadavg()[0]:.2f}")
    warm = simulate_orders(DemoParams(n_customers=2000), 0)  # thread pools, imports, caches
    ours(warm.select("customer_id", "ordered_at", "amount"))
    if args.cdnow.exists():
        report("CDNOW master", cdnow_orders(str(args.cdnow)), with_lt, *reps)
    else:
        print(f"(no CDNOW master at {args.cdnow}; pass --cdnow PATH)")
    sizes = [int(s) for s in args.sizes.split(",") if s]
    for n in sizes:
        orders = simulate_shape(args.shape, DemoParams(n_customers=n), 1).select(
            "customer_id", "ordered_at", "amount"
        )
        label = "" if args.shape == "standard" else f" ({args.shape})"
        report(f"simulated shop {n:,}{label}", orders, with_lt, *reps)
    if args.db_fit and sizes:
        db_fit(max(sizes), args.shape)


if __name__ == "__main__":
    main()
