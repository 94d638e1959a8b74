"""Where the user's database lives when ``--db`` is not given."""

import os
from pathlib import Path

ENV_VAR = "CLVTUI_DB"


def default_db_path() -> Path:
    """``$CLVTUI_DB``, else ``clvtui.db`` in the per-user data directory (platformdirs)."""
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_path

    return user_data_path("clvtui", appauthor=False, ensure_exists=True) / "clvtui.db"
