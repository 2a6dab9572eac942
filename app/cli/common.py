"""What every `homelab` command shares: who acts, the one way to open the core or its store, how results print."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import pwd
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

from tortoise.models import Model

from app.settings import Settings, prepare_data_dir
from app.system import Core
from ops.store.audit import AuditLog, AuditUnavailable
from ops.store.chain_head import HeadAnchor
from ops.store.db import close_store, open_store
from ops.store.queries import Page

if TYPE_CHECKING:
    from app.auth.accounts import Administrator

Commands: TypeAlias = 'argparse._SubParsersAction[argparse.ArgumentParser]'
"""The top-level sub-parser each noun module adds its commands to."""

Row = TypeVar('Row', bound=Model)

OK = 0
FAILED = 1  # it ran and failed, or what it names does not exist, or the audit trail is not intact
REFUSED = 2  # nothing was done: a bad command line, config or argument, or a refusal before the change


def actor() -> str:
    """`cli:<effective OS user>`: the account whose rights did it (not $USER or $LOGNAME, which the caller sets)."""
    try:
        return f'cli:{pwd.getpwuid(os.geteuid()).pw_name}'
    except KeyError:  # a uid without a passwd entry (a container run as --user 1000)
        return f'cli:uid-{os.geteuid()}'


def with_core(action: Callable[[Core], Awaitable[int]]) -> int:
    """Run one command in the whole core (store, manager, action queue) on this host's settings, then close it."""

    async def run() -> int:
        core = Core(Settings())
        await core.open()
        try:
            return await action(core)
        finally:
            await core.close()

    return asyncio.run(run())


@asynccontextmanager
async def opened_store(settings: Settings, database: Path | None = None) -> AsyncIterator[AuditLog]:
    """Only the database (or, with `database`, a copy of it), opened as the core opens it with its migrations, and
    the audit log anchored in the data directory: for commands that must work without the config or the manager."""
    await open_store(database or settings.database_path)
    try:
        yield AuditLog(HeadAnchor(settings.data_dir))
    finally:
        await close_store()


def administer(change: Callable[[Administrator], Awaitable[object]], success: str, *, quiet: bool = False) -> int:
    """Run one account change as `cli:<OS user>`; it happens together with its audit event, or not at all."""
    from app.auth.accounts import Administrator
    from app.auth.tokens import TokenError
    from app.auth.users import UserError

    settings = Settings()

    async def run() -> int:
        prepare_data_dir(settings.data_dir)
        async with opened_store(settings) as audit:
            try:
                await change(Administrator(actor=actor(), audit=audit))
            except (UserError, TokenError) as err:
                return fail(str(err))
            except AuditUnavailable as err:
                return fail(f'refused, nothing changed: {err}')
        print(f'homelab: {success}', file=sys.stderr if quiet else sys.stdout)
        return OK

    return asyncio.run(run())


def fail(message: str, code: int = FAILED) -> int:
    """`homelab: <message>` on stderr; returns `code`, so a command ends with `return fail(...)`."""
    print(f'homelab: {message}', file=sys.stderr)
    return code


def print_json(value: Any, *, sort_keys: bool = False, default: Callable[[Any], Any] | None = None) -> None:
    """What `--json` prints: indented by two, in the order given unless `sort_keys`."""
    print(json.dumps(value, indent=2, sort_keys=sort_keys, default=default))


def command(
    commands: Commands,
    name: str,
    handler: Callable[[argparse.Namespace], int],
    *,
    help: str,
    json: bool = True,
    **more: Any,
) -> argparse.ArgumentParser:
    """Add one command with its help (and any other parser option), `--json` unless json=False, and its handler."""
    parser = commands.add_parser(name, help=help, **more)
    if json:
        parser.add_argument('--json', action='store_true')
    parser.set_defaults(handler=handler)
    return parser


def print_page(
    page: Page[Row], key: str, *, as_json: bool, row: Callable[[Row], dict[str, Any]], line: Callable[[Row], str]
) -> int:
    """One page of history: JSON ({key: rows, next_before}), or a line per row and how to ask for the next page."""
    if as_json:
        print_json({key: [row(item) for item in page.rows], 'next_before': page.next_before})
        return OK
    for item in page.rows:
        print(line(item))
    if page.next_before:
        print(f'... more: --before {page.next_before}')
    return OK


def history_options(parser: argparse.ArgumentParser) -> None:
    """The paging and filter options `runs list` and `audit list` share."""
    parser.add_argument('--limit', type=int, default=50)
    parser.add_argument('--before', type=int, help='show rows older than this id (the next page)')
    parser.add_argument('--operation')
    parser.add_argument('--actor')
    parser.add_argument('--json', action='store_true')
