"""The allocators, tuned for a fit: memory freed handed back, arenas shared between threads.

numpy allocates through glibc's malloc, which keeps freed blocks in its heap for reuse; polars
and pyarrow have their own allocators and never reuse them. After a 1 M-customer fit ~180 MB
of the fits' freed arrays sat in glibc's heap while the save built the run's blob on top of
them: the whole fit's peak. ``malloc_trim`` hands those pages back (a few milliseconds).
Elsewhere (macOS, musl) both functions do nothing. polars' jemalloc is told to return what
it frees at once (``polars_frees_at_once``), before polars loads.
"""

from __future__ import annotations

import ctypes
import os
import sys

#: What ``import polars`` puts into ``_RJEM_MALLOC_CONF`` (and so hands down to any process
#: started by a Python program that imported polars, such as bench/import_bench.py).
_POLARS_JEMALLOC = "dirty_decay_ms:500,muzzy_decay_ms:1000"
_POLARS_THP = ",thp:always,metadata_thp:always"
_M_ARENA_MAX = -8  # glibc's mallopt parameter
_arenas: list[bool] = []  # capped once per process


def _glibc() -> ctypes.CDLL | None:
    """glibc, or None where the C library is another (musl, macOS)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL("libc.so.6")
    except OSError:  # another C library (musl): nothing to tune, the fit goes on as it is
        return None


def return_freed_memory() -> None:
    """Return glibc's free heap pages to the system; nothing where glibc is not the C library.
    pyarrow's allocator (mimalloc) gives back what it keeps too, if pyarrow is loaded: the
    run's blob left ~0.1 GB there at a million customers, held under the SQLite write."""
    trim = getattr(_glibc(), "malloc_trim", None)
    if trim is not None:
        trim(0)
    arrow = sys.modules.get("pyarrow")
    if arrow is not None:
        arrow.default_memory_pool().release_unused()


def share_arenas() -> None:
    """Cap glibc's malloc arenas at two, once per process, before the first worker thread.

    Why: by default each thread that allocates gets an arena of its own (up to 8 per core),
    and what a reading thread frees stays in its arena's heap: a fit that reads in one thread
    and fits in others peaked ~70 MB higher at a million customers than with two arenas (as
    ``MALLOC_ARENA_MAX=2`` showed).
    """
    if _arenas:
        return
    _arenas.append(True)
    mallopt = getattr(_glibc(), "mallopt", None)
    if mallopt is not None:
        mallopt(_M_ARENA_MAX, 2)


def polars_frees_at_once(decay_ms: int = 0) -> None:
    """Make polars' allocator (jemalloc) return freed pages at once; call before polars loads.

    By default it keeps them for 0.5-1 s, which raised the peak of commands that free and
    allocate hundreds of MB in a row: ``import`` by ~0.3 GB at 1 M customers (1,346 MiB /
    35.9 s with 0 ms, ~1,680 MiB / 32.2 s with polars' 500 ms), and ``fit``, whose read
    orders and summary frames (~0.4 GB) were still held while the scores and their blob were
    built. It only takes effect if polars is not loaded yet, i.e. in the CLI process. A value
    the user set is kept; polars' own default inherited from a parent process (e.g. the
    benchmark) is not a user's choice, so ours is appended (jemalloc applies options left to
    right: the last one wins). pyarrow's mimalloc is told the same unless the user set it (it
    held ~0.1 GB of the run's blob encoding, freed, at a million customers; no slower).
    ``decay_ms``: how long freed pages may stay (0: at once). ``fit`` from the orders takes
    100 ms: at a million customers 0 ms cost it ~1 s of wall (system time in page faults) for
    ~50 MB of peak once its phases had become leaner (wave 8, docs/benchmarks.md).
    """
    # pyarrow's mimalloc likewise (the run's blob is encoded in it): read when pyarrow loads
    os.environ.setdefault("MIMALLOC_PURGE_DELAY", "0")
    if "polars" in sys.modules:  # too late: the allocator is configured (TUI, tests)
        return
    ours = f"dirty_decay_ms:{decay_ms},muzzy_decay_ms:{decay_ms}"
    conf = os.environ.get("_RJEM_MALLOC_CONF")
    if not conf:
        os.environ["_RJEM_MALLOC_CONF"] = ours
    elif conf.removesuffix(_POLARS_THP) == _POLARS_JEMALLOC:
        os.environ["_RJEM_MALLOC_CONF"] = f"{conf},{ours}"
