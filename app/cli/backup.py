"""`homelab backup-db` and `homelab restore-db`: copies of the console's own database.

backup-db works while the server runs (SQLite's online backup API). restore-db refuses while any other
homelab process holds the database (the server, a CLI command): stop the console first.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any

from app.cli.common import OK, REFUSED, Commands, actor, command, fail, opened_store, print_json
from app.settings import Settings, prepare_data_dir
from ops.store.backup_copy import (
    BackupError,
    backup_database,
    discard_staged,
    list_backups,
    live_owners,
    stage_restore,
    swap_in,
)
from ops.store.chain_check import verify_chain

DEFAULT_KEEP = 14


def add_commands(commands: Commands) -> None:
    """Register the backup commands on the top-level sub-parser."""
    backup = command(
        commands,
        'backup-db',
        _backup,
        help="write a consistent copy of the console's database (safe while it runs)",
        description="Copy the database with SQLite's online backup API into DIR as homelab-<UTC time>.sqlite3, "
        "check it, and keep only the newest KEEP copies. The host's backup (restic) picks DIR up.",
    )
    backup.add_argument('--dir', type=Path, help='where the copies go (default: $HOMELAB_DATA_DIR/backups)')
    backup.add_argument(
        '--keep', type=int, default=DEFAULT_KEEP, help=f'how many copies to keep (default {DEFAULT_KEEP})'
    )

    restore = command(
        commands,
        'restore-db',
        _restore,
        help='replace the database with a copy made by backup-db (stop the console first)',
        description='Check FILE (integrity and audit chain), keep the current database aside as '
        'homelab.sqlite3.replaced-<time>, and put FILE in its place.',
    )
    restore.add_argument('file', type=Path, help='a copy made by backup-db (or another homelab database file)')

    backups = command(commands, 'backups', _list, help='list the copies backup-db made')
    backups.add_argument('--dir', type=Path, help='default: $HOMELAB_DATA_DIR/backups')


def _backups_dir(settings: Settings, given: Path | None) -> Path:
    return given if given is not None else settings.data_dir / 'backups'


def _backup(args: argparse.Namespace) -> int:
    settings = Settings()
    if args.keep < 1:
        return fail('--keep must be at least 1', REFUSED)
    directory = _backups_dir(settings, args.dir)
    try:
        result = backup_database(settings.database_path, directory, keep=args.keep)
    except BackupError as err:
        return fail(f'backup-db: {err}')
    if args.json:
        print_json({'path': str(result.path), 'size': result.size, 'removed': [str(p) for p in result.removed]})
    else:
        print(f'homelab: wrote {result.path} ({result.size} bytes)')
        for old in result.removed:
            print(f'homelab: removed the old copy {old}')
    return OK


def _list(args: argparse.Namespace) -> int:
    directory = _backups_dir(Settings(), args.dir)
    found = list_backups(directory)
    if args.json:
        print_json([{'path': str(p), 'size': p.stat().st_size} for p in found])
    else:
        for path in found:
            print(f'{path}  {path.stat().st_size} bytes')
        if not found:
            fail(f'no copies in {directory}')
    return OK


def _restore(args: argparse.Namespace) -> int:
    settings = Settings()
    prepare_data_dir(settings.data_dir)
    source: Path = args.file
    if not source.is_file():
        return fail(f'restore-db: {source} does not exist', REFUSED)
    if source.resolve() == settings.database_path.resolve():
        return fail('restore-db: that is the live database itself', REFUSED)
    if owners := live_owners(settings.data_dir / 'state' / 'owners'):
        return fail(
            f'restore-db: refused: {len(owners)} homelab process(es) use the database (owner {", ".join(owners)}). '
            'Stop the console first (docker compose stop homelab), then run restore-db in a one-off container.',
            REFUSED,
        )
    try:
        staged = stage_restore(source, settings.database_path)
    except BackupError as err:
        return fail(f'restore-db: {err}')
    try:
        chain = asyncio.run(_verify_audit(settings, staged))
    except Exception as err:
        discard_staged(staged)
        return fail(f'restore-db: {source} cannot be opened as a homelab database: {err}')
    if not chain['ok']:
        discard_staged(staged)
        return fail(
            f'restore-db: refused: the audit chain in {source} is broken at event #{chain["first_bad_id"]} '
            f'({chain["problem"]}); nothing was replaced'
        )
    try:
        result = swap_in(staged, settings.database_path)
    except (BackupError, OSError) as err:
        discard_staged(staged)
        return fail(f'restore-db: {err}')
    asyncio.run(_record_restore(settings, source, chain['checked']))
    report = {
        'database': str(result.database),
        'restored_from': str(source),
        'audit_events': chain['checked'],
        'kept_aside': [str(p) for p in result.kept_aside],
    }
    if args.json:
        print_json(report)
    else:
        print(f'homelab: restored {result.database} from {source} ({chain["checked"]} audit events, chain intact)')
        for path in result.kept_aside:
            print(f'homelab: the replaced file is kept as {path}')
    return OK


async def _verify_audit(settings: Settings, database: Path) -> dict[str, Any]:
    """Open the staged copy like the app does (migrations included) and check its audit chain."""
    async with opened_store(settings, database):
        status = await verify_chain()
    return {'ok': status.ok, 'checked': status.checked, 'first_bad_id': status.first_bad_id, 'problem': status.problem}


async def _record_restore(settings: Settings, source: Path, events: int) -> None:
    """The restore itself goes on the record, at the end of the restored chain, and that chain's head becomes the
    anchored one (the replaced database's newer head is expected to be gone; the event names it)."""
    async with opened_store(settings) as audit:
        await audit.append_restored(
            actor=actor(), origin='cli', detail={'from': source.name, 'audit_events_before': events}
        )
