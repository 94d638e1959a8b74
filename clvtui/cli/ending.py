"""Ending a command's process without the interpreter's teardown.

Why: after a command has printed its answer, Python's shutdown frees every object and module
one by one — ~1,800 modules and ~1 GB after a fit at a million customers — which took 0.4-0.6 s
of a ``clvtui fit`` and 0.15-0.25 s of a reporting command, with nothing left to do. The
kernel frees a process's memory at once. So, once the command is done: close the databases
it opened (their write-ahead log checkpointed and removed, as the teardown would have), run
the ``atexit`` handlers, flush what is printed, and ``os._exit``. When another thread is
still running (it could be writing) the process ends the ordinary way.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
from typing import NoReturn


def exit_code(code: object) -> int:
    """The process's exit status for ``SystemExit(code)``, as Python itself would give it:
    None is 0, an int is itself, anything else is printed on stderr and is 1."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    sys.stderr.write(f"{code}\n")
    return 1


def end_process(code: int) -> NoReturn:
    """End the process with ``code`` once the command is done (see the module's text)."""
    if threading.active_count() > 1:  # a thread still at work: let Python wait for it
        sys.exit(code)
    from clvtui.store.opening import close_opened

    close_opened()
    atexit._run_exitfuncs()  # e.g. logging's flush: what the teardown would have run
    code = _flushed(code)
    os._exit(code)


def _flushed(code: int) -> int:
    """Flush stdout and stderr; an answer that could not be written fails the command (as
    Python's own exit does, which makes it 120), a closed pipe (``clvtui rank | head``)
    included. A command that failed already (its write failed: it said so) is not told
    twice."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BrokenPipeError:  # the reader left (``| head``): nothing to say, as click does
            code = code or 1
        except OSError as err:  # e.g. a full disk under ``> file``
            if stream is sys.stdout and code == 0:  # else the command said why it failed
                _say(f"error: could not write the output: {err.strerror or err}")
            code = code or 1
    return code


def _say(line: str) -> None:
    """One line on stderr, if stderr can still take it."""
    try:
        sys.stderr.write(line + "\n")
        sys.stderr.flush()
    except OSError:
        return  # stderr is gone too: the exit status is all that is left to tell
