"""Errors meant for the user: the faces print their message, never a traceback.

Anything else that escapes is a bug and should show a traceback.
"""


class ClvError(Exception):
    """A problem the user can fix; ``str(err)`` is the whole message."""


class InputError(ClvError):
    """A file that cannot be imported as asked (names file, row, column and what was expected)."""


class MappingError(InputError):
    """A column problem that naming the right columns fixes.

    ``str(err)`` is the CLI's wording (its fix is ``--map FIELD=COLUMN``); ``detail`` and
    ``fixes`` (field → the column guessed for it, or None) let another face, such as the
    Import screen, word the fix with its own mapping control.
    """

    def __init__(
        self,
        detail: str,
        fixes: dict[str, str | None],
        cli_fix: str,
        fmt: str | None = None,
        columns: list[str] | None = None,
    ) -> None:
        super().__init__(f"{detail}\n  {cli_fix}")
        self.detail = detail
        self.fixes = fixes
        self.cli_fix = cli_fix
        self.fmt = fmt  # the format the fix needs (e.g. generic for an unrecognised header)
        self.columns = columns or []  # the file's columns, to choose from


class SettingsError(ClvError):
    """A setting out of its allowed range (negative budget, margin over 100 %, ...)."""


class ModelError(ClvError):
    """The data cannot support the requested model (too few customers, no convergence...)."""


class NoDataError(ClvError):
    """The database has nothing to work on yet (no orders, or no fitted run)."""
