"""The append-only event journal: `$DATA/events/YYYY-MM-DD/events.jsonl`, one JSON object per line.

Appending never blocks and never fails: records wait in memory until the flush loop writes them (off the event
loop, fsynced per batch). When the disk is full or read-only the records stay buffered and the next flush tries
again, so a disk hiccup loses nothing (up to `max_buffer` waiting records: a bound for a disk that never recovers).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from ops.bus import Event
from ops.clock import utc_now, utc_now_iso

log = logging.getLogger(__name__)

FILE_NAME = 'events.jsonl'
_DAY = re.compile(r'^\d{4}-\d{2}-\d{2}$')


@dataclass(frozen=True, slots=True)
class _Entry:
    day: str
    line: bytes
    engine_time_nano: int | None


@dataclass(slots=True)
class ReadStats:
    """What EventJournal.read met: records handed out and lines skipped as torn or invalid."""

    records: int = 0
    skipped: int = 0
    files: list[Path] = field(default_factory=list)


def engine_time_nano(record: dict[str, Any]) -> int | None:
    """The engine's event time of a journaled engine event, or None for any other record."""
    value = record.get('time_nano')
    if record.get('source') == 'engine' and isinstance(value, int) and not isinstance(value, bool):
        return value
    return None


def encode(record: dict[str, Any]) -> bytes:
    """One journal line: sorted keys, valid UTF-8 (an unpaired surrogate becomes a JSON escape), newline."""
    text = json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(',', ':'), default=str)
    return (text + '\n').encode('utf-8', 'backslashreplace')


