"""The audit chain's head, anchored outside the audit table: a state file and the event journal, under a file lock.

Deleting the newest rows of a hash chain leaves a shorter chain that is still intact, so the chain alone cannot
show it. Every append therefore records the new head (id, hash, number of events) in two places the database
does not hold: `$DATA/state/audit-head.json` (replaced atomically and fsynced: the one durable write an append
adds) and a `"source": "audit"` line in the event journal `$DATA/events/<day>/events.jsonl` (a second witness,
written but not fsynced: the journal's own flush makes it durable).

The server and the CLI append to the same database, so appenders hold `$DATA/state/audit-head.lock` (flock)
from reading the chain's tail until the head is anchored: the chain stays linear across processes, and the
anchor is written after the commit, so it never names an event that is not committed.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import logging
import os
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from ops.world.journal import FILE_NAME, encode, utc_now_iso

log = logging.getLogger(__name__)

STATE_FILE = 'audit-head.json'
LOCK_FILE = 'audit-head.lock'
JOURNAL_SOURCE = 'audit'
LOCK_WAIT = 30.0  # seconds; another process holds the lock only for one append
_DAY = re.compile(r'^\d{4}-\d{2}-\d{2}$')


class AnchorLocked(Exception):
    """Another process held the audit lock longer than LOCK_WAIT seconds."""


@dataclass(frozen=True, kw_only=True, slots=True)
class ChainHead:
    """The newest audit event: its id and hash, and how many events the table holds up to it (id 0: none)."""

    id: int
    hash: str
    count: int


class HeadAnchor:
    """Where one data directory anchors its audit chain's head, and the lock its appenders share."""

    def __init__(self, data_dir: Path) -> None:
        self.state_dir = data_dir / 'state'
        self.events_dir = data_dir / 'events'
        self.path = self.state_dir / STATE_FILE
        self._lock_file: IO[bytes] | None = None
        # flock is per open file: holders in this process share one file, so they queue on this lock first.
        self._in_process = asyncio.Lock()

    @contextlib.asynccontextmanager
    async def held(self) -> AsyncIterator[None]:
        """Hold the appenders' lock (exclusive across processes); waits beside the event loop, not on it."""
        async with self._in_process:
            handle = self._lock_handle()
            if not _try_lock(handle) and not await asyncio.to_thread(_wait_for_lock, handle, LOCK_WAIT):
                raise AnchorLocked(f'another homelab process held {self.state_dir / LOCK_FILE} for {LOCK_WAIT:.0f} s')
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def read(self) -> ChainHead | None:
        """The anchored head: the state file's, or when that is gone the newest one in the event journal."""
        return self.stored() or self.journaled()

    def newest(self) -> ChainHead | None:
        """The longer of the two anchors: a state file put back from an older copy does not hide what the journal
        saw (a full verify reads the journal; an append reads only the state file)."""
        found = [head for head in (self.stored(), self.journaled()) if head is not None]
        return max(found, key=lambda head: head.count) if found else None

    def stored(self) -> ChainHead | None:
        try:
            raw = json.loads(self.path.read_bytes())
            return ChainHead(id=int(raw['id']), hash=str(raw['hash']), count=int(raw['count']))
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError) as err:
            log.warning('audit anchor %s is unreadable (%s); using the event journal', self.path, err)
            return None

    def journaled(self) -> ChainHead | None:
        """The newest head the event journal recorded (reads day files from the newest back; lines not fsynced
        before a power loss may be missing, so it can lag the state file, never lead it)."""
        if not self.events_dir.is_dir():
            return None
        days = sorted((p.name for p in self.events_dir.iterdir() if _DAY.match(p.name)), reverse=True)
        for day in days:
            if (head := _last_head_in(self.events_dir / day / FILE_NAME)) is not None:
                return head
        return None

    def write(self, head: ChainHead, *, reason: str = 'append') -> None:
        """Anchor `head` (call with the lock held, after the commit): the state file, then the journal line."""
        self.state_dir.mkdir(parents=True, exist_ok=True)
        staged = self.path.with_name(f'{STATE_FILE}.tmp')
        data = json.dumps({'id': head.id, 'hash': head.hash, 'count': head.count}).encode()
        fd = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            while data:
                data = data[os.write(fd, data) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(staged, self.path)
        self._journal(head, reason)

    def _journal(self, head: ChainHead, reason: str) -> None:
        at = utc_now_iso()
        record = {
            'source': JOURNAL_SOURCE,
            'head_id': head.id,
            'head_hash': head.hash,
            'count': head.count,
            'reason': reason,
            'at': at,
        }
        path = self.events_dir / at[:10] / FILE_NAME
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o640)
            try:
                line = encode(record)
                size = os.fstat(fd).st_size
                if size and os.pread(fd, 1, size - 1) != b'\n':
                    line = b'\n' + line  # a torn line of a crashed writer: ours starts a line of its own
                os.write(fd, line)
            finally:
                os.close(fd)
        except OSError as err:  # the state file holds the head; the journal is the second witness
            log.warning('audit anchor: cannot journal the head in %s: %s', path, err)

    def _lock_handle(self) -> IO[bytes]:
        if self._lock_file is None:
            self.state_dir.mkdir(parents=True, exist_ok=True)
            self._lock_file = (self.state_dir / LOCK_FILE).open('ab')
        return self._lock_file


def _try_lock(handle: IO[bytes]) -> bool:
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _wait_for_lock(handle: IO[bytes], wait: float) -> bool:
    """Poll the lock (in a worker thread) until it is ours or `wait` seconds passed."""
    deadline = time.monotonic() + wait
    pause = 0.0005
    while not _try_lock(handle):
        if time.monotonic() >= deadline:
            return False
        time.sleep(pause)
        pause = min(pause * 2, 0.02)
    return True


def _last_head_in(path: Path) -> ChainHead | None:
    try:
        lines = path.read_bytes().splitlines()
    except OSError:
        return None
    marker = f'"source":"{JOURNAL_SOURCE}"'.encode()
    for raw in reversed(lines):
        if marker not in raw:
            continue
        with contextlib.suppress(ValueError, KeyError, TypeError):
            record: dict[str, Any] = json.loads(raw)
            if record.get('source') == JOURNAL_SOURCE:
                return ChainHead(id=int(record['head_id']), hash=str(record['head_hash']), count=int(record['count']))
    return None
