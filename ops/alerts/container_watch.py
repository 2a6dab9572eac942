"""Container alerts from the observer: an unplanned stop, a crash loop, an OOM kill and an unhealthy verdict,
each resolved once the container runs steadily (or is healthy) again. Planned stops raise nothing."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable
from typing import Any

from ops import clock
from ops.alerts.keeper import AlertKeeper, Condition
from ops.alerts.planned import PlannedWork, Subject
from ops.alerts.rules import Rule
from ops.bus import Event
from ops.clock import utc_from_timestamp, utc_now
from ops.docker.containers import ContainerInfo, ContainerState, Health
from ops.docker.details import ContainerDetails
from ops.log_text import one_line
from ops.world.observer import ContainerChange, Observer

log = logging.getLogger(__name__)

STEADY = 30.0  # seconds a container must run again before its stop, crash loop or OOM alert resolves
REVIEW = 2.0
_STOPPING = (Rule.CONTAINER_EXITED, Rule.CRASH_LOOP, Rule.OOM_KILLED)


class ContainerWatch:
    """Turns the observer's engine events and container changes into conditions for the keeper."""

    def __init__(
        self,
        observer: Observer,
        keeper: AlertKeeper,
        planned: PlannedWork,
        *,
        inspect: Callable[[str], ContainerDetails] | None = None,
        steady: float = STEADY,
    ) -> None:
        self.observer = observer
        self.keeper = keeper
        self.planned = planned
        self.inspect = inspect
        self.steady = steady
        self._deaths: dict[str, deque[float]] = {}  # unplanned deaths per container name (monotonic)
        self._running_since: dict[str, float] = {}
        self._queue: asyncio.Queue[dict[str, Any] | ContainerChange] = asyncio.Queue()
        self._stopping = asyncio.Event()
        self.noted: Event[dict[str, Any]] = Event()  # each stop found planned, for the event journal
        observer.learned.subscribe(self._heard_record)
        observer.container_changed.subscribe(self._queue.put_nowait)

    def _heard_record(self, record: dict[str, Any]) -> None:
        if record.get('source') == 'engine' and record.get('action') in ('die', 'oom'):
            self._queue.put_nowait(record)

    async def run(self) -> None:
        for info in list(self.observer.containers.values()):
            self._note_running(info)
        while not self._stopping.is_set():
            with contextlib.suppress(TimeoutError):
                item = await asyncio.wait_for(self._queue.get(), REVIEW)
                try:
                    if isinstance(item, ContainerChange):
                        await self._changed(item)
                    else:
                        await self._engine_event(item)
                except Exception:
                    log.exception('container alert watch failed on %r', item)
            try:
                await self.review()
            except Exception:
                log.exception('container alert review failed')

    def stop(self) -> None:
        self._stopping.set()

    async def _engine_event(self, record: dict[str, Any]) -> None:
        name = str(record.get('name') or '')[:255]
        if not name:
            return
        subject = Subject(
            id=str(record.get('id') or ''), name=name, stack=record.get('stack'), service=record.get('service')
        )
        time_nano = record.get('time_nano')
        at = utc_from_timestamp(time_nano / 1e9) if isinstance(time_nano, int) else utc_now()
        run_id = await self.planned.run_for(subject, at)
        if run_id is not None:
            log.info('%s %s at %s: planned by run #%d', name, record.get('action'), at, run_id)
            self.noted.emit(
                {'source': 'alert', 'kind': 'planned', 'name': name, 'action': record.get('action'), 'run_id': run_id}
            )
            return
        group = subject.stack or ''
        evidence = {'stack': subject.stack, 'service': subject.service, 'image': record.get('image')}
        self._running_since.pop(name, None)
        if record.get('action') == 'oom':
            await self.keeper.hold(
                Condition(
                    rule=Rule.OOM_KILLED,
                    target=name,
                    summary=f'{name}: the kernel killed a process for lack of memory',
                    evidence={**evidence, 'at': f'{at:%H:%M:%S} UTC'},
                    group=group,
                )
            )
            return
        code = record.get('exit_code')
        deaths = self._deaths.setdefault(name, deque())
        deaths.append(clock.monotonic())
        self._forget_old_deaths(name)
        loop = self.keeper.rules[Rule.CRASH_LOOP]
        if loop.enabled and loop.count is not None and len(deaths) >= loop.count:
            await self.keeper.clear(Rule.CONTAINER_EXITED, name, resolution='became a crash loop', quiet=True)
            await self.keeper.hold(
                Condition(
                    rule=Rule.CRASH_LOOP,
                    target=name,
                    summary=f'{name} died {len(deaths)} times in {_minutes(loop.within)} (last exit code {code})',
                    evidence={
                        **evidence,
                        'deaths': len(deaths),
                        'last_exit_code': code,
                        'last_at': f'{at:%H:%M:%S} UTC',
                    },
                    group=group,
                )
            )
            return
        if self.keeper.is_open(Rule.CRASH_LOOP, name):
            return
        times = f' ({len(deaths)} times)' if len(deaths) > 1 else ''
        await self.keeper.hold(
            Condition(
                rule=Rule.CONTAINER_EXITED,
                target=name,
                summary=f'{name} stopped unexpectedly{times}, exit code {code}',
                evidence={**evidence, 'exit_code': code, 'at': f'{at:%H:%M:%S} UTC'},
                group=group,
            )
        )

    async def _changed(self, change: ContainerChange) -> None:
        info = change.info
        if info is None:
            return
        self._note_running(info)
        if info.health == Health.UNHEALTHY and info.state == ContainerState.RUNNING:
            if not self.keeper.is_open(Rule.CONTAINER_UNHEALTHY, info.name):
                await self.keeper.hold(
                    Condition(
                        rule=Rule.CONTAINER_UNHEALTHY,
                        target=info.name,
                        summary=f'{info.name} is unhealthy',
                        evidence={
                            'stack': info.stack,
                            'service': info.service,
                            'health_output': await self._health_output(info.id),
                        },
                        group=info.stack or '',
                    )
                )
        elif info.health in (Health.HEALTHY, None) or info.state != ContainerState.RUNNING:
            await self.keeper.clear(
                Rule.CONTAINER_UNHEALTHY,
                info.name,
                resolution=f'{info.name} is healthy again'
                if info.health == Health.HEALTHY
                else f'{info.name} is {info.state}',
            )

    def _note_running(self, info: ContainerInfo) -> None:
        if info.state == ContainerState.RUNNING:
            self._running_since.setdefault(info.name, clock.monotonic())
        else:
            self._running_since.pop(info.name, None)

    async def review(self) -> None:
        """Resolve the stop alerts of containers that have run steadily again, and unhealthy ones that are gone."""
        now = clock.monotonic()
        present = {info.name for info in self.observer.containers.values()}
        for alert in self.keeper.open_alerts():
            name = alert.target
            if alert.rule in _STOPPING:
                if alert.rule is Rule.CRASH_LOOP:
                    self._forget_old_deaths(name)
                    if self._deaths.get(name):
                        continue
                since = self._running_since.get(name)
                if since is not None and now - since >= self.steady:
                    await self.keeper.clear(
                        alert.rule, name, resolution=f'{name} has been running again for {_seconds(now - since)}'
                    )
            elif (
                alert.rule is Rule.CONTAINER_UNHEALTHY and name not in present and self.observer.engine_state.reachable
            ):
                await self.keeper.clear(alert.rule, name, resolution=f'{name} was removed')

    def _forget_old_deaths(self, name: str) -> None:
        within = self.keeper.rules[Rule.CRASH_LOOP].within or 600.0
        deaths = self._deaths.get(name)
        while deaths and clock.monotonic() - deaths[0] > within:
            deaths.popleft()

    async def _health_output(self, container_id: str) -> str | None:
        if self.inspect is None:
            return None
        try:
            details = await asyncio.to_thread(self.inspect, container_id)
        except Exception as err:
            return f'(could not read it: {one_line(err, 100)})'
        return one_line(details.health.log[-1].output, 300) if details.health.log else None


def _minutes(seconds: float | None) -> str:
    return f'{int((seconds or 0) // 60)} min'


def _seconds(seconds: float) -> str:
    return f'{int(seconds)} s'
