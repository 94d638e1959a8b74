"""clvtui: an offline customer-lifetime-value workbench for small shops.

The core (``ingest``, ``store``, ``model``, ``insights``) never imports Textual or Typer;
``tui`` and ``cli`` are thin faces over it.
"""

from clvtui import lean_imports

__version__ = "0.1.0"

lean_imports.install()  # before anything imports sqlite_utils (see lean_imports)
