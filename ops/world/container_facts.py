"""Facts only an inspect tells (restart count, start time), read once per container change, off the event loop."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from ops.bus import Event
from ops.docker.engine import EngineError
from ops.world.observer import ContainerChange, Observer

log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True, slots=True)
class ContainerFacts:
    """How often the engine restarted a container (by its policy) and when it last started."""

    container_id: str
    restart_count: int
    started_at: datetime | None


class ContainerFactsWatch:
    """Follows the observer: each changed container is inspected once (changes in a burst coalesce)."""

    def __init__(self, observer: Observer) -> None:
        self.observer = observer
        self.facts: dict[str, ContainerFacts] = {}
        self.changed: Event[ContainerFacts] = Event()
        self._pending: set[str] = set(observer.containers)
        self._wake = asyncio.Event()
        self._unsubscribe = observer.container_changed.subscribe(self._on_change)

    async def run(self) -> None:
        """Inspect the containers that changed, one at a time in a worker thread, until cancelled."""
        try:
            while True:
                await self._wake.wait()
                self._wake.clear()
                while self._pending:
                    await self._inspect(self._pending.pop())
        finally:
            self._unsubscribe()

    def _on_change(self, change: ContainerChange) -> None:
        if change.info is None:
            self.facts.pop(change.container_id, None)
            self._pending.discard(change.container_id)
            return
        self._pending.add(change.container_id)
        self._wake.set()

    async def _inspect(self, container_id: str) -> None:
        try:
            details = await asyncio.to_thread(self.observer.engine.inspect, container_id)
        except EngineError as err:  # gone meanwhile, or the engine is away: the observer reports that
            log.debug('inspect of %s failed: %s', container_id[:12], err)
            return
        if container_id not in self.observer.containers:
            return
        facts = ContainerFacts(
            container_id=container_id, restart_count=details.restart_count, started_at=engine_time(details.started_at)
        )
        if self.facts.get(container_id) != facts:
            self.facts[container_id] = facts
            self.changed.emit(facts)


def engine_time(value: str | None) -> datetime | None:
    """The engine's RFC 3339 time with nanoseconds ('2026-11-25T01:45:12.123456789Z') as an aware datetime."""
    if not value:
        return None
    head, _, rest = value.partition('.')
    fraction = ''.join(ch for ch in rest if ch.isdigit())[:6]
    try:
        moment = datetime.fromisoformat(head.rstrip('Z') + (f'.{fraction}' if fraction else ''))
    except ValueError:
        return None
    # The engine answers in UTC ('Z'); an explicit offset after the fraction is not something it sends.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
