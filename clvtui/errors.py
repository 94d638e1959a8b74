"""Errors meant for the user: the faces print their message, never a traceback.

Anything else that escapes is a bug and should show a traceback.
"""


class ClvError(Exception):
    """A problem the user can fix; ``str(err)`` is the whole message."""


class InputError(ClvError):
    """A file that cannot be imported as asked (names file, row, column and what was expected)."""


class SettingsError(ClvError):
    """A setting out of its allowed range (negative budget, margin over 100 %, ...)."""


class ModelError(ClvError):
    """The data cannot support the requested model (too few customers, no convergence...)."""


class NoDataError(ClvError):
    """The database has nothing to work on yet (no orders, or no fitted run)."""
