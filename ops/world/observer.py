"""The observer: one engine event stream plus full reconciliations, kept as an in-memory world."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

from ops.bus import Event
from ops.clock import docker_time
from ops.docker.containers import ContainerInfo, ContainerState, Health
from ops.docker.engine import Engine, EngineError, EngineUnavailable, EventStream
from ops.log_text import one_line
from ops.pump import Pump
from ops.world.engine_events import (
    UNJOURNALED_ACTIONS,
    EventKey,
    engine_holds,
    event_key,
    event_record,
    journaled,
)
from ops.world.world_file import container_entry, world_snapshot

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


@dataclass(frozen=True, kw_only=True, slots=True)
class Resume:
    """Where to pick the engine's event stream up again, and the events from there on already journaled."""

    time_nano: int
    journaled: Sequence[EventKey] = ()


# Events that leave a known container's list entry as it was (a healthcheck probe is an exec: its outcome
# arrives as its own health_status event): no engine call for these.
STATE_NEUTRAL_ACTIONS = (*UNJOURNALED_ACTIONS, 'attach', 'resize', 'top', 'archive-path', 'extract-to-dir', 'export')
_DEDUP_WINDOW = 20_000
# The longest wait between two tries to reach an engine that is down: a try at a local socket costs a refused
# connect, so it is made often (the world is back within seconds of the engine); one over ssh starts an ssh client.
LOCAL_RETRY_MAX = 2.0
REMOTE_RETRY_MAX = 10.0


