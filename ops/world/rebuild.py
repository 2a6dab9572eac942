"""Rebuild world.json and the observer checkpoint from the event journal, then (if it answers) the engine.

Works offline: no server needs to run. The journal is folded into a last-known world (the newest full
reconciliation it holds, then every engine event after it); if the engine answers, the events it still holds
past the journal's end are journaled first (so the checkpoint never runs ahead of the journal), then a full
listing replaces the folded world: the engine wins.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ops.clock import docker_time
from ops.docker.containers import ContainerInfo, ContainerState, Health
from ops.docker.engine import Engine, EngineError
from ops.world.checkpoint import checkpoint_path, write_checkpoint
from ops.world.engine_events import engine_holds, event_key, event_record, journaled, record_key
from ops.world.event_journal import EventJournal, ReadStats
from ops.world.world_file import container_entry, world_path, world_snapshot, write_world

_RUNNING_ACTIONS = {'start', 'restart', 'unpause'}


@dataclass(slots=True)
class JournalFold:
    """The world as the journal tells it: the last reconciliation's containers plus the events after it."""

    containers: dict[str, ContainerInfo] = field(default_factory=dict)
    keys: set[tuple[int, str, str]] = field(default_factory=set)
    newest_time_nano: int | None = None
    rebuilt_as_of: int | None = None
    events: int = 0
    records: int = 0

    @property
    def position(self) -> int | None:
        """How far into the engine's event stream the journal reaches: its newest engine event, or a later
        rebuild that journaled every event up to its listing."""
        known = [t for t in (self.newest_time_nano, self.rebuilt_as_of) if t is not None]
        return max(known) if known else None

    def apply(self, record: dict[str, Any]) -> None:
        self.records += 1
        if record.get('kind') == 'reconciled' and isinstance(record.get('world'), list):
            self.containers = {}
            for entry in record['world']:
                if isinstance(entry, dict) and entry.get('id'):
                    info = _info_from_entry(entry)
                    self.containers[info.id] = info
            as_of = record.get('as_of_time_nano')
            if record.get('source') == 'rebuild' and isinstance(as_of, int):
                self.rebuilt_as_of = max(self.rebuilt_as_of or 0, as_of)
            return
        key = record_key(record)
        if key is None:
            return
        self.keys.add(key)
        self.events += 1
        self.newest_time_nano = max(self.newest_time_nano or 0, key[0])
        self._apply_event(key[1], record)

    def _apply_event(self, container_id: str, record: dict[str, Any]) -> None:
        action = str(record.get('action') or '')
        if action == 'destroy':
            self.containers.pop(container_id, None)
            return
        info = self.containers.get(container_id) or ContainerInfo(
            id=container_id,
            name=str(record.get('name') or container_id[:12]),
            stack=record.get('stack'),
            service=record.get('service'),
            state='created' if action == 'create' else 'unknown',
            health=None,
            image=str(record.get('image') or ''),
            status='',
            created=0,
            config_hash=record.get('config_hash'),
        )
        if action in _RUNNING_ACTIONS:
            info = replace(info, state=ContainerState.RUNNING, exit_code=None)
        elif action == 'die':
            code = record.get('exit_code')
            info = replace(
                info, state=ContainerState.EXITED, health=None, exit_code=code if isinstance(code, int) else None
            )
        elif action == 'pause':
            info = replace(info, state='paused')
        elif action == 'health_status' and record.get('health') in set(Health):
            info = replace(info, health=str(record['health']))
        elif action == 'rename' and record.get('name'):
            info = replace(info, name=str(record['name']))
        self.containers[container_id] = info


def fold_journal(records: Iterable[dict[str, Any]]) -> JournalFold:
    fold = JournalFold()
    for record in records:
        fold.apply(record)
    return fold


@dataclass(frozen=True, kw_only=True, slots=True)
class RebuildResult:
    events_read: int
    records_read: int
    lines_skipped: int
    events_caught_up: int
    gap: bool
    containers: int
    stacks: int
    engine_reachable: bool
    engine_error: str
    source: str
    world_path: Path
    checkpoint_time_nano: int | None
    world: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {
            'events_read': self.events_read,
            'records_read': self.records_read,
            'lines_skipped': self.lines_skipped,
            'events_caught_up': self.events_caught_up,
            'gap': self.gap,
            'containers': self.containers,
            'stacks': self.stacks,
            'engine': {'reachable': self.engine_reachable, 'error': self.engine_error or None},
            'source': self.source,
            'world_path': str(self.world_path),
            'checkpoint_time_nano': self.checkpoint_time_nano,
        }


