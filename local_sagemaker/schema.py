"""Each local store's schema version (SQLite `user_version`): older state is upgraded in place, newer state
is refused with what to run, so no store ever misreads state it does not understand."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path

# MIGRATIONS[n] turns version n+1 into n+2; the current version is len(migrations) + 1.
Migration = Callable[[sqlite3.Connection], None]


class NewerStateError(RuntimeError):
    """The state was written by a newer build than this one."""


def open_versioned(db: sqlite3.Connection, path: Path, migrations: Sequence[Migration] = ()) -> int:
    """Bring the database at `path` to this build's version; returns it. Call after the CREATE TABLEs.

    A database from before versioning (user_version 0) is version 1, the first schema."""
    current = len(migrations) + 1
    found = int(db.execute("PRAGMA user_version").fetchone()[0]) or 1
    if found > current:
        raise NewerStateError(
            f"{path} holds schema version {found}, but this checkout knows only up to {current}: it was "
            "written by a newer version of the project. Update this checkout (git pull) to open it, or run "
            "`make local-reset` to remove the local stack's state and start empty."
        )
    for version in range(found, current):
        migrations[version - 1](db)
    db.execute(f"PRAGMA user_version = {current}")
    return current
