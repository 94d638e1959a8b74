"""Insights on 1 M customers: every stage's time (target: each command under 5 s).

Builds a synthetic 1 M-customer scores frame (BG/NBD-like spread of CLV and P(alive)) with
customer attributes, times the pure insight functions on it, then stores it as two runs in a
SQLite file and times the commands' reads and the commands themselves (in-process).

    .venv/bin/python bench/insights_bench.py [--customers 1000000] [--keep DB]
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from clvtui.settings import Settings

SETTINGS = Settings(margin=0.35, cost_per_order=2.0, acquisition_cost=20.0)
AS_OF = dt.date(2025, 6, 30)


def timed(label: str, fn: Callable[[], Any], log: list[tuple[str, float]]) -> Any:
    t = time.perf_counter()
    out = fn()
    took = time.perf_counter() - t
    log.append((label, took))
    print(f"  {label:<46} {took:7.3f} s", flush=True)
    return out


def synthetic(n: int, seed: int) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.negative_binomial(0.5, 0.3, n)
    T = rng.uniform(1, 150, n)
    t_x = T * rng.uniform(0, 1, n) * (x > 0)
    p_alive = np.where(x > 0, rng.beta(3, 1.5, n), 1.0)
    em = rng.gamma(6, 8, n)
    eo = p_alive * rng.gamma(1.0, 1.5, n)
    clv = eo * 0.93 * (0.35 * em - 2.0)
    ids = np.char.add("c", np.arange(n).astype(str))
    return pl.DataFrame(
        {
            "customer_id": ids,
            "orders": x + 1,
            "spend": (x + 1) * em,
            "x": x,
            "t_x": t_x,
            "T": T,
            "monetary": em,
            "p_alive": p_alive,
            "expected_orders": eo,
            "expected_spend": em,
            "clv": clv,
            "clv_low": clv * 0.8,
            "clv_high": clv * 1.2,
            "next_order_low": np.where(p_alive > 0.3, 1.0, np.nan),
            "next_order_high": np.where(p_alive > 0.3, 12.0, np.nan),
            "email": np.char.add(ids, "@example.com"),
            "name": ids,
            "country": rng.choice(
                ["US", "GB", "DE", "FR", "NL", "ZZ"], n, p=[0.5, 0.2, 0.1, 0.1, 0.095, 0.005]
            ),
            "channel": rng.choice(["web", "instagram", "google", "mail"], n),
            "first_product": rng.choice([f"p{i}" for i in range(40)], n),
            "discount_code": rng.choice(["WELCOME10", ""], n, p=[0.2, 0.8]),
        }
    ).with_columns(
        pl.col("next_order_low", "next_order_high").fill_nan(None),
        pl.col("discount_code").replace("", None),
    )


def pure_stages(frame: pl.DataFrame, log: list[tuple[str, float]]) -> None:
    from clvtui.insights import (
        acquisition,
        budget,
        customer_lists,
        profile,
        segments,
        trends,
        whatif,
    )

    print(f"pure functions on {frame.height:,} customers")
    scored = timed("assign_segments", lambda: segments.assign_segments(frame, SETTINGS), log)
    timed("tier_table + risk_matrix + rule", lambda: (segments.tier_table(scored),
          segments.risk_matrix(scored), segments.tier_rule(scored, SETTINGS)), log)  # fmt: skip
    timed("slipping_away (top 50)", lambda: segments.slipping_away(scored), log)
    cpa = timed("allowable_cpa", lambda: acquisition.allowable_cpa(scored, SETTINGS), log)
    timed("plan_budget (100k)", lambda: budget.plan_budget(1e5, scored, cpa, SETTINGS), log)
    timed("what_if (margin, rate, uplift)", lambda: whatif.what_if(
        scored, SETTINGS, margin=0.4, discount_rate=0.15, retention_uplift=0.1), log)  # fmt: skip
    rng = np.random.default_rng(1)
    ids = profile.hazard_sample(scored["customer_id"])
    t = np.ceil(rng.exponential(20.0, ids.len()) * 7) / 7  # day resolution, as real orders
    durations = pl.DataFrame({"customer_id": ids, "duration": np.minimum(t, 52.0) + 0.1,
                              "event": (t < 52.0).astype(np.int8)})  # fmt: skip
    attrs = ["country", "channel", "first_product", "discount_code"]
    timed("profile (shares/lifts + PHReg on 10k sample)", lambda: profile.build_profile(
        scored, AS_OF, attrs, durations, sampled_from=scored.height), log)  # fmt: skip
    other = scored.with_columns(pl.col("clv") * 1.05).drop("tier", "risk")
    other = segments.assign_segments(other, SETTINGS)
    timed("moved (1 M vs 1 M)", lambda: trends.moved(scored, other, run_id=2,
          previous_run_id=1), log)  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        timed("export --all to CSV", lambda: customer_lists.write_export(
            customer_lists.export_frame(scored, AS_OF), Path(tmp) / "all.csv"), log)  # fmt: skip


def store_runs(path: Path, frame: pl.DataFrame) -> None:
    from clvtui.insights.segments import assign_segments
    from clvtui.store import open_db
    from clvtui.store.runs import save_run
    from clvtui.store.saved_settings import save_settings

    db = open_db(path)
    save_settings(db, SETTINGS)
    for i, scale in enumerate((1.0, 1.05), start=1):
        scored = assign_segments(frame.with_columns(pl.col("clv") * scale), SETTINGS)
        run = {"created_at": f"2025-0{i}-01T00:00:00Z", "as_of": AS_OF.isoformat(),
               "calibration_end": AS_OF.isoformat(), "holdout_weeks": None, "model": "bgnbd",
               "currency": "USD", "value_kind": "net", "n_customers": scored.height,
               "customer_equity": float(scored["clv"].sum()), "equity_low": None,
               "equity_high": None, "settings": SETTINGS.to_mapping(), "report": {}}  # fmt: skip
        save_run(db, run, scored)
    cols = ["customer_id", "email", "name", "country", "channel", "first_product", "discount_code"]
    # orders: a first purchase for everyone, a repeat for ~half (time-to-repurchase reads them)
    rng = np.random.default_rng(2)
    ids = frame["customer_id"].to_list()
    first = rng.integers(0, 700, len(ids))
    gap = rng.integers(1, 200, len(ids))
    day0 = dt.date(2023, 6, 1)

    def stamp(d: int) -> str:
        return (day0 + dt.timedelta(days=int(d))).isoformat() + "T12:00:00Z"

    orders = [(f"o{i}a", c, stamp(first[i])) for i, c in enumerate(ids)]
    orders += [(f"o{i}b", c, stamp(first[i] + gap[i])) for i, c in enumerate(ids) if i % 2]
    with db.conn:
        db.conn.execute(
            "INSERT INTO imports (id, path, sha256, format, source, started_at) "
            "VALUES (1, 'bench', '-', 'generic', 'bench', '2025-07-01T00:00:00Z')"
        )
        db.conn.executemany(
            "INSERT INTO orders (source, order_id, customer_key, ordered_at, ordered_at_raw, "
            "amount_minor, currency, status, is_purchase, import_id) "
            "VALUES ('bench', ?, ?, ?, ?, 1000, 'USD', 'completed', 1, 1)",
            ((o, c, t, t) for o, c, t in orders),
        )
    with db.conn:
        db.conn.executemany(
            f"INSERT INTO customers ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
            frame.select(cols).iter_rows(),
        )


def command_stages(path: Path, log: list[tuple[str, float]]) -> None:
    from typer.testing import CliRunner

    from clvtui.cli import app

    runner = CliRunner()
    print("commands on the stored runs (in-process, --json)")
    with tempfile.TemporaryDirectory() as tmp:
        for args in (
            ["segments"],
            ["budget", "--total", "100000"],
            ["moved"],
            ["trends"],
            ["whatif", "--margin", "40%", "--retention-uplift", "10%"],
            ["profile"],
            ["export", "--at-risk", "-o", f"{tmp}/risk.csv"],
            ["export", "--all", "-o", f"{tmp}/all.csv"],
        ):

            def call(args: list[str] = args) -> None:
                res = runner.invoke(app, [*args, "--db", str(path), "--json"])
                assert res.exit_code == 0, res.stderr

            timed(" ".join(args[:2]), call, log)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--keep", type=Path, default=None, help="keep the database here")
    args = parser.parse_args()
    log: list[tuple[str, float]] = []
    t = time.perf_counter()
    frame = synthetic(args.customers, 0)
    print(f"synthetic frame: {time.perf_counter() - t:.2f} s")
    pure_stages(frame, log)
    with tempfile.TemporaryDirectory() as tmp:
        path = args.keep or Path(tmp) / "bench.db"
        t = time.perf_counter()
        store_runs(path, frame)
        print(f"stored two runs + customers: {time.perf_counter() - t:.1f} s (setup, not timed)")
        command_stages(path, log)
    slow = [(label, s) for label, s in log if s >= 5.0]
    print("all stages under 5 s" if not slow else f"OVER 5 s: {slow}")


if __name__ == "__main__":
    main()
