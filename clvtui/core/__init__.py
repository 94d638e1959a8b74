"""The shared core every layer may import: money in minor units, the stored time format.

(The user-facing errors, the settings rules and report wording are the other shared modules:
``clvtui.errors``, ``clvtui.settings``, ``clvtui.wording``; the layer contract in pyproject lists
them all.) Nothing here imports another clvtui package.
"""
