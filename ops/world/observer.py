"""The observer: one engine event stream plus full reconciliations, kept as an in-memory world."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections import deque
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ops.bus import Event
from ops.docker.engine import (
    CONFIG_HASH_LABEL,
    PROJECT_LABEL,
    SERVICE_LABEL,
    ContainerInfo,
    Engine,
    EngineError,
    EngineUnavailable,
    EventStream,
)
from ops.log_text import one_line
from ops.world.checkpoint import CheckpointWriter, checkpoint_path, docker_time, load_checkpoint
from ops.world.event_journal import EventJournal
from ops.world.world_file import container_entry, world_path, world_snapshot, write_world

log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True, slots=True)
class ContainerChange:
    """One container appeared, changed or (with `info` None) disappeared."""

    container_id: str
    info: ContainerInfo | None


@dataclass(frozen=True, kw_only=True, slots=True)
class EngineState:
    """Whether the engine answers, and why not when it does not."""

    reachable: bool | None
    version: str = ''
    error: str = ''


# Healthcheck probes (exec_create/exec_start/exec_die) arrive every few seconds per checked container; their
# outcome is journaled as health_status, so the probes themselves are applied but not journaled.
UNJOURNALED_ACTIONS = ('exec_create', 'exec_start', 'exec_die')
# Events that leave a known container's list entry as it was (a healthcheck probe is an exec: its outcome
# arrives as its own health_status event): no engine call for these.
STATE_NEUTRAL_ACTIONS = (*UNJOURNALED_ACTIONS, 'attach', 'resize', 'top', 'archive-path', 'extract-to-dir', 'export')
_DEDUP_WINDOW = 20_000
EventKey = tuple[int, str, str]


class Observer:
    """Keeps `containers` in step with the engine and publishes every change; reconnects by itself.

    With a `data_dir` it also journals every container event (to `journal`, or its own journal under
    `data_dir/events`), keeps `data_dir/world/world.json` current and resumes the event stream from
    `data_dir/state/observer_checkpoint.json`, so events that happened while it was stopped are journaled too.
    A journal passed in is run by the observer only if nobody runs it yet; its owner closes it.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        retry_min: float = 0.5,
        retry_max: float = 10.0,
        data_dir: Path | None = None,
        journal: EventJournal | None = None,
        world_interval: float = 1.0,
    ) -> None:
        self.engine = engine
        self.containers: dict[str, ContainerInfo] = {}
        self.engine_state = EngineState(reachable=None)
        self.container_changed: Event[ContainerChange] = Event()
        self.engine_changed: Event[EngineState] = Event()
        self.reconciled: Event[None] = Event()
        self.data_dir = data_dir
        self._owns_journal = journal is None and data_dir is not None
        self.journal = journal if journal is not None else (EventJournal(data_dir / 'events') if data_dir else None)
        self.world_interval = world_interval
        self._retry_min = retry_min
        self._retry_max = retry_max
        self._stopping = asyncio.Event()
        self._stream: EventStream | None = None
        self._last_nano: int | None = None  # the newest engine event time seen: where a reconnect resumes
        self._seen: set[EventKey] = set()
        self._seen_order: deque[EventKey] = deque()
        self._world_dirty = asyncio.Event()
        self._checkpoints: CheckpointWriter | None = None
        self._journal_task: asyncio.Task[None] | None = None
        self._world_task: asyncio.Task[None] | None = None

    def world(self) -> dict[str, Any]:
        """The world as world.json holds it: containers, images, stacks, engine reachability."""
        return world_snapshot(
            self.containers.values(),
            engine_reachable=self.engine_state.reachable,
            engine_error=self.engine_state.error,
        )

    async def run(self) -> None:
        """Observe until stop(): reconcile, follow events, and on any engine failure retry with back-off."""
        await self._start_persistence()
        try:
            await self._observe()
        finally:
            await self._stop_persistence()

    async def _observe(self) -> None:
        delay = self._retry_min
        while not self._stopping.is_set():
            try:
                started = time.time_ns()
                await self.reconcile()
                delay = self._retry_min
                resume = self._last_nano
                if resume is None:
                    self._last_nano = started - 1  # a reconnect resumes here if no event came before it
                await self._follow(docker_time(resume + 1 if resume is not None else started), resumed=resume)
                # The stream ended without an error: the engine went away (or restarted).
                raise EngineUnavailable('the Docker event stream ended')
            except EngineError as err:
                if self._stopping.is_set():
                    break
                self._set_engine(EngineState(reachable=False, error=str(err)))
                log.debug('engine unavailable (%s); retrying in %.1f s', err, delay)
            except Exception as err:  # the observer must outlive any surprise
                log.exception('observer failed')
                self._set_engine(EngineState(reachable=False, error=f'observer error: {err}'))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=delay)
            delay = min(delay * 2, self._retry_max)

    def stop(self) -> None:
        self._stopping.set()
        if self._stream is not None:
            self._stream.close()

    async def reconcile(self) -> None:
        """Replace the world with a full listing from the engine, publishing only what changed."""
        version = await asyncio.to_thread(self.engine.version)
        listed = await asyncio.to_thread(self.engine.list_containers)
        fresh = {info.id: info for info in listed}
        for gone in set(self.containers) - set(fresh):
            del self.containers[gone]
            self._changed(ContainerChange(container_id=gone, info=None))
        for container_id, info in fresh.items():
            if self.containers.get(container_id) != info:
                self.containers[container_id] = info
                self._changed(ContainerChange(container_id=container_id, info=info))
        self._set_engine(EngineState(reachable=True, version=version))
        if self.journal is not None:
            self.journal.append(
                {
                    'source': 'observer',
                    'kind': 'reconciled',
                    'containers': len(self.containers),
                    'world': [container_entry(info) for info in sorted(fresh.values(), key=lambda i: (i.name, i.id))],
                }
            )
        self._world_dirty.set()
        self.reconciled.emit(None)

    async def _start_persistence(self) -> None:
        """Start the journal (unless its owner runs it), load the checkpoint and the recent journal keys."""
        if self.journal is not None and not self.journal.running:
            self._journal_task = asyncio.create_task(self.journal.run(), name='event-journal')
        if self.data_dir is None or self.journal is None:
            return
        checkpoint = await asyncio.to_thread(load_checkpoint, checkpoint_path(self.data_dir))
        if checkpoint is not None:
            self._last_nano = checkpoint.time_nano
            for key in await asyncio.to_thread(_journal_keys, self.journal.directory, checkpoint.time_nano):
                self._remember(key)
        self._checkpoints = CheckpointWriter(
            checkpoint_path(self.data_dir), self.journal, start=checkpoint.time_nano if checkpoint else None
        )
        self._world_task = asyncio.create_task(self._write_world_loop(), name='world-file')

    async def _stop_persistence(self) -> None:
        """Last world.json, journal flush (close when the observer created or ran it), last checkpoint."""
        if self._world_task is not None:
            self._world_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._world_task
            self._world_task = None
            await self._write_world()
        if self.journal is not None:
            if self._owns_journal or self._journal_task is not None:
                await self.journal.close()
            else:
                await self.journal.flush()
        if self._journal_task is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._journal_task
            self._journal_task = None
        if self._checkpoints is not None:
            await self._checkpoints.close()
            self._checkpoints = None

    async def _write_world_loop(self) -> None:
        """Write world.json when the world changed, at most every `world_interval` seconds."""
        while True:
            await self._world_dirty.wait()
            self._world_dirty.clear()
            await self._write_world()
            await asyncio.sleep(self.world_interval)

    async def _write_world(self) -> None:
        assert self.data_dir is not None
        try:
            await asyncio.to_thread(write_world, world_path(self.data_dir), self.world())
        except OSError as err:
            log.warning('cannot write %s: %s', world_path(self.data_dir), err)

    async def _follow(self, since: str, *, resumed: int | None = None) -> None:
        """Read the event stream in a worker thread and apply each container event on the loop."""
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[dict[str, Any] | BaseException | None] = asyncio.Queue()
        stream = await asyncio.to_thread(self.engine.events, since)
        self._stream = stream
        if resumed is not None and self.journal is not None:
            await self._check_gap(resumed)

        def pump() -> None:
            try:
                for event in stream:
                    loop.call_soon_threadsafe(queue.put_nowait, event)
                loop.call_soon_threadsafe(queue.put_nowait, None)
            except BaseException as err:  # handed to the loop, which decides
                loop.call_soon_threadsafe(queue.put_nowait, err)

        threading.Thread(target=pump, name='docker-events', daemon=True).start()
        try:
            while True:
                item = await queue.get()
                if item is None:
                    return
                if isinstance(item, BaseException):
                    raise item
                if self._first_sight(item):
                    await self._apply(item)
        finally:
            stream.close()
            self._stream = None

    async def _check_gap(self, resumed: int) -> None:
        """The engine keeps only its newest events (256 in Docker 20.10) for a resume: if the event we resume
        after is no longer among them, some events in between are gone for good; the journal says so."""
        try:
            still_held = await asyncio.to_thread(engine_holds, self.engine, resumed)
        except EngineError as err:
            log.info('could not check the engine event buffer: %s', err)
            return
        if not still_held and self.journal is not None:
            log.warning(
                'observer gap: the engine no longer holds events since %s: events in between were not journaled',
                resumed,
            )
            self.journal.append(
                {
                    'source': 'observer',
                    'kind': 'gap',
                    'after_time_nano': resumed,
                    'reason': 'the engine no longer holds the events since the last journaled one',
                }
            )

    def _first_sight(self, event: dict[str, Any]) -> bool:
        """Journal an event seen for the first time; False for a replayed one (already journaled)."""
        key = event_key(event)
        if key is None:
            return True
        if key in self._seen:
            return False
        self._remember(key)
        self._last_nano = max(self._last_nano or 0, key[0])
        if self.journal is not None and journaled(key[2]):
            self.journal.append(event_record(event, self.containers.get(key[1])))
        return True

    def _remember(self, key: EventKey) -> None:
        if key in self._seen:
            return
        self._seen.add(key)
        self._seen_order.append(key)
        while len(self._seen_order) > _DEDUP_WINDOW:
            self._seen.discard(self._seen_order.popleft())

    def _changed(self, change: ContainerChange) -> None:
        self._world_dirty.set()
        self.container_changed.emit(change)

    async def _apply(self, event: dict[str, Any]) -> None:
        container_id = event.get('id') or event.get('Actor', {}).get('ID')
        if not container_id:
            return
        action = str(event.get('Action') or '')
        if action.startswith(STATE_NEUTRAL_ACTIONS) and container_id in self.containers:
            return
        if action == 'destroy':
            info = None
        else:
            info = await asyncio.to_thread(self.engine.find_container, container_id)
            if info is not None:
                info = _as_of_event(info, action, event.get('Actor', {}).get('Attributes') or {})
        if info is None:
            if self.containers.pop(container_id, None) is not None:
                self._changed(ContainerChange(container_id=container_id, info=None))
        elif self.containers.get(container_id) != info:
            self.containers[container_id] = info
            self._changed(ContainerChange(container_id=container_id, info=info))

    def _set_engine(self, state: EngineState) -> None:
        if state != self.engine_state:
            reachability_changed = state.reachable != self.engine_state.reachable
            if reachability_changed:
                log_engine_change(self.engine_state, state)
            self.engine_state = state
            if self.journal is not None and reachability_changed:
                self.journal.append(
                    {
                        'source': 'observer',
                        'kind': 'engine',
                        'reachable': state.reachable,
                        'error': state.error or None,
                        'version': state.version or None,
                    }
                )
            self._world_dirty.set()
            self.engine_changed.emit(state)