class Observer:
    """Keeps `containers` in step with the engine and publishes every change; reconnects by itself.

    Besides the changes, `learned` publishes what is worth keeping, as event journal records in order: each engine
    event seen for the first time (healthcheck probes left out), each full reconciliation, each time the engine
    stops or starts answering, and a `gap` when the engine no longer holds events the observer missed. Keeping
    them (the journal, world.json, the checkpoint) is for its subscribers; `run(resume)` picks the stream up
    where they left it.
    """

    def __init__(self, engine: Engine, *, retry_min: float = 0.5, retry_max: float | None = None) -> None:
        self.engine = engine
        self.containers: dict[str, ContainerInfo] = {}
        self.engine_state = EngineState(reachable=None)
        self.container_changed: Event[ContainerChange] = Event()
        self.engine_changed: Event[EngineState] = Event()
        self.reconciled: Event[None] = Event()
        self.learned: Event[dict[str, Any]] = Event()
        self._retry_min = retry_min
        if retry_max is None:
            retry_max = LOCAL_RETRY_MAX if engine.local else REMOTE_RETRY_MAX
        self._retry_max = retry_max
        self._stopping = asyncio.Event()
        self._stream: EventStream | None = None
        self._last_nano: int | None = None  # the newest engine event time seen: where a reconnect resumes
        self._listed_nano: int | None = None  # the engine's clock just before the last full listing (None: unknown)
        self._seen: set[EventKey] = set()
        self._seen_order: deque[EventKey] = deque()

    def world(self) -> dict[str, Any]:
        """The world as world.json holds it: containers, images, stacks, engine reachability."""
        return world_snapshot(
            self.containers.values(),
            engine_reachable=self.engine_state.reachable,
            engine_error=self.engine_state.error,
        )

    async def run(self, resume: Resume | None = None) -> None:
        """Observe until stop(): reconcile, follow events (from `resume` on, the journaled ones not published
        again), and on any engine failure retry with back-off."""
        if resume is not None:
            self._last_nano = resume.time_nano
            for key in resume.journaled:
                self._remember(key)
        await self._observe()

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
        asked = time.time_ns()
        version, engine_now = await asyncio.to_thread(self.engine.about)
        listed = await asyncio.to_thread(self.engine.list_containers)
        if engine_now is None and self.engine.local:
            engine_now = asked  # the engine does not say its time (a proxy refused `info`): a local one keeps ours
        self._listed_nano = engine_now
        fresh = {info.id: info for info in listed}
        for gone in set(self.containers) - set(fresh):
            del self.containers[gone]
            self._changed(ContainerChange(container_id=gone, info=None))
        for container_id, info in fresh.items():
            if self.containers.get(container_id) != info:
                self.containers[container_id] = info
                self._changed(ContainerChange(container_id=container_id, info=info))
        self._set_engine(EngineState(reachable=True, version=version))
        self.learned.emit(
            {
                'source': 'observer',
                'kind': 'reconciled',
                'containers': len(self.containers),
                'world': [container_entry(info) for info in sorted(fresh.values(), key=lambda i: (i.name, i.id))],
            }
        )
        self.reconciled.emit(None)

    async def _follow(self, since: str, *, resumed: int | None = None) -> None:
        """Read the event stream in a worker thread and apply each container event on the loop."""
        queue: asyncio.Queue[dict[str, Any] | BaseException | None] = asyncio.Queue()
        stream = await asyncio.to_thread(self.engine.events, since)
        self._stream = stream
        if resumed is not None:
            await self._check_gap(resumed)

        def read() -> Iterator[list[dict[str, Any]]]:
            return ([event] for event in stream)

        def deliver(events: list[dict[str, Any]]) -> None:
            for event in events:
                queue.put_nowait(event)

        Pump('docker-events', read, deliver=deliver, finish=queue.put_nowait).start(asyncio.get_running_loop())
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
        if not still_held:
            log.warning(
                'observer gap: the engine no longer holds events since %s: events in between were not journaled',
                resumed,
            )
            self.learned.emit(
                {
                    'source': 'observer',
                    'kind': 'gap',
                    'after_time_nano': resumed,
                    'reason': 'the engine no longer holds the events since the last journaled one',
                }
            )

    def _first_sight(self, event: dict[str, Any]) -> bool:
        """Publish an event seen for the first time; False for a replayed one (already published or journaled)."""
        key = event_key(event)
        if key is None:
            return True
        if key in self._seen:
            return False
        self._remember(key)
        self._last_nano = max(self._last_nano or 0, key[0])
        if journaled(key[2]):
            self.learned.emit(event_record(event, self.containers.get(key[1])))
        return True

    def _remember(self, key: EventKey) -> None:
        if key in self._seen:
            return
        self._seen.add(key)
        self._seen_order.append(key)
        while len(self._seen_order) > _DEDUP_WINDOW:
            self._seen.discard(self._seen_order.popleft())

    def _changed(self, change: ContainerChange) -> None:
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
            if info is not None and not self._before_listing(event):
                info = _as_of_event(info, action, event.get('Actor', {}).get('Attributes') or {})
        if info is None:
            if self.containers.pop(container_id, None) is not None:
                self._changed(ContainerChange(container_id=container_id, info=None))
        elif self.containers.get(container_id) != info:
            self.containers[container_id] = info
            self._changed(ContainerChange(container_id=container_id, info=info))

    def _before_listing(self, event: dict[str, Any]) -> bool:
        """An event dated before the last full listing (one the engine replays after a reconnect, or a live one
        after the engine's clock stepped back): it is applied as the engine's present, not as of the event, so a
        replayed die never takes a container that was restarted since back to exited."""
        key = event_key(event)
        return key is not None and self._listed_nano is not None and key[0] < self._listed_nano

    def _set_engine(self, state: EngineState) -> None:
        if state != self.engine_state:
            reachability_changed = state.reachable != self.engine_state.reachable
            if reachability_changed:
                log_engine_change(self.engine_state, state)
            self.engine_state = state
            if reachability_changed:
                self.learned.emit(
                    {
                        'source': 'observer',
                        'kind': 'engine',
                        'reachable': state.reachable,
                        'error': state.error or None,
                        'version': state.version or None,
                    }
                )
            self.engine_changed.emit(state)


def _as_of_event(info: ContainerInfo, action: str, attributes: dict[str, str]) -> ContainerInfo:
    """The container as the event says it was: a crash-looping container is already running again when we
    look, but its `die` must still show in the world (and to subscribers) as an exit."""
    if action == 'die':
        code = attributes.get('exitCode', '')
        return replace(
            info, state=ContainerState.EXITED, health=None, exit_code=int(code) if code.lstrip('-').isdigit() else None
        )
    if action.startswith('health_status: '):
        health = action.removeprefix('health_status: ')
        if health in set(Health):
            return replace(info, health=health)
    return info


def log_engine_change(before: EngineState, after: EngineState) -> None:
    """One line when the engine stops or starts answering (the retries in between stay quiet)."""
    if after.reachable:
        log.info('engine %s: Docker %s', 'back' if before.reachable is False else 'reachable', after.version or '?')
    else:
        log.warning('engine %s: %s', 'lost' if before.reachable else 'unreachable', one_line(after.error, 300))
