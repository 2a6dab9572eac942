"""Health and uptime history per container name from the observer: intervals, restarts, exit codes, OOM kills."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tortoise.expressions import Q

from ops import clock
from ops.docker.containers import ContainerInfo, ContainerState, Health
from ops.stats.records import HealthEvent, HealthInterval, HealthMark, Uptime
from ops.stats.rollups import KEEP_QUARTERS, PRUNE_EVERY, SPAN_SECONDS, Span
from ops.world.observer import ContainerChange, Observer

log = logging.getLogger(__name__)

UP = frozenset({Uptime.RUNNING, Uptime.STARTING, Uptime.HEALTHY, Uptime.UNHEALTHY})
# Healthy: the healthcheck says so, or running without a healthcheck (nothing says otherwise). Starting is not yet.
HEALTHY = frozenset({Uptime.HEALTHY, Uptime.RUNNING})
REFINE = 5.0  # seconds after a start in which the container's listed health names the state (not a change)
_HEALTH: dict[str, Uptime] = {
    Health.STARTING: Uptime.STARTING,
    Health.HEALTHY: Uptime.HEALTHY,
    Health.UNHEALTHY: Uptime.UNHEALTHY,
}
_ACTIONS = ('start', 'die', 'oom', 'health_status', 'pause', 'unpause', 'destroy', 'rename')


@dataclass(frozen=True, kw_only=True, slots=True)
class Interval:
    """A container name in one state from `start` to `end` (None: still so); the exit code of an exit."""

    state: Uptime
    start: datetime
    end: datetime | None
    exit_code: int | None


@dataclass(frozen=True, kw_only=True, slots=True)
class Marked:
    """A restart (with the exit code of the die before it) or an OOM kill at one moment."""

    kind: HealthMark
    at: datetime
    exit_code: int | None


@dataclass(kw_only=True, slots=True)
class _Open:
    id: int
    container_id: str
    state: Uptime
    start: datetime
    exit_code: int | None
    ended: tuple[int, datetime] | None = None  # begun when the world showed it: the interval it ended (id, start)


@dataclass(frozen=True, kw_only=True, slots=True)
class _Ended:
    """An interval ended when the engine no longer listed its container (a replayed event may move its end)."""

    id: int
    container_id: str
    start: datetime
    end: datetime


class _Reconciled:
    """The observer listed every container again."""


_RECONCILED = _Reconciled()


def state_of(info: ContainerInfo) -> Uptime | None:
    """Where the world says a container is (None while it is being removed)."""
    if info.state == ContainerState.RUNNING:
        return _HEALTH.get(info.health or '', Uptime.RUNNING)
    if info.state == ContainerState.PAUSED:
        return Uptime.PAUSED
    if info.state == ContainerState.REMOVING:
        return None
    return Uptime.EXITED


class HealthHistory:
    """Keeps one open interval per container name and closes it when the engine's events (at their own times) or
    the observer's world (at the moment it is seen) show another state; a removed container's interval closes
    without a next one. Open intervals survive a restart of the console: they go on if the world still agrees,
    the engine's replayed events move them at their times, and what neither explains changes when first seen."""

    def __init__(
        self, observer: Observer, *, keep: float = KEEP_QUARTERS, prune_every: float = PRUNE_EVERY, tick: float = 10.0
    ) -> None:
        self.observer = observer
        self.keep = keep
        self.prune_every = prune_every
        self.tick = tick
        self._open: dict[str, _Open] = {}
        self._ended: dict[str, _Ended] = {}
        self._queue: asyncio.Queue[dict[str, Any] | ContainerChange | _Reconciled] = asyncio.Queue()
        self._stopping = asyncio.Event()
        observer.learned.subscribe(self._heard_record)
        observer.container_changed.subscribe(self._queue.put_nowait)
        observer.reconciled.subscribe(lambda _: self._queue.put_nowait(_RECONCILED))

    def _heard_record(self, record: dict[str, Any]) -> None:
        if record.get('source') == 'engine' and record.get('action') in _ACTIONS:
            self._queue.put_nowait(record)

    async def run(self) -> None:
        """Load the open intervals, then follow the observer and prune (at once, then every `prune_every`
        seconds) until stop()."""
        try:
            await self.load()
        except Exception:
            log.exception('health history: the open intervals could not be loaded')
        next_prune = 0.0
        while not self._stopping.is_set():
            now = clock.utc_now().timestamp()
            if now >= next_prune:
                try:
                    await self.prune()
                except Exception:
                    log.exception('health history: pruning failed')
                next_prune = now + self.prune_every
            with contextlib.suppress(TimeoutError):
                await self.handle(await asyncio.wait_for(self._queue.get(), self.tick))

    def stop(self) -> None:
        self._stopping.set()

    async def load(self) -> None:
        """The intervals still open in the store go on (two for one name: the older ends where the newer starts)."""
        self._open.clear()
        for row in await HealthInterval.filter(end=None).order_by('start'):
            older = self._open.get(row.name)
            if older is not None:
                await HealthInterval.filter(id=older.id).update(end=row.start)
            self._open[row.name] = _Open(
                id=row.id, container_id=row.container_id, state=row.state, start=row.start, exit_code=row.exit_code
            )

    async def handle(self, item: dict[str, Any] | ContainerChange | _Reconciled) -> None:
        """One engine record, container change or reconciliation; a failure is logged, never raised."""
        try:
            if isinstance(item, ContainerChange):
                await self._changed(item)
            elif isinstance(item, _Reconciled):
                await self.reconciled()
            else:
                await self._engine_event(item)
        except Exception:
            log.exception('health history failed on %r', item)

    async def _engine_event(self, record: dict[str, Any]) -> None:
        name = str(record.get('name') or '')[:255]
        container_id = str(record.get('id') or '')[:12]
        if not name:
            return
        time_nano = record.get('time_nano')
        at = clock.utc_from_timestamp(time_nano / 1e9) if isinstance(time_nano, int) else clock.utc_now()
        action = record.get('action')
        opened = self._open.get(name)
        if action == 'oom':
            await HealthEvent.create(name=name, container_id=container_id, kind=HealthMark.OOM, at=at)
        elif action == 'die':
            code = record.get('exit_code')
            await self._move(name, container_id, Uptime.EXITED, at, code if isinstance(code, int) else None)
        elif action in ('start', 'unpause'):
            # A start after a die (not the first start of a created container) is a restart.
            if (
                action == 'start'
                and opened is not None
                and opened.state == Uptime.EXITED
                and opened.exit_code is not None
            ):
                await HealthEvent.create(
                    name=name,
                    container_id=container_id,
                    kind=HealthMark.RESTART,
                    at=max(at, opened.start),
                    exit_code=opened.exit_code,
                )
            await self._move(name, container_id, Uptime.RUNNING, at)
        elif action == 'pause':
            await self._move(name, container_id, Uptime.PAUSED, at)
        elif action == 'health_status':
            state = _HEALTH.get(str(record.get('health')))
            if state is not None and (opened is None or opened.state in UP):
                await self._move(name, container_id, state, at)
        elif action == 'destroy':
            await self._end(name, container_id, at)
        elif action == 'rename' and record.get('old_name'):
            await self._end(str(record['old_name'])[:255], container_id, at)

    async def _changed(self, change: ContainerChange) -> None:
        now = clock.utc_now()
        if change.info is None:
            for name, opened in list(self._open.items()):
                if opened.container_id == change.container_id[:12]:
                    await self._end(name, opened.container_id, now)
            return
        state = state_of(change.info)
        if state is not None:
            code = change.info.exit_code if state == Uptime.EXITED else None
            await self._move(change.info.name[:255], change.info.id[:12], state, now, code, seen=True)

    async def reconciled(self) -> None:
        """Names open in the store that the engine no longer lists were removed while nobody looked."""
        listed = {info.name[:255] for info in self.observer.containers.values()}
        now = clock.utc_now()
        for name, opened in list(self._open.items()):
            if name not in listed:
                await self._end(name, opened.container_id, now)
                self._ended[name] = _Ended(id=opened.id, container_id=opened.container_id, start=opened.start, end=now)

    async def _move(
        self,
        name: str,
        container_id: str,
        state: Uptime,
        at: datetime,
        exit_code: int | None = None,
        *,
        seen: bool = False,
    ) -> None:
        """The name is in `state` from `at` on (never before its open interval began). `seen`: the world shows it
        now, and an engine event that comes later (replayed) may tell when it really began."""
        opened = self._open.get(name)
        if opened is None:
            if not seen and await self._before_removal(name, container_id, state, at, exit_code):
                return
        else:
            if not seen and at < opened.start and await self._back_date(opened, container_id, state, at, exit_code):
                return
            at = max(at, opened.start)
            if opened.state == state and opened.container_id == container_id:
                if exit_code is not None and opened.exit_code is None:
                    opened.exit_code = exit_code
                    await HealthInterval.filter(id=opened.id).update(exit_code=exit_code)
                return
            refining = opened.state == Uptime.RUNNING and state in UP and opened.container_id == container_id
            if at == opened.start or (refining and (at - opened.start).total_seconds() <= REFINE):
                opened.state, opened.container_id, opened.exit_code = state, container_id, exit_code
                await HealthInterval.filter(id=opened.id).update(
                    state=state, container_id=container_id, exit_code=exit_code
                )
                return
            await HealthInterval.filter(id=opened.id).update(end=at)
        row = await HealthInterval.create(
            name=name, container_id=container_id, state=state, start=at, exit_code=exit_code
        )
        self._open[name] = _Open(
            id=row.id,
            container_id=container_id,
            state=state,
            start=at,
            exit_code=exit_code,
            ended=(opened.id, opened.start) if seen and opened is not None else None,
        )
        self._ended.pop(name, None)

    async def _back_date(
        self, opened: _Open, container_id: str, state: Uptime, at: datetime, exit_code: int | None
    ) -> bool:
        """A replayed event says when the state the world showed began: both intervals move to its time."""
        if opened.ended is None or (opened.container_id, opened.state) != (container_id, state) or at < opened.ended[1]:
            return False
        await HealthInterval.filter(id=opened.ended[0]).update(end=at)
        opened.start, opened.ended = at, None
        opened.exit_code = exit_code if exit_code is not None else opened.exit_code
        await HealthInterval.filter(id=opened.id).update(start=at, exit_code=opened.exit_code)
        return True

    async def _before_removal(
        self, name: str, container_id: str, state: Uptime, at: datetime, exit_code: int | None
    ) -> bool:
        """A replayed event of a container found removed: a die ends its interval at its time (exited until the
        removal), anything else before the removal is already told."""
        ended = self._ended.get(name)
        if ended is None or ended.container_id != container_id or not ended.start <= at < ended.end:
            return False
        if state == Uptime.EXITED:
            await HealthInterval.filter(id=ended.id).update(end=at)
            row = await HealthInterval.create(
                name=name, container_id=container_id, state=state, start=at, end=ended.end, exit_code=exit_code
            )
            self._ended[name] = _Ended(id=row.id, container_id=container_id, start=at, end=ended.end)
        return True

    async def _end(self, name: str, container_id: str, at: datetime) -> None:
        """The container behind the name is gone: its interval ends, none follows (a replayed removal of one found
        removed moves the end to its time)."""
        opened = self._open.get(name)
        if opened is not None and opened.container_id == container_id:
            del self._open[name]
            await HealthInterval.filter(id=opened.id).update(end=max(at, opened.start))
            return
        ended = self._ended.get(name)
        if ended is not None and ended.container_id == container_id and ended.start <= at < ended.end:
            del self._ended[name]
            await HealthInterval.filter(id=ended.id).update(end=at)

    async def prune(self) -> int:
        """Delete the intervals that ended and the marks that happened before the retention window."""
        before = clock.utc_now() - timedelta(seconds=self.keep)
        gone = await HealthInterval.filter(end__lt=before).delete()
        gone += await HealthEvent.filter(at__lt=before).delete()
        return int(gone)

    async def timeline(self, name: str, span: Span) -> list[Interval]:
        """The name's intervals within the span, oldest first (the first cut at the span's start)."""
        now = clock.utc_now()
        since = now - timedelta(seconds=SPAN_SECONDS[span])
        rows = (
            await HealthInterval.filter(name=name, start__lt=now)
            .filter(Q(end=None) | Q(end__gt=since))
            .order_by('start', 'id')
        )
        return [
            Interval(state=row.state, start=max(row.start, since), end=row.end, exit_code=row.exit_code) for row in rows
        ]

    async def _shares(self, name: str, span: Span) -> tuple[float, float, float]:
        """Seconds known, up and healthy within the span."""
        now = clock.utc_now()
        known = up = healthy = 0.0
        for interval in await self.timeline(name, span):
            seconds = max(0.0, ((interval.end or now) - interval.start).total_seconds())
            known += seconds
            up += seconds if interval.state in UP else 0.0
            healthy += seconds if interval.state in HEALTHY else 0.0
        return known, up, healthy

    async def uptime_share(self, name: str, span: Span) -> float | None:
        """The share (0 to 1) of the span's known time the container ran (paused is not up); None: nothing known.
        Time before the container existed (or after its removal) is not known time."""
        known, up, _ = await self._shares(name, span)
        return up / known if known > 0 else None

    async def healthy_share(self, name: str, span: Span) -> float | None:
        """The share of the span's known time the container was healthy: its healthcheck said healthy, or it ran
        without a healthcheck; starting, unhealthy, paused and exited are not healthy."""
        known, _, healthy = await self._shares(name, span)
        return healthy / known if known > 0 else None

    async def restarts(self, name: str, since: datetime) -> int:
        """How often the container started again after a die since then."""
        return await HealthEvent.filter(name=name, kind=HealthMark.RESTART, at__gte=since).count()

    async def restarts_since(self, since: datetime) -> dict[str, int]:
        """Restarts since then per container name, in one query (for a scrape of every container at once)."""
        rows = await HealthEvent.filter(kind=HealthMark.RESTART, at__gte=since).values_list('name', flat=True)
        return dict(Counter(str(name) for name in rows))

    async def oom_kills(self, name: str, since: datetime) -> int:
        return await HealthEvent.filter(name=name, kind=HealthMark.OOM, at__gte=since).count()

    async def marks(self, name: str, span: Span) -> list[Marked]:
        """The restarts and OOM kills within the span, oldest first (for the timeline's markers)."""
        since = clock.utc_now() - timedelta(seconds=SPAN_SECONDS[span])
        rows = await HealthEvent.filter(name=name, at__gte=since).order_by('at', 'id')
        return [Marked(kind=row.kind, at=row.at, exit_code=row.exit_code) for row in rows]
