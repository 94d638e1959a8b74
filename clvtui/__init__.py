"""clvtui: an offline customer-lifetime-value workbench for small shops.

The core (``ingest``, ``store``, ``model``, ``insights``) never imports Textual or Typer;
``tui`` and ``cli`` are thin faces over it.
"""

__version__ = "0.1.0"
