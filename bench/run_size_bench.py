"""How much room each fitted run takes, by storage layout (issue 16: < 40 MB per run at 1 M).

    .venv/bin/python bench/run_size_bench.py --db PATH [--fit]

``--fit`` first adds a run (``clvtui fit --model bgnbd``, timed) with this build's layout.
Then every run is listed with its layout — ``parquet-pair`` (one blob, ``store.ranking_blob``),
``arrow-ipc`` (score rows plus the ranking cache of earlier builds) or ``rows`` — and its bytes
as ``clvtui runs`` counts them, and the time to read its ranking back.
Make the database once with ``clvtui demo --customers 1000000 --no-tui --db PATH`` (minutes).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--fit", action="store_true", help="add a run with this build first")
    args = parser.parse_args()
    if args.fit:
        t = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "clvtui", "fit", "--model", "bgnbd", "--db", str(args.db)],
            check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        print(f"fit with its writes: {time.perf_counter() - t:.1f} s")
    from clvtui.store import open_db
    from clvtui.store.run_storage import runs_overview
    from clvtui.store.runs import ranked_customers

    db = open_db(args.db)
    layouts = dict(db.conn.execute("SELECT run_id, format FROM run_frames").fetchall())
    for run in runs_overview(db):
        line = (
            f"run {run['id']}: {run['n_customers']:,} customers, "
            f"{layouts.get(run['id'], 'rows')}, {run['size_bytes'] / 1e6:.1f} MB"
        )
        if not run["pruned_at"]:
            t = time.perf_counter()
            ranked_customers(db, run["id"])
            line += f", ranking read in {time.perf_counter() - t:.2f} s"
        print(line)


if __name__ == "__main__":
    main()