async def rebuild_world(data_dir: Path, engine: Engine | None) -> RebuildResult:
    """Fold the journal, catch up with and reconcile against the engine (if it answers), write world + checkpoint."""
    journal_dir = data_dir / 'events'
    stats = ReadStats()
    fold = await asyncio.to_thread(lambda: fold_journal(EventJournal.read(journal_dir, stats=stats)))
    journal = EventJournal(journal_dir)
    containers = fold.containers
    checkpoint = fold.position
    journal_events = fold.events
    reachable, error, source, caught_up, gap = False, '', 'journal', 0, False
    if engine is not None:
        try:
            listed_at = time.time_ns()
            if fold.position is not None:
                caught_up, gap = await _catch_up(engine, journal, fold, until=listed_at)
            listing = await asyncio.to_thread(engine.list_containers)
            reachable, source = True, 'engine'
            containers = {info.id: info for info in listing}
            ordered = sorted(listing, key=lambda i: (i.name, i.id))
            journal.append(
                {
                    'source': 'rebuild',
                    'kind': 'reconciled',
                    'containers': len(listing),
                    'world': [container_entry(info) for info in ordered],
                    # Every event up to here is journaled (caught up above) or reflected in this listing.
                    'as_of_time_nano': listed_at,
                }
            )
            fold.rebuilt_as_of = listed_at
        except EngineError as err:
            error = str(err) or type(err).__name__
        await journal.close()
        if journal.pending == 0:  # everything caught up (and the listing's record) is on disk now
            checkpoint = fold.position
    world = world_snapshot(containers.values(), engine_reachable=reachable, engine_error=error, source=source)
    await asyncio.to_thread(write_world, world_path(data_dir), world)
    if checkpoint is not None:
        await asyncio.to_thread(write_checkpoint, checkpoint_path(data_dir), checkpoint)
    return RebuildResult(
        events_read=journal_events,
        records_read=stats.records,
        lines_skipped=stats.skipped,
        events_caught_up=caught_up,
        gap=gap,
        containers=len(world['containers']),
        stacks=len(world['stacks']),
        engine_reachable=reachable,
        engine_error=error,
        source=source,
        world_path=world_path(data_dir),
        checkpoint_time_nano=checkpoint,
        world=world,
    )


async def _catch_up(engine: Engine, journal: EventJournal, fold: JournalFold, *, until: int) -> tuple[int, bool]:
    """Journal the events the engine still holds after the journal's newest one; returns (count, gap)."""
    assert fold.position is not None
    newest = fold.position

    def read() -> tuple[list[dict[str, Any]], bool]:
        stream = engine.events(since=docker_time(newest + 1), until=docker_time(until))
        try:
            events = list(stream)
        finally:
            stream.close()
        return events, not engine_holds(engine, newest)

    events, gap = await asyncio.to_thread(read)
    if gap:
        journal.append(
            {
                'source': 'rebuild',
                'kind': 'gap',
                'after_time_nano': newest,
                'reason': 'the engine no longer holds the events since the last journaled one',
            }
        )
    count = 0
    for event in events:
        key = event_key(event)
        if key is None or key in fold.keys or not journaled(key[2]):
            continue
        record = event_record(event, fold.containers.get(key[1]))
        journal.append(record)
        fold.apply(record)
        count += 1
    return count, gap


def _info_from_entry(entry: dict[str, Any]) -> ContainerInfo:
    exit_code = entry.get('exit_code')
    return ContainerInfo(
        id=str(entry['id']),
        name=str(entry.get('name') or ''),
        stack=entry.get('stack'),
        service=entry.get('service'),
        state=str(entry.get('state') or 'unknown'),
        health=entry.get('health'),
        image=str(entry.get('image') or ''),
        status='',
        created=0,
        config_hash=entry.get('config_hash'),
        exit_code=exit_code if isinstance(exit_code, int) else None,
        image_id=str(entry.get('image_id') or ''),
    )
