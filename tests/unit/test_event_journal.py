"""The event journal, the observer checkpoint and the world file, on a real temp directory (no engine)."""

from __future__ import annotations

import asyncio
import errno
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ops.clock import docker_time
from ops.docker.containers import ContainerInfo
from ops.world import event_journal as journal_module
from ops.world.checkpoint import CheckpointWriter, load_checkpoint, write_checkpoint
from ops.world.event_journal import EventJournal, ReadStats
from ops.world.rebuild import fold_journal
from ops.world.world_file import comparable, read_world, world_snapshot, write_world
from tests.helpers.waiting import wait_for_async


def engine_event(n: int, *, action: str = 'start', at: str | None = None) -> dict[str, Any]:
    record: dict[str, Any] = {
        'source': 'engine',
        'type': 'container',
        'action': action,
        'id': f'c{n % 3}',
        'name': f'box-{n % 3}',
        'time_nano': 1_700_000_000_000_000_000 + n,
        'seq': n,
    }
    if at is not None:
        record['at'] = at
    return record


def journal_lines(directory: Path) -> list[str]:
    return [
        line
        for path in sorted(directory.glob('*/events.jsonl'))
        for line in path.read_text(encoding='utf-8').splitlines()
        if line
    ]


class FailingWrites:
    """os.write in the journal module raising ENOSPC (after `allow` bytes) until healed: a full disk."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, *, allow: int = 0) -> None:
        self.allow = allow
        self.calls = 0
        self.real: Callable[[int, bytes], int] = os.write
        monkeypatch.setattr(journal_module.os, 'write', self.write)
        self.monkeypatch = monkeypatch

    def write(self, fd: int, data: bytes) -> int:
        self.calls += 1
        if self.allow > 0:
            part = bytes(data[: self.allow])
            self.allow -= len(part)
            return self.real(fd, part)
        raise OSError(errno.ENOSPC, 'No space left on device')

    def heal(self) -> None:
        self.monkeypatch.setattr(journal_module.os, 'write', self.real)


async def test_appended_records_read_back_in_order_with_sorted_keys_and_a_time(tmp_path: Path) -> None:
    journal = EventJournal(tmp_path / 'events')
    for n in range(500):
        journal.append(engine_event(n))
    journal.append({'source': 'observer', 'kind': 'note', 'text': 'grüße ✓'})
    await journal.flush()
    records = list(EventJournal.read(tmp_path / 'events'))
    assert [r.get('seq') for r in records[:500]] == list(range(500))
    assert records[-1]['text'] == 'grüße ✓'
    assert all('at' in r for r in records)
    for line in journal_lines(tmp_path / 'events'):
        assert list(json.loads(line)) == sorted(json.loads(line))
    assert journal.flushed_time_nano == 1_700_000_000_000_000_499


async def test_run_flushes_by_interval_and_by_batch_until_close(tmp_path: Path) -> None:
    journal = EventJournal(tmp_path / 'events', flush_interval=30, batch=50)
    task = asyncio.create_task(journal.run())
    await wait_for_async(lambda: journal.running, what='the flush loop')
    for n in range(50):  # a full batch is written long before the 30 s interval
        journal.append(engine_event(n))
    await wait_for_async(lambda: len(journal_lines(tmp_path / 'events')) == 50, timeout=5, what='the batch')
    journal.append(engine_event(50))
    await journal.close()
    await asyncio.wait_for(task, timeout=5)
    assert len(journal_lines(tmp_path / 'events')) == 51
    assert not journal.running


async def test_a_day_boundary_starts_a_new_file(tmp_path: Path) -> None:
    journal = EventJournal(tmp_path / 'events')
    journal.append(engine_event(1, at='2026-01-31T23:59:59.999999+00:00'))
    journal.append(engine_event(2, at='2026-02-01T00:00:00.000001+00:00'))
    journal.append(engine_event(3, at='2026-02-01T01:00:00+01:00'))  # 00:00 UTC: still Feb 1st
    journal.append(engine_event(4, at='2026-02-01T00:30:00+01:00'))  # Jan 31st 23:30 UTC
    await journal.flush()
    assert sorted(p.name for p in (tmp_path / 'events').iterdir()) == ['2026-01-31', '2026-02-01']
    first = (tmp_path / 'events' / '2026-01-31' / 'events.jsonl').read_text().splitlines()
    second = (tmp_path / 'events' / '2026-02-01' / 'events.jsonl').read_text().splitlines()
    assert [json.loads(line)['seq'] for line in first] == [1, 4]
    assert [json.loads(line)['seq'] for line in second] == [2, 3]
    assert [r['seq'] for r in EventJournal.read(tmp_path / 'events')] == [1, 4, 2, 3]


async def test_a_torn_last_line_is_skipped_and_counted(tmp_path: Path) -> None:
    journal = EventJournal(tmp_path / 'events')
    for n in range(3):
        journal.append(engine_event(n))
    await journal.flush()
    path = next((tmp_path / 'events').glob('*/events.jsonl'))
    with path.open('ab') as handle:
        handle.write(b'{"source":"engine","action":"sta')  # a crash in the middle of a write
    stats = ReadStats()
    assert [r['seq'] for r in EventJournal.read(tmp_path / 'events', stats=stats)] == [0, 1, 2]
    assert stats.skipped == 1 and stats.records == 3
    # The next write ends the torn line first: the new record is not glued to it.
    journal.append(engine_event(3))
    await journal.flush()
    stats = ReadStats()
    assert [r['seq'] for r in EventJournal.read(tmp_path / 'events', stats=stats)] == [0, 1, 2, 3]
    assert stats.skipped == 1


async def test_invalid_utf8_and_non_objects_are_skipped(tmp_path: Path) -> None:
    day = tmp_path / 'events' / '2026-03-01'
    day.mkdir(parents=True)
    (day / 'events.jsonl').write_bytes(b'{"a":1}\n\xff\xfe\n[1,2]\n\n{"a":2}\n')
    stats = ReadStats()
    assert list(EventJournal.read(tmp_path / 'events', stats=stats)) == [{'a': 1}, {'a': 2}]
    assert stats.skipped == 2
    assert list(EventJournal.read(tmp_path / 'missing')) == []


async def test_a_full_disk_keeps_the_records_and_writes_them_once_it_recovers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    journal = EventJournal(tmp_path / 'events')
    journal.append(engine_event(0))
    await journal.flush()
    flushed: list[float] = []
    journal.flushed.subscribe(flushed.append)
    disk = FailingWrites(monkeypatch, allow=150)  # the first record and part of the second get through
    for n in range(1, 11):
        journal.append(engine_event(n))
    await journal.flush()  # must not raise
    assert disk.calls >= 2
    assert journal.pending > 0
    assert flushed == []  # nothing new is known to be on disk
    journal.append(engine_event(11))
    await journal.flush()
    assert journal.pending > 0
    disk.heal()
    await journal.flush()
    assert journal.pending == 0
    stats = ReadStats()
    assert [r['seq'] for r in EventJournal.read(tmp_path / 'events', stats=stats)] == list(range(12))
    assert stats.skipped == 0  # the torn tail of the failed write was cut off
    assert journal.flushed_time_nano == 1_700_000_000_000_000_011
    assert flushed == [pytest.approx(1_700_000_000.000_000_011)]


async def test_an_unwritable_directory_keeps_the_records(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: object, **_kwargs: object) -> int:
        raise OSError(errno.EROFS, 'Read-only file system')

    journal = EventJournal(tmp_path / 'events')
    monkeypatch.setattr(journal_module.os, 'open', refuse)
    journal.append(engine_event(1))
    await journal.flush()
    assert journal.pending == 1
    monkeypatch.undo()
    await journal.flush()
    assert [r['seq'] for r in EventJournal.read(tmp_path / 'events')] == [1]


async def test_the_checkpoint_never_runs_ahead_of_the_journal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / 'state' / 'observer_checkpoint.json'
    journal = EventJournal(tmp_path / 'events')
    writer = CheckpointWriter(path, journal)

    def newest_on_disk() -> int:
        times = [r['time_nano'] for r in EventJournal.read(tmp_path / 'events') if r.get('source') == 'engine']
        return max(times, default=0)

    for n in range(5):
        journal.append(engine_event(n))
    assert load_checkpoint(path) is None  # appended is not written
    await journal.flush()
    await wait_for_async(lambda: load_checkpoint(path) is not None, timeout=5, what='the first checkpoint')
    checkpoint = load_checkpoint(path)
    assert checkpoint is not None and checkpoint.time_nano == newest_on_disk() == 1_700_000_000_000_000_004

    disk = FailingWrites(monkeypatch)
    for n in range(5, 10):
        journal.append(engine_event(n))
    await journal.flush()
    await writer.close()
    checkpoint = load_checkpoint(path)
    assert checkpoint is not None and checkpoint.time_nano <= newest_on_disk()
    assert checkpoint.time_nano == 1_700_000_000_000_000_004

    disk.heal()
    writer = CheckpointWriter(path, journal, start=checkpoint.time_nano)
    journal.append({'source': 'observer', 'kind': 'reconciled', 'containers': 0})  # no engine time: no move
    await journal.flush()
    await writer.close()
    checkpoint = load_checkpoint(path)
    assert checkpoint is not None and checkpoint.time_nano == newest_on_disk() == 1_700_000_000_000_000_009


async def test_a_failed_fsync_holds_the_checkpoint_back_without_writing_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    journal = EventJournal(tmp_path / 'events')
    flushed: list[float] = []
    journal.flushed.subscribe(flushed.append)
    real_fsync = os.fsync

    def failing_fsync(fd: int) -> None:
        raise OSError(errno.EIO, 'I/O error')

    monkeypatch.setattr(journal_module.os, 'fsync', failing_fsync)
    journal.append(engine_event(1))
    await journal.flush()
    assert journal.pending == 0 and flushed == []
    monkeypatch.setattr(journal_module.os, 'fsync', real_fsync)
    await journal.flush()
    assert len(flushed) == 1
    assert [r['seq'] for r in EventJournal.read(tmp_path / 'events')] == [1]


def test_checkpoint_file_round_trip_and_unreadable_ones(tmp_path: Path) -> None:
    path = tmp_path / 'state' / 'observer_checkpoint.json'
    assert load_checkpoint(path) is None
    write_checkpoint(path, 1_700_000_000_000_000_123)
    checkpoint = load_checkpoint(path)
    assert checkpoint is not None and checkpoint.time_nano == 1_700_000_000_000_000_123 and checkpoint.written_at
    assert [p.name for p in path.parent.iterdir()] == ['observer_checkpoint.json']  # no temp file left
    for garbage in ('', '{"time_nano": "x"}', '[1]', '{"time_nano": -5}', '{'):
        path.write_text(garbage)
        assert load_checkpoint(path) is None
    assert docker_time(1_700_000_000_000_000_123) == '1700000000.000000123'
    assert docker_time(1_700_000_001_987_654_321) == '1700000001.987654321'


def info(cid: str, name: str, **overrides: Any) -> ContainerInfo:
    values: dict[str, Any] = {
        'id': cid,
        'name': name,
        'stack': 'demo',
        'service': name.split('-')[1],
        'state': 'running',
        'health': None,
        'image': 'busybox:1.36',
        'status': 'Up 5 seconds',
        'created': 1,
        'image_id': 'sha256:aaa',
    }
    values.update(overrides)
    return ContainerInfo(**values)


def test_world_snapshot_is_deterministic_and_ignores_time_relative_text(tmp_path: Path) -> None:
    lone: dict[str, Any] = {'stack': None, 'service': None, 'state': 'exited', 'exit_code': 0}
    a = [
        info('1', 'demo-web-1', health='healthy'),
        info('2', 'demo-db-1', health='unhealthy'),
        info('3', 'lone-x', **lone),
    ]
    b = [info('3', 'lone-x', **lone, status='Exited (0) 2 hours ago')]
    b.append(info('2', 'demo-db-1', health='unhealthy', status='Up 1 minute'))
    b.append(info('1', 'demo-web-1', health='healthy', status='Up 3 days'))
    first = world_snapshot(a, engine_reachable=True)
    second = world_snapshot(b, engine_reachable=True)
    assert comparable(first) == comparable(second)
    assert [c['name'] for c in first['containers']] == ['demo-db-1', 'demo-web-1', 'lone-x']
    assert 'status' not in first['containers'][0]
    assert first['images'] == {'sha256:aaa': ['busybox:1.36']}
    assert first['stacks']['demo'] == {
        'services': {'db': ['demo-db-1'], 'web': ['demo-web-1']},
        'total': 2,
        'running': 2,
        'unhealthy': 1,
    }
    write_world(tmp_path / 'world' / 'world.json', first)
    assert read_world(tmp_path / 'world' / 'world.json') == first
    assert read_world(tmp_path / 'nothing.json') is None


def test_the_journal_folds_into_the_last_known_world() -> None:
    base = world_snapshot([info('1', 'demo-web-1'), info('2', 'demo-db-1')])['containers']
    records: list[dict[str, Any]] = [
        {'source': 'observer', 'kind': 'reconciled', 'containers': 2, 'world': base},
        {'source': 'engine', 'action': 'die', 'id': '1', 'exit_code': 3, 'time_nano': 10},
        {'source': 'engine', 'action': 'destroy', 'id': '2', 'time_nano': 11},
        {
            'source': 'engine',
            'action': 'create',
            'id': '9',
            'name': 'new-one',
            'image': 'busybox:1.36',
            'time_nano': 12,
        },
        {'source': 'engine', 'action': 'start', 'id': '9', 'name': 'new-one', 'time_nano': 13},
        {'source': 'engine', 'action': 'health_status', 'health': 'healthy', 'id': '9', 'time_nano': 14},
        {'source': 'engine', 'action': 'pause', 'id': '9', 'time_nano': 15},
        {'source': 'operation', 'run_id': 1, 'state': 'succeeded'},
    ]
    fold = fold_journal(records)
    assert fold.events == 6 and fold.newest_time_nano == 15
    assert {cid: (c.name, c.state, c.health, c.exit_code) for cid, c in fold.containers.items()} == {
        '1': ('demo-web-1', 'exited', None, 3),
        '9': ('new-one', 'paused', 'healthy', None),
    }
    assert fold.containers['1'].image_id == 'sha256:aaa'
