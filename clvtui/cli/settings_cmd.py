"""``clvtui settings``: show or change the stored business assumptions."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from clvtui.cli.app import DbOption, JsonOption, app, open_database, resolve_db, user_errors
from clvtui.cli.common import emit, print_table


@app.command("settings")
def settings_cmd(
    set_: Annotated[
        list[str] | None, typer.Option("--set", help="key=value (e.g. margin=35%), repeatable.")
    ] = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Show the stored settings, or change some (validated before anything is stored)."""
    from clvtui.errors import SettingsError
    from clvtui.settings import Settings, parse_value
    from clvtui.store.saved_settings import load_settings, update_settings

    with user_errors():
        changes: dict[str, Any] = {}
        for item in set_ or []:  # checked before the file is even opened
            key, sep, value = item.partition("=")
            if not sep:
                raise SettingsError(f"--set needs key=value (got {item!r})")
            changes[key.strip()] = parse_value(key.strip(), value)
        if changes:
            current = update_settings(open_database(db, write=True), changes)
        elif resolve_db(db).exists():
            current = load_settings(open_database(db, write=False))
        else:  # nothing stored yet: the defaults, without creating a file
            current = Settings()
    doc = current.to_mapping() | {"value_kind": current.value_kind}
    if json:
        emit(doc)
        return
    shown = dict(doc)
    if current.profit_floor is None:  # the default: what one marketing contact costs
        shown["profit_floor"] = f"none (one contact's cost: {current.tier_floor:g})"
    print_table("Settings", ["key", "value"], [[k, v] for k, v in shown.items()])
