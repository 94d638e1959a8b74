"""glibc's malloc, tuned for a fit: memory freed handed back, arenas shared between threads.

numpy allocates through glibc's malloc, which keeps freed blocks in its heap for reuse; polars
and pyarrow have their own allocators and never reuse them. After a 1 M-customer fit ~180 MB
of the fits' freed arrays sat in glibc's heap while the save built the run's blob on top of
them: the whole fit's peak. ``malloc_trim`` hands those pages back (a few milliseconds).
Elsewhere (macOS, musl) both functions do nothing.
"""

from __future__ import annotations

import ctypes
import sys

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
    """Return glibc's free heap pages to the system; nothing where glibc is not the C library."""
    trim = getattr(_glibc(), "malloc_trim", None)
    if trim is not None:
        trim(0)


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
