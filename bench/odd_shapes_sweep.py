"""Sweep the awkward demo shops at sizes that cross the large-size code paths, as a user would.

Why: the fit's fast paths (``model.equity_series`` from SERIES_AT rows, ``model.
pareto_likelihood``'s fast sums from FAST_FROM customers, the warm starts, the ranking blob's
known patterns, the kept customer codes) run only at large sizes, while the awkward shapes
(steady, no-dropout, regular, wholesale, one-time, one-day, seasonal) are tested mostly small.
For each demo database given, this runs the fits and every reporting command with ``--json``
through the installed ``clvtui`` command and checks what a user would see: exit 0 or one clear
line (no traceback), no NaN or infinity, intervals ordered, probabilities in [0, 1], counts not
negative. Run by hand (see docs/benchmarks.md, "Wave 10, oddlarge")::

    clvtui demo --shape one-time --customers 60000 --no-tui --db /tmp/odd/one-time-60000.db
    python bench/odd_shapes_sweep.py /tmp/odd/one-time-60000.db [...]   # one JSON line a step
    python bench/odd_shapes_sweep.py --summaries 60000       # awkward warehouse summaries
    python bench/odd_shapes_sweep.py --compare auto /tmp/odd/steady-150000.db

Each database gets seven runs added (one per fit). ``--summaries N`` fits six awkward
per-customer summaries of N customers (``fit --summary``) into fresh databases and runs the
reports on them. ``--compare MODEL`` refits a copy in-process with the large-size paths on and
off (their thresholds raised) and prints how far equity, its band, the parameters and every
customer's scores moved, and whether the kept customer codes give the text match's answers.
Exit 1 when any step had a problem.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

CLVTUI = str(Path(sys.executable).with_name("clvtui"))
PROBABILITY = re.compile(r"^(p_|prob)|(^|_)p_alive|probability|_prob$")
COUNT = re.compile(r"^(n_|customers$|orders$|count$|expected_)|_count$|_customers$")


def fits(first: str, last: str) -> list[tuple[str, list[str]]]:
    """The fits to run, by label: the models, a holdout, an as-of after and one early."""
    early = dt.date.fromisoformat(first) + dt.timedelta(days=60)
    late = dt.date.fromisoformat(last) + dt.timedelta(days=365)
    return [
        ("as-of early", ["fit", "--as-of", early.isoformat()]),
        ("as-of +1y", ["fit", "--as-of", late.isoformat()]),
        ("holdout 13", ["fit", "--holdout-weeks", "13"]),
        ("bgnbd", ["fit", "--model", "bgnbd"]),
        ("mbgnbd", ["fit", "--model", "mbgnbd"]),
        ("paretonbd", ["fit", "--model", "paretonbd"]),
        ("auto", ["fit"]),
    ]


def reports(out: Path) -> list[tuple[str, list[str]]]:
    """Every reporting command, on the latest run."""
    return [
        ("segments", ["segments"]),
        ("actions", ["actions"]),
        ("budget", ["budget", "--total", "5000"]),
        ("profile", ["profile"]),
        ("whatif", ["whatif", "--margin", "40%"]),
        ("moved", ["moved"]),
        ("rank", ["rank"]),
        ("trends", ["trends"]),
        ("cohorts", ["cohorts"]),
        ("plan", ["plan", "--revenue-goal", "100000"]),
        ("products", ["products"]),
        ("costs", ["costs"]),
        ("channels", ["channels"]),
        ("export", ["export", "--all", "-o", str(out / "all.csv"), "--force"]),
        ("scores", ["scores", "--out", str(out / "scores.parquet"), "--force"]),
    ]


def run(db: Path, args: list[str]) -> tuple[int, str, str, float]:
    started = time.perf_counter()
    done = subprocess.run(
        [CLVTUI, "--db", str(db), *args, "--json"], capture_output=True, text=True, check=False
    )
    return done.returncode, done.stdout, done.stderr, time.perf_counter() - started


def problems_of(doc: Any, path: str = "") -> list[str]:
    """What a user should never see in a JSON answer (NaN, ∞, low > value > high, a
    probability outside [0, 1], a negative count)."""
    found: list[str] = []
    if isinstance(doc, dict):
        found += _interval_problems(doc, path)
        for key, value in doc.items():
            here = f"{path}.{key}"
            if isinstance(value, float) and not math.isfinite(value):
                found.append(f"{here} = {value}")
            elif isinstance(value, int | float) and not isinstance(value, bool):
                if PROBABILITY.search(str(key)) and not -1e-12 <= value <= 1 + 1e-12:
                    found.append(f"{here} = {value} (probability)")
                if COUNT.search(str(key)) and value < 0:
                    found.append(f"{here} = {value} (negative count)")
            found += problems_of(value, here)
    elif isinstance(doc, list):
        for i, value in enumerate(doc):
            if isinstance(value, float) and not math.isfinite(value):
                found.append(f"{path}[{i}] = {value}")
            found += problems_of(value, f"{path}[{i}]")
    return found


def _interval_problems(doc: dict, path: str) -> list[str]:
    """low ≤ value ≤ high for {value, low, high} and for {X, X_low, X_high}."""
    out = []
    trios = [("value", "low", "high")] + [
        (k[:-4], k, k[:-4] + "_high") for k in doc if str(k).endswith("_low")
    ]
    for value, low, high in trios:
        got = [doc.get(value), doc.get(low), doc.get(high)]
        if not all(isinstance(v, int | float) for v in got[1:]):
            continue
        lo, hi = got[1], got[2]
        mid = got[0] if isinstance(got[0], int | float) else lo
        if not lo - 1e-9 * abs(lo) <= mid <= hi + 1e-9 * abs(hi):
            out.append(f"{path}: {low}={lo} {value}={mid} {high}={hi} not ordered")
    return out


def check_scores(path: Path) -> list[str]:
    """The scores file: no NaN, P(…) in [0, 1], CLV inside its interval."""
    import polars as pl

    frame = pl.read_parquet(path)
    out = []
    for name, dtype in frame.schema.items():
        if dtype.is_float():
            col = frame.get_column(name)
            bad = int((col.is_nan() | col.is_infinite()).sum())
            if bad:
                out.append(f"scores.{name}: {bad} NaN/inf")
            if PROBABILITY.search(name) and (col.min() < 0 or col.max() > 1):
                out.append(f"scores.{name} outside [0, 1]: {col.min()}..{col.max()}")
    lows = [c for c in frame.columns if c.endswith("_low")]
    for low in lows:
        value, high = low[:-4], low[:-4] + "_high"
        if value in frame.columns and high in frame.columns:
            bad = frame.filter(
                (pl.col(low) > pl.col(value) + 1e-9) | (pl.col(value) > pl.col(high) + 1e-9)
            ).height
            if bad:
                out.append(f"scores: {bad} rows with {low} ≤ {value} ≤ {high} broken")
    return out


def span(db: Path) -> tuple[str, str]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        first, last = conn.execute("SELECT min(ordered_at), max(ordered_at) FROM orders").fetchone()
    return first[:10], last[:10]


def one_step(db: Path, label: str, args: list[str], folder: Path) -> dict:
    code, out, err, wall = run(db, args)
    line = {"db": db.name, "step": label, "rc": code, "s": round(wall, 1), "problems": []}
    if "Traceback" in err or (code != 0 and len(err.strip().splitlines()) > 2):
        line["problems"].append("traceback or long error: " + err.strip().splitlines()[-1])
    elif code != 0:
        line["error"] = err.strip()
    if code == 0:
        try:
            doc = json.loads(out, parse_constant=lambda c: float(c))
        except json.JSONDecodeError as exc:
            line["problems"].append(f"not one JSON document: {exc}")
            doc = None
        line["problems"] += problems_of(doc)[:8]
        if isinstance(doc, dict) and isinstance(doc.get("customer_equity"), dict):
            eq = doc["customer_equity"]
            line["equity"] = [eq.get("low"), eq.get("value"), eq.get("high")]
            line["model"] = doc.get("model")
        if label == "scores":
            line["problems"] += check_scores(folder / "scores.parquet")
    return line


def sweep(db: Path) -> list[dict]:
    first, last = span(db)
    with tempfile.TemporaryDirectory(prefix="odd-sweep-") as tmp:
        folder = Path(tmp)
        lines = []
        for label, args in fits(first, last) + reports(folder):
            line = one_step(db, label, args, folder)
            print(json.dumps(line), flush=True)
            lines.append(line)
    return lines


def compare(db: Path, model: str) -> dict:
    """Refit the shop with the large-size paths on, then off (their thresholds raised: module
    constants read at call time; the Pareto/NBD curvature start too), on a copy: how far
    customer equity, its band, the purchase parameters and every customer's scores move.
    Then the kept customer codes: ``cohorts``, ``plan`` and ``products`` with them and
    without them (the text match) must agree."""
    import shutil

    import polars as pl
    import sqlite_utils

    from clvtui.model import equity_series, pareto_likelihood
    from clvtui.services.fit import fit_shop

    out: dict = {
        "db": db.name,
        "model": model,
        "paths": _watch_paths(equity_series, pareto_likelihood),
    }
    with tempfile.TemporaryDirectory(prefix="odd-compare-") as tmp:
        copy = Path(tmp) / db.name
        shutil.copy(db, copy)
        runs, frames = {}, {}
        saved = (equity_series.SERIES_AT, pareto_likelihood.FAST_FROM,
                 pareto_likelihood.CURVATURE_SAMPLE)  # fmt: skip
        for label, thresholds in (("large", saved), ("exact", (10**12,) * 3)):
            (equity_series.SERIES_AT, pareto_likelihood.FAST_FROM,
             pareto_likelihood.CURVATURE_SAMPLE) = thresholds  # fmt: skip
            result = fit_shop(sqlite_utils.Database(copy), model=model)
            runs[label] = result.report
            scores = Path(tmp) / f"{label}.parquet"
            run(copy, ["scores", "--run", str(result.run_id), "--out", str(scores)])
            frames[label] = pl.read_parquet(scores).sort("customer_id")
        (equity_series.SERIES_AT, pareto_likelihood.FAST_FROM,
         pareto_likelihood.CURVATURE_SAMPLE) = saved  # fmt: skip
        eq = {k: runs[k]["customer_equity"] for k in runs}
        out["equity"] = {k: abs(eq["large"][k] - eq["exact"][k]) for k in ("value", "low", "high")}
        out["equity_value"] = eq["exact"]["value"]
        pl_large = runs["large"]["purchase_model"]["params"]
        pl_exact = runs["exact"]["purchase_model"]["params"]
        out["params_rel"] = max(
            abs(pl_large[k] - pl_exact[k]) / max(abs(pl_exact[k]), 1e-300) for k in pl_exact
        )
        out["scores_abs"] = {
            c: float((frames["large"][c] - frames["exact"][c]).abs().max())
            for c in ("clv", "clv_low", "clv_high", "p_alive", "expected_orders")
            if c in frames["exact"].columns
        }
        out["codes"] = _codes_agree(copy)
    return out


def _watch_paths(equity_series: Any, pareto_likelihood: Any) -> dict:
    """Which large-size paths ran (filled in as the fits run): the rows the equity draws saw
    whenever the series was used, and how often the Pareto/NBD fast sums were evaluated."""
    seen: dict = {"series_rows": [], "series_near": [], "pareto_fast": 0}
    near_rows, fast = equity_series.near_rows, pareto_likelihood.Likelihood._fast_parts

    def watched_near(link: dict) -> Any:
        near = near_rows(link)
        seen["series_rows"].append(len(link["pinv"]))
        seen["series_near"].append(int(near.sum()))
        return near

    def watched_fast(self: Any, theta: Any) -> Any:
        seen["pareto_fast"] += 1
        return fast(self, theta)

    equity_series.near_rows = watched_near
    pareto_likelihood.Likelihood._fast_parts = watched_fast
    return seen


def _codes_agree(db: Path) -> list[str]:
    """The reports that read the kept customer codes, with them and after they are dropped."""
    steps = [["cohorts"], ["plan", "--revenue-goal", "100000"], ["products"]]
    kept = [run(db, s)[1] for s in steps]
    with sqlite3.connect(db) as conn:
        conn.execute("DELETE FROM run_people")
    matched = [run(db, s)[1] for s in steps]
    return [s[0] for s, a, b in zip(steps, kept, matched, strict=True) if a != b]


def awkward_summaries(n: int, seed: int = 0) -> dict[str, Any]:
    """Warehouse summaries (``fit --summary``, days) of awkward shops with n customers: nobody
    came back; one day of history; everyone alike; everyone's last order on the as-of day; one
    trade buyer among many regulars; a wide spread of patterns (≥ 50 k distinct rows)."""
    import numpy as np
    import polars as pl

    rng = np.random.default_rng(seed)
    T = rng.integers(0, 540, n).astype(float)
    wide_x = rng.poisson(3.0, n).astype(float)
    wide_x[T < 1] = 0.0
    shops = {
        "sum-one-time": (np.zeros(n), np.zeros(n), T),
        "sum-one-day": (np.zeros(n), np.zeros(n), np.zeros(n)),
        "sum-alike": (np.full(n, 3.0), np.full(n, 70.0), np.full(n, 140.0)),
        "sum-last-day": (np.where(T > 7, 2.0, 0.0), np.where(T > 7, T, 0.0), T),
        "sum-wholesale": (
            np.append(np.full(n - 1, 1.0), 500.0),
            np.append(np.full(n - 1, 30.0), 530.0),
            np.append(np.full(n - 1, 200.0), 539.0),
        ),
        "sum-wide": (wide_x, np.floor(rng.uniform(0, 1, n) * T) * (wide_x > 0), T),
    }
    out = {}
    for name, (x, t_x, t) in shops.items():
        x = np.where(x <= t, x, 0.0)  # at most one repeat purchase a day
        t_x = np.where(x > 0, np.clip(t_x, x, t), 0.0)
        m = np.where(x > 0, rng.gamma(4.0, 10.0, n).round(2), 0.0)
        out[name] = pl.DataFrame(
            {"customer_id": [f"c{i}" for i in range(n)], "x": x, "t_x": t_x, "T": t, "m": m}
        )
    return out


def sweep_summaries(n: int, only: str | None = None) -> list[dict]:
    """Each awkward summary (or ``only`` the one named) fitted into a fresh database (auto,
    the three models), then the reports."""
    lines = []
    with tempfile.TemporaryDirectory(prefix="odd-summary-") as tmp:
        folder = Path(tmp)
        for name, frame in awkward_summaries(n).items():
            if only and name != only:
                continue
            path = folder / f"{name}.parquet"
            frame.write_parquet(path)
            db = folder / f"{name}-{n}.db"
            steps = [
                (f"summary {m}", ["fit", "--summary", str(path), "--unit", "days",
                                  "--as-of", "2026-06-30", "--model", m])
                for m in ("auto", "bgnbd", "mbgnbd", "paretonbd")
            ]  # fmt: skip
            for label, args in steps + reports(folder):
                line = one_step(db, label, args, folder)
                print(json.dumps(line), flush=True)
                lines.append(line)
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dbs", nargs="*", type=Path)
    parser.add_argument("--summaries", type=int, metavar="N", help="awkward summaries of N")
    parser.add_argument("--only", help="with --summaries: only this one (e.g. sum-wide)")
    parser.add_argument("--compare", metavar="MODEL", help="large paths vs exact, this model")
    args = parser.parse_args()
    bad = 0
    if args.summaries:
        bad += sum(bool(line["problems"]) for line in sweep_summaries(args.summaries, args.only))
    for db in args.dbs:
        if args.compare:
            print(json.dumps(compare(db, args.compare)), flush=True)
            continue
        for line in sweep(db):
            bad += bool(line["problems"])
    print(f"{bad} steps with problems", file=sys.stderr)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
