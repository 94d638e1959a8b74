"""(being written) commands of this area register themselves on `app`."""

from clvtui.cli.app import app  # noqa: F401