class EventJournal:
    """Buffered, fsynced, day-partitioned JSON-lines journal; `flushed` tells the newest engine event time on disk."""

    def __init__(
        self, directory: Path, *, flush_interval: float = 1.0, batch: int = 200, max_buffer: int = 1_000_000
    ) -> None:
        self.directory = directory
        self.flush_interval = flush_interval
        self.batch = batch
        self.max_buffer = max_buffer
        self.flushed: Event[float] = Event()
        # The newest engine event time (ns) written and fsynced; what a checkpoint may safely point at.
        self.flushed_time_nano: int | None = None
        self.dropped = 0
        self._pending: list[_Entry] = []
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._wake: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._running = False
        self._closed = False
        self._failing = False
        self._written_max: int | None = None
        self._unsynced: set[Path] = set()

    @property
    def running(self) -> bool:
        return self._running

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._pending)

    def append(self, record: dict[str, Any]) -> None:
        """Queue one record (adds "at" when missing); never blocks on the disk and never raises."""
        try:
            if 'at' not in record:
                record = {**record, 'at': utc_now_iso()}
            entry = _Entry(
                day=_day_of(record.get('at')), line=encode(record), engine_time_nano=engine_time_nano(record)
            )
            with self._lock:
                full = len(self._pending) >= self.max_buffer
                if full:
                    self.dropped += 1
                else:
                    self._pending.append(entry)
                waiting = len(self._pending)
            if full and (self.dropped == 1 or self.dropped % 10_000 == 0):
                log.error('event journal buffer full (the disk is failing): %d record(s) dropped', self.dropped)
            if waiting >= self.batch:
                self._signal()
        except Exception:
            log.exception('event journal: could not queue a record')

    async def run(self) -> None:
        """Flush every `flush_interval` (sooner when `batch` records wait) until close(); a second call just waits."""
        wake = self._ensure_loop_objects()
        if self._running:
            while not self._closed:
                await wake.wait()
            return
        self._running = True
        try:
            while not self._closed:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), timeout=self.flush_interval)
                wake.clear()
                await self.flush()
            await self.flush()
        finally:
            self._running = False

    async def flush(self) -> None:
        """Write and fsync everything buffered now; on disk trouble keep it for the next try (logged, not raised)."""
        self._ensure_loop_objects()
        with self._lock:
            idle = not self._pending and not self._unsynced
        if not idle:
            # The worker thread takes the records off the buffer itself: a flush cancelled while it writes
            # can neither lose them nor make the next flush write them twice.
            kept, error = await asyncio.to_thread(self._write_pending)
            if error is not None:
                if not self._failing:
                    log.error(
                        'event journal: cannot write %s (%s); %d record(s) kept for the next try',
                        self.directory,
                        error,
                        kept,
                    )
                self._failing = True
                return
            if self._failing:
                log.warning('event journal: writing again; the buffered records are on disk')
            self._failing = False
        if self._written_max is not None and self._written_max != self.flushed_time_nano and not self._unsynced:
            self.flushed_time_nano = self._written_max
            self.flushed.emit(self._written_max / 1e9)

    async def close(self) -> None:
        """Final flush and stop run(); appends after close() are still written by a later flush() or close()."""
        wake = self._ensure_loop_objects()
        self._closed = True
        wake.set()
        await self.flush()

    @staticmethod
    def read(
        directory: Path, *, stats: ReadStats | None = None, from_day: date | None = None
    ) -> Iterator[dict[str, Any]]:
        """Every record of every day (from `from_day` on) in order; torn or invalid lines are skipped and counted."""
        stats = stats if stats is not None else ReadStats()
        if not directory.is_dir():
            return
        days = sorted(p.name for p in directory.iterdir() if _DAY.match(p.name) and p.is_dir())
        for day in days:
            if from_day is not None and day < from_day.isoformat():
                continue
            path = directory / day / FILE_NAME
            try:
                handle = path.open('rb')
            except OSError:
                continue
            stats.files.append(path)
            with handle:
                for raw in handle:
                    if not raw.strip():
                        continue
                    try:
                        record = json.loads(raw.decode('utf-8'))
                    except (UnicodeDecodeError, ValueError):
                        stats.skipped += 1
                        continue
                    if not isinstance(record, dict):
                        stats.skipped += 1
                        continue
                    stats.records += 1
                    yield record
        if stats.skipped:
            log.warning('event journal %s: skipped %d torn or invalid line(s)', directory, stats.skipped)

    def _ensure_loop_objects(self) -> asyncio.Event:
        if self._wake is None:
            self._loop = asyncio.get_running_loop()
            self._wake = asyncio.Event()
        return self._wake

    def _signal(self) -> None:
        loop, wake = self._loop, self._wake
        if loop is None or wake is None:
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            wake.set()
        else:
            with contextlib.suppress(RuntimeError):  # the loop is gone: the records wait for a later flush
                loop.call_soon_threadsafe(wake.set)

    def _write_pending(self) -> tuple[int, OSError | None]:
        """Write what is buffered (one writer at a time); returns how many records are still kept, and the error."""
        with self._write_lock:
            with self._lock:
                entries = list(self._pending)
            written, error = self._write(entries)
            with self._lock:
                del self._pending[:written]
                return len(self._pending), error

    def _write(self, entries: list[_Entry]) -> tuple[int, OSError | None]:
        """Append the entries day by day; returns how many are safely on disk, and the error that stopped it."""
        done = 0
        try:
            for path in list(self._unsynced):
                _fsync_path(path)
                self._unsynced.discard(path)
            while done < len(entries):
                day = entries[done].day
                group: list[_Entry] = []
                while done + len(group) < len(entries) and entries[done + len(group)].day == day:
                    group.append(entries[done + len(group)])
                written, error = self._write_day(day, group)
                for entry in group[:written]:
                    if entry.engine_time_nano is not None:
                        self._written_max = max(self._written_max or 0, entry.engine_time_nano)
                done += written
                if error is not None:
                    return done, error
        except OSError as err:
            return done, err
        return done, None

    def _write_day(self, day: str, group: list[_Entry]) -> tuple[int, OSError | None]:
        """Append one day's entries; returns how many are in the file and what went wrong (None: all fsynced)."""
        day_dir = self.directory / day
        path = day_dir / FILE_NAME
        new_dir = not day_dir.exists()
        if new_dir:
            self.directory.mkdir(parents=True, exist_ok=True)
            day_dir.mkdir(exist_ok=True)
            _fsync_dir(self.directory)
        new_file = not path.exists()
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        try:
            start = os.fstat(fd).st_size
            if start and not _ends_with_newline(path, start):
                # A torn line from an earlier failed write: end it, so our first record is a line of its own.
                os.write(fd, b'\n')
                start += 1
            data = b''.join(entry.line for entry in group)
            sent = 0
            try:
                while sent < len(data):
                    sent += os.write(fd, data[sent:])
            except OSError as err:
                complete, size = 0, 0
                for entry in group:
                    if size + len(entry.line) > sent:
                        break
                    size += len(entry.line)
                    complete += 1
                with contextlib.suppress(OSError):  # cut the torn tail; if that fails too, the next write ends it
                    os.ftruncate(fd, start + size)
                if complete:
                    try:
                        os.fsync(fd)
                    except OSError:
                        self._unsynced.add(path)
                return complete, err
            try:
                os.fsync(fd)
            except OSError as err:
                # The bytes are in the file; only their durability is in doubt. Sync again on the next flush
                # rather than writing them twice.
                self._unsynced.add(path)
                return len(group), err
        finally:
            os.close(fd)
        if new_file:
            _fsync_dir(day_dir)
        return len(group), None


def _day_of(at: object) -> str:
    if isinstance(at, str) and len(at) >= 10 and _DAY.match(at[:10]):
        with contextlib.suppress(ValueError):
            stamp = datetime.fromisoformat(at)
            if stamp.tzinfo is not None:
                return stamp.astimezone(UTC).date().isoformat()
            return stamp.date().isoformat()
    return utc_now().date().isoformat()


def _ends_with_newline(path: Path, size: int) -> bool:
    with path.open('rb') as handle:
        handle.seek(size - 1)
        return handle.read(1) == b'\n'


def _fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):  # not every filesystem lets a directory be fsynced
        _fsync_path(path)
