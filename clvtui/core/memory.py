"""Freed memory back to the system during a fit (glibc's allocator; elsewhere nothing).

numpy's million-customer arrays (8 MB each) come from glibc's malloc. Its mmap threshold
grows with the largest block freed (up to 32 MB), after which such arrays are carved from the
heap and their pages stay with the process when freed: a fit at a million customers peaked
~0.15 GB higher for it. A fixed 1 MB threshold keeps large arrays in their own mappings,
unmapped when freed. Setting it also stops the threshold's growth, which is the point.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

_M_MMAP_THRESHOLD = -3  # mallopt's parameter number in glibc's malloc.h
_THRESHOLD_BYTES = 1 << 20


def return_large_frees() -> bool:
    """Ask glibc to map blocks of 1 MB and more on their own; whether it could."""
    if not sys.platform.startswith("linux"):
        return False
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (musl has no mallopt)
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, _THRESHOLD_BYTES))
