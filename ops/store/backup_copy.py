"""Consistent copies of the console's own SQLite database, and putting one back.

A copy is made with SQLite's online backup API, so it is consistent while the server keeps writing (WAL):
it is written under a temporary name, converted to a self-contained file (no -wal), checked with
`PRAGMA integrity_check`, synced and only then renamed to `homelab-<UTC timestamp>.sqlite3`. The oldest
copies beyond `keep` are removed; nothing else in the directory is touched.

A restore stages the chosen copy next to the database (again through the backup API), checks it, and
swaps it in; the replaced database and its -wal/-shm files are kept aside, never deleted. The caller
decides what else to check on the staged file (the audit chain) before the swap.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ops.clock import utc_now

PREFIX = 'homelab-'
SUFFIX = '.sqlite3'
# homelab-20261125T034011.123Z.sqlite3: fixed width, so the names sort in time order.
_NAME = re.compile(r'^homelab-\d{8}T\d{6}\.\d{3}Z\.sqlite3$')
_SIDE_FILES = ('-wal', '-shm', '-journal')


class BackupError(Exception):
    """The copy or the restore could not be made; nothing was replaced."""


@dataclass(frozen=True, kw_only=True, slots=True)
class BackupResult:
    path: Path
    size: int
    removed: tuple[Path, ...]


@dataclass(frozen=True, kw_only=True, slots=True)
class RestoreResult:
    database: Path
    restored_from: Path
    kept_aside: tuple[Path, ...]


def backup_name(now: datetime) -> str:
    now = now.astimezone(UTC)
    return f'{PREFIX}{now:%Y%m%dT%H%M%S}.{now.microsecond // 1000:03d}Z{SUFFIX}'


def list_backups(directory: Path) -> list[Path]:
    """The copies this module made in `directory`, oldest first."""
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.iterdir() if _NAME.match(p.name) and p.is_file())


def integrity_problems(path: Path) -> list[str]:
    """`PRAGMA integrity_check` of a database file (read-only); empty when it says ok."""
    if not path.is_file():
        return [f'{path} does not exist']
    try:
        with _connect(path, read_only=True) as conn:
            rows = conn.execute('PRAGMA integrity_check').fetchall()
    except sqlite3.DatabaseError as err:
        return [f'{path} is not a readable SQLite database: {err}']
    found = [str(row[0]) for row in rows]
    return [] if found == ['ok'] else found


def backup_database(database: Path, directory: Path, *, keep: int, now: datetime | None = None) -> BackupResult:
    """Write a consistent copy of `database` into `directory`, then keep only the newest `keep` copies."""
    if keep < 1:
        raise BackupError('keep must be at least 1')
    if not database.is_file():
        raise BackupError(f'there is no database at {database}')
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    target = directory / backup_name(now or utc_now())
    if target.exists():
        raise BackupError(f'{target} already exists')
    staging = directory / f'.{target.name}.partial'
    try:
        _copy(database, staging)
        if problems := integrity_problems(staging):
            raise BackupError(f'the copy failed its integrity check: {"; ".join(problems[:5])}')
        os.replace(staging, target)
        _fsync_dir(directory)
    finally:
        _remove_with_side_files(staging)
    backups = list_backups(directory)
    removed = tuple(backups[: max(0, len(backups) - keep)])
    for old in removed:
        old.unlink(missing_ok=True)
    if removed:
        _fsync_dir(directory)
    return BackupResult(path=target, size=target.stat().st_size, removed=removed)


def stage_restore(source: Path, database: Path) -> Path:
    """Copy `source` next to `database` under a temporary name and check it; returns the staged file.

    The live database is not touched. Call `swap_in` to put the staged copy in place (or
    `discard_staged` to give up).
    """
    if problems := integrity_problems(source):
        raise BackupError(f'{source} failed its integrity check, nothing was replaced: {"; ".join(problems[:5])}')
    database.parent.mkdir(parents=True, exist_ok=True)
    staged = database.with_name(f'.{database.name}.restoring')
    _remove_with_side_files(staged)
    try:
        _copy(source, staged)
        if problems := integrity_problems(staged):
            raise BackupError(f'the staged copy failed its integrity check: {"; ".join(problems[:5])}')
    except BaseException:
        _remove_with_side_files(staged)
        raise
    return staged


def swap_in(staged: Path, database: Path, *, now: datetime | None = None) -> RestoreResult:
    """Move the current database and its -wal/-shm aside (kept), then rename the staged copy into place.

    The -wal of the old database must not stay next to the new one: SQLite would apply it to the wrong file.
    """
    if problems := integrity_problems(staged):
        raise BackupError(f'the staged copy failed its integrity check: {"; ".join(problems[:5])}')
    stamp = (now or utc_now()).astimezone(UTC).strftime('%Y%m%dT%H%M%SZ')
    aside: list[Path] = []
    for suffix in ('', *_SIDE_FILES):
        current = Path(f'{database}{suffix}')
        if current.exists():
            kept = Path(f'{database}.replaced-{stamp}{suffix}')
            os.replace(current, kept)
            aside.append(kept)
    _remove_side_files(staged)
    os.replace(staged, database)
    _fsync_dir(database.parent)
    return RestoreResult(database=database, restored_from=staged, kept_aside=tuple(aside))


def discard_staged(staged: Path) -> None:
    _remove_with_side_files(staged)


def live_owners(owners_dir: Path) -> list[str]:
    """Processes that still hold their owner lock (ops.store.owners): the server or another homelab command.

    Only looks: a lock of a dead process is left for its owner logic to tidy up.
    """
    if not owners_dir.is_dir():
        return []
    alive: list[str] = []
    for path in sorted(owners_dir.glob('*.lock')):
        try:
            handle = path.open('a')
        except OSError:
            continue
        with handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                alive.append(path.stem)
                continue
            fcntl.flock(handle, fcntl.LOCK_UN)
    return alive


# --- helpers -------------------------------------------------------------------------------------------


@contextlib.contextmanager
def _connect(path: Path, *, read_only: bool = False) -> Iterator[sqlite3.Connection]:
    uri = f'{path.resolve().as_uri()}?mode=ro' if read_only else path.resolve().as_uri()
    conn = sqlite3.connect(uri, uri=True, timeout=30, isolation_level=None)
    try:
        yield conn
    finally:
        conn.close()


def _copy(source: Path, target: Path) -> None:
    """Online backup of `source` into a new file `target`, made self-contained (rollback journal) and synced."""
    _remove_with_side_files(target)
    # Password hashes and sessions are in there: readable by the owner only.
    os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    try:
        with _connect(source) as src, _connect(target) as dst:
            src.execute('PRAGMA busy_timeout = 30000')
            src.backup(dst)
            # The copy inherits WAL mode; a single file is what belongs in a backup directory.
            dst.execute('PRAGMA journal_mode = DELETE')
    except sqlite3.Error as err:
        raise BackupError(f'copying {source} failed: {err}') from err
    with target.open('rb') as handle:
        os.fsync(handle.fileno())


def _remove_side_files(path: Path) -> None:
    for suffix in _SIDE_FILES:
        Path(f'{path}{suffix}').unlink(missing_ok=True)


def _remove_with_side_files(path: Path) -> None:
    path.unlink(missing_ok=True)
    _remove_side_files(path)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
