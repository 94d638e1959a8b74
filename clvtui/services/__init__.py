"""The jobs a shop owner runs, once, for both faces (the CLI and the TUI).

The rule of this layer: **faces parse input and present results; services take plain
arguments and return typed results** (dataclasses, polars frames). A service never prints,
never raises ``typer.Exit``, never imports Textual or Typer; a user's mistake is a
``clvtui.errors.ClvError`` with one readable line, which each face shows its own way. So the
same question asked from the CLI and from the TUI goes through the same function and gets the
same numbers.

One module per user job:

- ``tiers``      the one rule that gives every customer a tier and a risk band (read its
                 docstring before showing a tier anywhere);
- ``runs``       a fitted run loaded with the settings that apply to it (``load_context``);
- ``segments``   tiers × risk and who is slipping away (``clvtui segments``, Segments screen);
- ``budget``     the marketing budget plan (``clvtui budget``, Budget screen);
- ``whatif``     customer equity under other economics (``clvtui whatif``);
- ``exporting``  customer lists to CSV/XLSX (``clvtui export``);
- ``importing``  a shop export into the database, or a preview of it (``clvtui import``,
                 Import screen);
- ``demo``       the simulated demo shop (``clvtui demo``, the TUI tests, the benchmarks);
- ``profile``    the ideal customer per tier (``clvtui profile``, the Tier screen);
- ``trends``     tiers over fits and who moved (``clvtui trends|moved``, the Tier screen);
- ``fit``, ``customer``  fitting a run and one customer's detail (written with the typed run
                 report).

``clvtui runs`` and ``clvtui imports`` list what the store holds and call ``store`` directly:
there is no job between the listing and the table.

Below this layer: ``pipeline`` (fitting), ``insights`` (pure functions over frames),
``model``, ``store`` (all SQL) and ``ingest``.
"""
