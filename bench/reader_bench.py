"""The CSV reader on hostile layouts: time and peak RSS (not a test: nothing is asserted).

    .venv/bin/python bench/reader_bench.py              # 50 MB files
    .venv/bin/python bench/reader_bench.py --mb 200     # linear? 4x the size, ~4x the time

Two files that used to break the reader:

- *quoted field*: a few orders, then one whose note is a quoted field with 1,000,000 line
  breaks, then orders up to the size: every ~32 MB chunk boundary falls inside quotes. The old
  reader recounted quotes from the start for every newline (> 150 s on 69 MB).
- *one line*: a single line of commas and text with no line break. The old reader handed it
  to polars as a header (13.5 GB, 6 minutes). Goal: refused within a second using < 200 MB.

Each case runs ``clvtui import --dry-run`` in its own process, so wall time and peak RSS are
what a user would see (Python, polars and the CLI start in ~1 s of that); "reader s" is the
reader alone (open the file, read every batch or be refused), in another process.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path


def quoted_field_file(path: Path, size: int, lines: int = 1_000_000) -> None:
    """Orders around one note spanning ``lines`` lines; ``size`` bytes in all."""
    with path.open("w", newline="") as fh:
        fh.write("order id,customer,date,amount,note\n")
        for i in range(100):
            fh.write(f"{i},c{i % 37},2024-01-{1 + i % 28:02d},{i}.50,plain\n")
        fh.write('100,c1,2024-02-01,9.99,"')
        fh.write("".join(f"line {i} of a long note\n" for i in range(lines)))
        fh.write('end"\n')
        i = 101
        while fh.tell() < size:
            fh.write(f"{i},c{i % 997},2024-03-{1 + i % 28:02d},{i % 500}.25,plain\n")
            i += 1


def one_line_file(path: Path, size: int) -> None:
    """``size`` bytes without a line break."""
    piece = b"customer,date,amount,some text without any line break " * 1000
    with path.open("wb") as fh:
        while fh.tell() < size:
            fh.write(piece)


#: Runs one command, then prints its stderr's last line and "code wall rss" (RUSAGE_CHILDREN
#: of this fresh wrapper is exactly that command's peak RSS).
WRAPPER = (
    "import resource, subprocess, sys, time\n"
    "t = time.perf_counter()\n"
    "out = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
    "wall = time.perf_counter() - t\n"
    "rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
    "print((out.stderr.strip().splitlines() or [''])[-1])\n"
    "print(out.returncode, wall, rss)\n"
)


def run(path: Path) -> tuple[int, float, float, str]:
    """(exit code, wall s, peak RSS MiB, last line of stderr) of a dry-run import."""
    cmd = [sys.executable, "-m", "clvtui", "import", str(path), "--dry-run", "--json"]
    out = subprocess.run([sys.executable, "-c", WRAPPER, *cmd], capture_output=True, text=True)
    message, last = out.stdout.rstrip("\n").split("\n")[-2:]
    code, wall, rss = last.split()
    return int(code), float(wall), int(rss) / 1024, message  # ru_maxrss is KiB on Linux


#: The reader's own time, imports excluded: open the table, read every batch (or be refused).
READER_ONLY = (
    "import sys, time\n"
    "from clvtui.errors import InputError\n"
    "from clvtui.ingest.read import open_table\n"
    "t = time.perf_counter()\n"
    "try:\n"
    "    rows = sum(b.height for b in open_table(sys.argv[1]).batches())\n"
    "except InputError:\n"
    "    rows = 'refused'\n"
    "print(time.perf_counter() - t, rows)\n"
)


def reader_only(path: Path) -> tuple[float, str]:
    """(seconds spent in the reader, rows read or 'refused')."""
    out = subprocess.run([sys.executable, "-c", READER_ONLY, str(path)], capture_output=True,
                         text=True, check=True)  # fmt: skip
    seconds, rows = out.stdout.split()
    return float(seconds), rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=50, help="size of each file in MB")
    parser.add_argument("--lines", type=int, default=1_000_000, help="lines in the quoted field")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="clvtui-reader-bench-"))
    size = args.mb * 1_000_000
    try:
        cases = {
            f"quoted field ({args.lines:,} lines)": (work / "quoted.csv", quoted_field_file),
            "one line, no line break": (work / "one_line.csv", one_line_file),
        }
        print(f"{'file':34} {'MB':>5} {'exit':>5} {'wall s':>7} {'peak RSS MiB':>13} "
              f"{'reader s':>9} {'rows':>8}  message")  # fmt: skip
        for name, (path, make) in cases.items():
            if make is quoted_field_file:
                make(path, size, args.lines)
            else:
                make(path, size)
            code, wall, rss, message = run(path)
            seconds, rows = reader_only(path)
            mb = path.stat().st_size / 1e6
            print(f"{name:34} {mb:5.0f} {code:5} {wall:7.2f} {rss:13.0f} {seconds:9.2f} "
                  f"{rows:>8}  {message[-60:]}")  # fmt: skip
            path.unlink()
    finally:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
