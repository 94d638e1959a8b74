"""One worker thread beside the caller's, for model fits that run side by side.

Why one helper: numpy and scipy let go of the interpreter, so a second fit (Gamma-Gamma beside
the purchase model, a slow candidate beside the others) costs no wall time on a second core.
The fits silence Python warnings while optimising with ``catch_warnings``, which is not
thread-safe: silenced here around both threads, neither restores the filters under the other.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from warnings import catch_warnings, simplefilter


@contextmanager
def quiet_pool(thread_name: str) -> Iterator[ThreadPoolExecutor]:
    """A one-thread pool (threads named ``thread_name``), warnings silenced until it is done."""
    with catch_warnings(), ThreadPoolExecutor(1, thread_name_prefix=thread_name) as pool:
        simplefilter("ignore")
        yield pool
