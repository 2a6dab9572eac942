"""The audit chain's head, anchored outside the audit table: a state file and the event journal, under a file lock.

Deleting the newest rows of a hash chain leaves a shorter chain that is still intact, so the chain alone cannot
show it. Every append therefore records the new head (id, hash, number of events) in two places the database
does not hold: `$DATA/state/audit-head.json` (replaced atomically and fsynced: the one durable write an append
adds) and a `"source": "audit"` line in the event journal `$DATA/events/<day>/events.jsonl` (a second witness,
written but not fsynced: the journal's own flush makes it durable). The state file is one line anyone with the
files can rewrite, so an append takes the longer of it and the journal's last head, and verify reads every head
the journal holds: a head with fewer events than the one before it, with no restore between, means deletion.

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

from ops.clock import utc_now_iso
from ops.world.event_journal import FILE_NAME, encode

log = logging.getLogger(__name__)

STATE_FILE = 'audit-head.json'
LOCK_FILE = 'audit-head.lock'
JOURNAL_SOURCE = 'audit'
LOCK_WAIT = 30.0  # seconds; another process holds the lock only for one append
_DAY = re.compile(r'^\d{4}-\d{2}-\d{2}$')
_MARKER = f'"source":"{JOURNAL_SOURCE}"'.encode()  # journal lines have sorted keys and no spaces
_CHUNK = 1 << 20  # bytes read at a time going forward (verify, the Audit page)
_CHUNK_BACK = 1 << 16  # going back from a file's end (an append: the last head is near the end)
_FIRST_CHUNK_BACK = 1 << 12


class AnchorLocked(Exception):
    """Another process held the audit lock longer than LOCK_WAIT seconds."""


@dataclass(frozen=True, kw_only=True, slots=True)
class ChainHead:
    """The newest audit event: its id and hash, and how many events the table holds up to it (id 0: none)."""

    id: int
    hash: str
    count: int


@dataclass(frozen=True, kw_only=True, slots=True)
class HeadDrop:
    """Two heads journaled one after the other whose count did not grow, with no restore between: the newest events
    were deleted before `later` was anchored (unless `earlier` is still in the table: a clock set back a day)."""

    earlier: ChainHead
    later: ChainHead

    @property
    def missing(self) -> int:
        """How many events were gone when `later` was anchored (it added one)."""
        return self.earlier.count - self.later.count + 1


class JournalHeads:
    """Every head the event journal recorded, streamed in order: the last one, and each drop since the last restore.

    `scan` reads on from where the previous one stopped (whole lines only), so a long-lived scan (the Audit page's)
    costs the lines added since; a new one (verify) reads every day file once, line by line.
    """

    MAX_DROPS = 100  # each is one look-up at check time; the first ones are the ones to report

    def __init__(self, events_dir: Path) -> None:
        self.events_dir = events_dir
        self.last: ChainHead | None = None
        self.drops: list[HeadDrop] = []
        self._read: dict[str, int] = {}  # day -> bytes of whole lines read

    def scan(self) -> None:
        """Read the lines added since the last scan (all of them the first time; again from the start when a day
        file shrank, i.e. was replaced)."""
        if not self.events_dir.is_dir():
            return
        days = sorted(p.name for p in self.events_dir.iterdir() if _DAY.match(p.name))
        for day in days:
            try:
                with (self.events_dir / day / FILE_NAME).open('rb') as handle:
                    start = self._read.get(day, 0)
                    if os.fstat(handle.fileno()).st_size < start:
                        self._restart()
                        self.scan()
                        return
                    handle.seek(start)
                    self._read[day] = start + self._feed(handle)
            except OSError:
                continue

    def _restart(self) -> None:
        self.last, self.drops, self._read = None, [], {}

    def _feed(self, handle: IO[bytes]) -> int:
        consumed, rest = 0, b''
        while chunk := handle.read(_CHUNK):
            data = rest + chunk
            end = data.rfind(b'\n') + 1
            for line in data[:end].splitlines():
                if _MARKER in line:
                    self._take(line)
            consumed += end
            rest = data[end:]
        return consumed

    def _take(self, line: bytes) -> None:
        found = _head_of(line)
        if found is None:
            return
        head, reason = found
        if reason == 'restore':
            self.drops.clear()  # restore-db's own rewind: the heads before it belong to the replaced database
        elif self.last is not None and head.count <= self.last.count and len(self.drops) < self.MAX_DROPS:
            self.drops.append(HeadDrop(earlier=self.last, later=head))
        self.last = head


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

    def newest(self, heads: JournalHeads | None = None) -> ChainHead | None:
        """The longer of the two anchors: a state file rewritten or put back from an older copy does not hide what the
        journal saw. `heads`: a scan of every journaled head to read on (verify, the Audit page); without it only the
        journal's last head is read (an append: a read from the end of one file)."""
        if heads is not None:
            heads.scan()
        journaled = heads.last if heads is not None else self.journaled()
        found = [head for head in (self.stored(), journaled) if head is not None]
        return max(found, key=lambda head: head.count) if found else None

    def history(self) -> JournalHeads:
        """A scan of every head the event journal recorded (nothing read yet)."""
        return JournalHeads(self.events_dir)

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
        """The newest head the event journal recorded (reads day files from the newest back, each from its end;
        lines not fsynced before a power loss may be missing, so it can lag the state file, never lead it)."""
        if not self.events_dir.is_dir():
            return None
        days = sorted((p.name for p in self.events_dir.iterdir() if _DAY.match(p.name)), reverse=True)
        for day in days:
            if (head := _last_head_in(self.events_dir / day / FILE_NAME)) is not None:
                return head
        return None

    def write(self, head: ChainHead, *, reason: str = 'append') -> None:
        """Anchor `head` (call with the lock held, after the commit): the state file, then the journal line."""
        self.publish(self.stage(head), head, reason=reason)

    def stage(self, head: ChainHead) -> Path:
        """Write `head` to the staged state file and fsync it (with the lock held; may run while its commit does:
        the staged file is not the anchor, nothing reads it)."""
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
        return staged

    def publish(self, staged: Path, head: ChainHead, *, reason: str = 'append') -> None:
        """Make the staged `head` the anchor (only once its event is committed): the state file, the journal line."""
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
    """The last head journaled in one day file, read backwards from its end in chunks."""
    try:
        with path.open('rb') as handle:
            end = os.fstat(handle.fileno()).st_size
            tail = b''
            chunk = _FIRST_CHUNK_BACK  # the last head is usually in the last few lines: read little first
            while end > 0:
                start = max(end - chunk, 0)
                chunk = min(chunk * 4, _CHUNK_BACK)
                handle.seek(start)
                data = handle.read(end - start) + tail
                # The first line of a chunk may be cut: keep it for the next (earlier) chunk unless the file starts.
                cut = 0 if start == 0 else data.find(b'\n') + 1
                if start > 0 and cut == 0:
                    tail, end = data, start  # one line longer than a chunk
                    continue
                for raw in reversed(data[cut:].splitlines()):
                    if _MARKER in raw and (found := _head_of(raw)) is not None:
                        return found[0]
                tail, end = data[:cut], start
    except OSError:
        return None
    return None


def _head_of(raw: bytes) -> tuple[ChainHead, str] | None:
    """One journal line as a head and its reason, or None for any other or torn line."""
    with contextlib.suppress(ValueError, KeyError, TypeError):
        record: dict[str, Any] = json.loads(raw)
        if isinstance(record, dict) and record.get('source') == JOURNAL_SOURCE:
            head = ChainHead(id=int(record['head_id']), hash=str(record['head_hash']), count=int(record['count']))
            return head, str(record.get('reason') or 'append')
    return None
