"""Giving the memory a fit has freed back to the system before its next phase.

numpy allocates through glibc's malloc, which keeps freed blocks in its heap for reuse; polars
and pyarrow have their own allocators and never reuse them. After a 1 M-customer fit ~180 MB
of the fits' freed arrays sat in glibc's heap while the save built the run's blob on top of
them: the whole fit's peak. ``malloc_trim`` hands those pages back (a few milliseconds).
"""

from __future__ import annotations

import ctypes
import sys


def return_freed_memory() -> None:
    """Return glibc's free heap pages to the system; nothing where glibc is not the C library."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:  # another C library (musl): nothing to trim, the fit goes on as it is
        return
    trim = getattr(libc, "malloc_trim", None)
    if trim is not None:
        trim(0)
