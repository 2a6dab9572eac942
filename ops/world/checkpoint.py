"""`$DATA/state/observer_checkpoint.json`: how far into the Docker event stream the journal is known to reach.

The checkpoint never runs ahead of the journal: CheckpointWriter only writes a time the journal reported as
flushed (fsynced), so resuming the stream from it can replay an event twice (deduplicated) but never skip one.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ops.clock import utc_now_iso
from ops.world.engine_events import record_key
from ops.world.event_journal import EventJournal
from ops.world.observer import Resume
from ops.world.world_file import atomic_write

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Checkpoint:
    time_nano: int
    written_at: str


def checkpoint_path(data_dir: Path) -> Path:
    return data_dir / 'state' / 'observer_checkpoint.json'


def load_checkpoint(path: Path) -> Checkpoint | None:
    """The stored checkpoint, or None when it is missing or unreadable (blocking)."""
    try:
        data = json.loads(path.read_bytes().decode('utf-8'))
        time_nano = data['time_nano']
        if not isinstance(time_nano, int) or isinstance(time_nano, bool) or time_nano <= 0:
            raise ValueError('time_nano is not a positive integer')
        return Checkpoint(time_nano=time_nano, written_at=str(data.get('written_at') or ''))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as err:
        log.warning('ignoring unreadable observer checkpoint %s: %s', path, err)
        return None


def resume_point(data_dir: Path, journal_dir: Path) -> Resume | None:
    """Where the observer resumes: the checkpoint, with the engine events journaled at or after it (they may be
    replayed once more); None without a checkpoint (blocking)."""
    checkpoint = load_checkpoint(checkpoint_path(data_dir))
    if checkpoint is None:
        return None
    first_day = (datetime.fromtimestamp(checkpoint.time_nano / 1e9, UTC) - timedelta(days=1)).date()
    keys = (record_key(record) for record in EventJournal.read(journal_dir, from_day=first_day))
    return Resume(
        time_nano=checkpoint.time_nano,
        journaled=[key for key in keys if key is not None and key[0] >= checkpoint.time_nano],
    )


def write_checkpoint(path: Path, time_nano: int) -> Checkpoint:
    """Write the checkpoint atomically (blocking: run it off the event loop)."""
    checkpoint = Checkpoint(time_nano=time_nano, written_at=utc_now_iso())
    data = {'time_nano': checkpoint.time_nano, 'written_at': checkpoint.written_at}
    atomic_write(path, (json.dumps(data, sort_keys=True) + '\n').encode())
    return checkpoint


class CheckpointWriter:
    """Follows a journal: after each flush, writes the newest flushed engine event time (coalesced, off the loop)."""

    def __init__(self, path: Path, journal: EventJournal, *, start: int | None = None) -> None:
        self.path = path
        self.journal = journal
        self.written: int | None = start
        self._wanted: int | None = None
        self._task: asyncio.Task[None] | None = None
        self._unsubscribe = journal.flushed.subscribe(self._on_flushed)

    def _on_flushed(self, _seconds: float) -> None:
        time_nano = self.journal.flushed_time_nano  # the exact value; the float lost the nanoseconds
        if time_nano is None or (self.written is not None and time_nano <= self.written):
            return
        self._wanted = time_nano
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._write_pending())

    async def _write_pending(self) -> None:
        while self._wanted is not None:
            wanted, self._wanted = self._wanted, None
            if self.written is not None and wanted <= self.written:
                continue
            try:
                await asyncio.to_thread(write_checkpoint, self.path, wanted)
            except OSError as err:
                log.warning('cannot write the observer checkpoint %s: %s', self.path, err)
                continue
            self.written = wanted

    async def close(self) -> None:
        """Finish a pending write and stop following the journal."""
        self._unsubscribe()
        if self._task is not None:
            with contextlib.suppress(Exception):
                await self._task