def journaled(action: str) -> bool:
    """Whether an engine event with this Action goes into the journal (healthcheck probes do not)."""
    return not action.startswith(UNJOURNALED_ACTIONS)


def event_key(event: dict[str, Any]) -> EventKey | None:
    """What identifies an engine event across replays: (timeNano, container id, Action)."""
    container_id = str(event.get('id') or event.get('Actor', {}).get('ID') or '')
    time_nano = _int(event.get('timeNano'))
    if not container_id or time_nano is None:
        return None
    return time_nano, container_id, str(event.get('Action') or '')


def record_key(record: dict[str, Any]) -> EventKey | None:
    """The event_key() of a journaled engine event record."""
    time_nano = record.get('time_nano')
    if record.get('source') != 'engine' or not isinstance(time_nano, int) or not record.get('id'):
        return None
    action = str(record.get('action') or '')
    if action == 'health_status':
        action = f'health_status: {record.get("health")}'
    elif record.get('detail'):
        action = f'{action}: {record.get("detail")}'
    return time_nano, str(record['id']), action


def event_record(event: dict[str, Any], known: ContainerInfo | None = None) -> dict[str, Any]:
    """The journal record of one engine container event (`known`: the container as the world had it)."""
    attributes = event.get('Actor', {}).get('Attributes') or {}
    action, _, detail = str(event.get('Action') or '').partition(': ')
    record: dict[str, Any] = {
        'source': 'engine',
        'type': 'container',
        'action': action,
        'id': str(event.get('id') or event.get('Actor', {}).get('ID') or ''),
        'name': attributes.get('name') or (known.name if known else None),
        'stack': attributes.get(PROJECT_LABEL) or (known.stack if known else None),
        'service': attributes.get(SERVICE_LABEL) or (known.service if known else None),
        'image': attributes.get('image') or event.get('from') or (known.image if known else None),
        'config_hash': attributes.get(CONFIG_HASH_LABEL) or (known.config_hash if known else None),
        'time_nano': _int(event.get('timeNano')),
    }
    if action == 'die':
        record['exit_code'] = _int(attributes.get('exitCode'))
    elif action == 'health_status':
        record['health'] = detail
    elif detail:
        record['detail'] = detail
    if action == 'rename':
        record['old_name'] = (attributes.get('oldName') or '').lstrip('/') or None
    return record


