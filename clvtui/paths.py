"""Where the user's database lives when ``--db`` is not given; user-only files."""

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


def user_only_file(path: Path) -> None:
    """Make ``path`` an existing file readable and writable by its owner only (0600), before
    anything personal is written into it: created so whatever the umask, or narrowed if it
    exists (writers that truncate and rewrite a file keep its mode)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        os.chmod(path, 0o600)
    else:
        os.close(fd)
