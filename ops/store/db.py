"""Opening the SQLite store: production PRAGMAs, Tortoise set-up and the built-in migrations."""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path
from typing import Any

from tortoise import Tortoise
from tortoise.migrations.api.migrate import migrate

from ops.log_text import one_line
from ops.runs import RunState
from ops.world.action_states import ActionState

APP_LABEL = 'homelab'


def tortoise_config(database: Path | str) -> dict[str, Any]:
    """The Tortoise config for one database file (WAL, synchronous=FULL for a durable audit trail)."""
    return {
        'connections': {
            'default': {
                'engine': 'tortoise.backends.sqlite',
                'credentials': {
                    'file_path': str(database),
                    'journal_mode': 'WAL',
                    'synchronous': 'FULL',
                    'busy_timeout': 5000,
                    'foreign_keys': 'ON',
                },
            },
        },
        'apps': {
            APP_LABEL: {
                'models': [
                    'ops.store.models',
                    'ops.store.access',
                    'ops.notify.outbox',
                    'ops.alerts.records',
                    'ops.stats.records',
                    'ops.maintenance.records',
                ],
                'migrations': 'ops.store.migrations',
                'default_connection': 'default',
            },
        },
        'use_tz': True,
        'timezone': 'UTC',
    }


# Used by `tortoise makemigrations` (see [tool.tortoise] in pyproject.toml).
TORTOISE_ORM = tortoise_config('data/homelab.sqlite3')


async def open_store(database: Path) -> None:
    """Apply pending migrations, then open the connections the app uses."""
    database.parent.mkdir(parents=True, exist_ok=True)
    make_private(database)
    config = tortoise_config(database)
    await migrate(config=config)
    await Tortoise.close_connections()
    # The global fallback lets request handlers and background tasks (other asyncio contexts) see the store.
    await Tortoise.init(config=config, _enable_global_fallback=True)
    try:
        await _refuse_unknown_states(database)
    except StoreProblem:
        await Tortoise.close_connections()
        raise


class StoreProblem(Exception):
    """The database cannot be used by this version of the console (said in one line, never a traceback)."""


async def _refuse_unknown_states(database: Path) -> None:
    """Runs and actions in a state this version has no name for come from a newer version (a downgrade, a copy
    restored from a newer console): every history page would fail on them, so the console does not start on it."""
    conn = Tortoise.get_connection('default')
    for table, query, states in (
        ('runs', 'SELECT DISTINCT state FROM runs', RunState),
        ('actions', 'SELECT DISTINCT state FROM actions', ActionState),
    ):
        _, rows = await conn.execute_query(query)
        unknown = sorted({str(row[0]) for row in rows} - {state.value for state in states})
        if unknown:
            named = ', '.join(repr(one_line(state, 32)) for state in unknown[:5])
            raise StoreProblem(
                f'database {database}: {table} in states this version does not know ({named}); it was written by a '
                'newer version: upgrade the console, or restore a copy this version made (homelab restore-db)'
            )


def make_private(database: Path) -> None:
    """The database holds password hashes, sessions and the audit trail: 0600 from its first byte (SQLite gives
    its -wal and -shm files the database file's mode), and an existing looser one is tightened."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(database, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    for path in (database, *(database.with_name(database.name + tail) for tail in ('-wal', '-shm', '-journal'))):
        with contextlib.suppress(FileNotFoundError):
            if stat.S_IMODE(path.stat().st_mode) & 0o077:
                path.chmod(0o600)


async def close_store() -> None:
    await Tortoise.close_connections()


async def pragma(name: str) -> Any:
    """Read one PRAGMA from the open default connection (names are constants of ours, never user input)."""
    conn = Tortoise.get_connection('default')
    _, rows = await conn.execute_query(f'PRAGMA {name}')
    return rows[0][0] if rows else None