def _int(value: object) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lstrip('-').isdigit():
        return int(value)
    return None


def engine_holds(engine: Engine, time_nano: int) -> bool:
    """Whether the engine can still replay the event at `time_nano` (its buffer reaches back that far)."""
    stream = engine.events(since='1.000000000', until=docker_time(time_nano))
    try:
        for _event in stream:
            return True
        return False
    finally:
        stream.close()


def _journal_keys(directory: Path, since_nano: int) -> list[EventKey]:
    """The keys of the journaled engine events at or after `since_nano` (they may be replayed once more)."""
    first_day = (datetime.fromtimestamp(since_nano / 1e9, UTC) - timedelta(days=1)).date()
    keys = (record_key(record) for record in EventJournal.read(directory, from_day=first_day))
    return [key for key in keys if key is not None and key[0] >= since_nano]


def _as_of_event(info: ContainerInfo, action: str, attributes: dict[str, str]) -> ContainerInfo:
    """The container as the event says it was: a crash-looping container is already running again when we
    look, but its `die` must still show in the world (and to subscribers) as an exit."""
    if action == 'die':
        code = attributes.get('exitCode', '')
        return replace(info, state='exited', health=None, exit_code=int(code) if code.lstrip('-').isdigit() else None)
    if action.startswith('health_status: '):
        health = action.removeprefix('health_status: ')
        if health in {'healthy', 'unhealthy', 'starting'}:
            return replace(info, health=health)
    return info


def log_engine_change(before: EngineState, after: EngineState) -> None:
    """One line when the engine stops or starts answering (the retries in between stay quiet)."""
    if after.reachable:
        log.info('engine %s: Docker %s', 'back' if before.reachable is False else 'reachable', after.version or '?')
    else:
        log.warning('engine %s: %s', 'lost' if before.reachable else 'unreachable', one_line(after.error, 300))
