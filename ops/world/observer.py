"""The observer: one engine event stream plus full reconciliations, kept as an in-memory world."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from dataclasses import dataclass, replace
from typing import Any

from ops.bus import Event
from ops.docker.engine import ContainerInfo, Engine, EngineError, EngineUnavailable, EventStream

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


class Observer:
    """Keeps `containers` in step with the engine and publishes every change; reconnects by itself."""

    def __init__(self, engine: Engine, *, retry_min: float = 0.5, retry_max: float = 10.0) -> None:
        self.engine = engine
        self.containers: dict[str, ContainerInfo] = {}
        self.engine_state = EngineState(reachable=None)
        self.container_changed: Event[ContainerChange] = Event()
        self.engine_changed: Event[EngineState] = Event()
        self.reconciled: Event[None] = Event()
        self._retry_min = retry_min
        self._retry_max = retry_max
        self._stopping = asyncio.Event()
        self._stream: EventStream | None = None
        self._checkpoint: float | None = None

    async def run(self) -> None:
        """Observe until stop(): reconcile, follow events, and on any engine failure retry with back-off."""
        delay = self._retry_min
        while not self._stopping.is_set():
            try:
                since = time.time()
                await self.reconcile()
                delay = self._retry_min
                await self._follow(since)
                # The stream ended without an error: the engine went away (or restarted).
                raise EngineUnavailable('the Docker event stream ended')
            except EngineError as err:
                if self._stopping.is_set():
                    break
                self._set_engine(EngineState(reachable=False, error=str(err)))
                log.info('engine unavailable (%s); retrying in %.1f s', err, delay)
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
            self.container_changed.emit(ContainerChange(container_id=gone, info=None))
        for container_id, info in fresh.items():
            if self.containers.get(container_id) != info:
                self.containers[container_id] = info
                self.container_changed.emit(ContainerChange(container_id=container_id, info=info))
        self._set_engine(EngineState(reachable=True, version=version))
        self.reconciled.emit(None)

    async def _follow(self, since: float) -> None:
        """Read the event stream in a worker thread and apply each container event on the loop."""
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[dict[str, Any] | BaseException | None] = asyncio.Queue()
        stream = await asyncio.to_thread(self.engine.events, since)
        self._stream = stream

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
                await self._apply(item)
        finally:
            stream.close()
            self._stream = None

    async def _apply(self, event: dict[str, Any]) -> None:
        container_id = event.get('id') or event.get('Actor', {}).get('ID')
        if not container_id:
            return
        self._checkpoint = float(event.get('timeNano', 0)) / 1e9 or self._checkpoint
        action = str(event.get('Action') or '')
        if action == 'destroy':
            info = None
        else:
            info = await asyncio.to_thread(self.engine.find_container, container_id)
            if info is not None:
                info = _as_of_event(info, action, event.get('Actor', {}).get('Attributes') or {})
        if info is None:
            if self.containers.pop(container_id, None) is not None:
                self.container_changed.emit(ContainerChange(container_id=container_id, info=None))
        elif self.containers.get(container_id) != info:
            self.containers[container_id] = info
            self.container_changed.emit(ContainerChange(container_id=container_id, info=info))

    def _set_engine(self, state: EngineState) -> None:
        if state != self.engine_state:
            self.engine_state = state
            self.engine_changed.emit(state)


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
