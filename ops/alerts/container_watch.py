"""Container alerts from the observer: an unplanned stop, a crash loop, an OOM kill and an unhealthy verdict,
each resolved once the container runs steadily (or is healthy) again, or is removed. Planned stops raise nothing,
and neither does a one-off job that finished (exit 0, no restart policy, or removed with it)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from ops import clock
from ops.alerts.keeper import AlertKeeper, Condition
from ops.alerts.planned import PlannedWork, Subject
from ops.alerts.rules import Rule
from ops.bus import Event
from ops.clock import utc_from_timestamp, utc_now
from ops.docker.containers import ContainerInfo, ContainerState, Health
from ops.docker.details import ContainerDetails
from ops.docker.engine import EngineUnavailable
from ops.log_text import one_line
from ops.world.observer import ContainerChange, Observer

log = logging.getLogger(__name__)

STEADY = 30.0  # seconds a container must run again before its stop, crash loop or OOM alert resolves
REVIEW = 2.0
_STOPPING = (Rule.CONTAINER_EXITED, Rule.CRASH_LOOP, Rule.OOM_KILLED)
_BACK_RUNNING = (Rule.CONTAINER_EXITED, Rule.OOM_KILLED)  # a condition still waiting out `after` ends on running

Inspect = Callable[[str], ContainerDetails]
# The last lines a death left (container id, the die's engine time in ns), as the alert carries them; None: none.
LastWords = Callable[[str, int | None], Awaitable[str | None]]
_WITH_WORDS = (Rule.CRASH_LOOP, Rule.CONTAINER_EXITED)
# The evidence key of the words an earlier death left, shown while the newest death's own are not in (or never come).
EARLIER_WORDS = 'last_words_of_an_earlier_death'


class ContainerWatch:
    """Turns the observer's engine events and container changes into conditions for the keeper."""

    def __init__(
        self,
        observer: Observer,
        keeper: AlertKeeper,
        planned: PlannedWork,
        *,
        inspect: Inspect | None = None,
        last_words: LastWords | None = None,
        steady: float = STEADY,
    ) -> None:
        self.observer = observer
        self.keeper = keeper
        self.planned = planned
        self.inspect = inspect
        self.last_words = last_words
        self.steady = steady
        self._deaths: dict[str, deque[float]] = {}  # unplanned deaths per container name (engine time, unix s)
        self._running_since: dict[str, float] = {}  # monotonic
        # The newest last words in per container name (the number of the death they are of, the tail): a death's
        # alert opens without waiting for its words, which are attached once they are in (a later death's alert
        # shows them as an earlier death's until its own are in).
        self._words: dict[str, tuple[int, str]] = {}
        self._newest_death: dict[str, int] = {}  # per container name: the number of its newest death
        self._death_number = 0
        self._attaching: set[asyncio.Task[None]] = set()
        self._queue: asyncio.Queue[dict[str, Any] | ContainerChange] = asyncio.Queue()
        self._stopping = asyncio.Event()
        self.noted: Event[dict[str, Any]] = Event()  # each stop found planned or a finished job, for the journal
        observer.learned.subscribe(self._heard_record)
        observer.container_changed.subscribe(self._queue.put_nowait)

    def _heard_record(self, record: dict[str, Any]) -> None:
        if record.get('source') == 'engine' and record.get('action') in ('die', 'oom'):
            self._queue.put_nowait(record)

    async def run(self) -> None:
        for info in list(self.observer.containers.values()):
            self._note_running(info)
        reviewed = clock.monotonic()
        try:
            while not self._stopping.is_set():
                with contextlib.suppress(TimeoutError):
                    await self.handle(await asyncio.wait_for(self._queue.get(), REVIEW))
                # Once a burst of events is handled (or every REVIEW seconds during a long one), not after each
                # event: a review walks every container the observer knows.
                if self._queue.empty() or clock.monotonic() - reviewed >= REVIEW:
                    reviewed = clock.monotonic()
                    try:
                        await self.review()
                    except Exception:
                        log.exception('container alert review failed')
        finally:
            for task in list(self._attaching):
                task.cancel()

    def stop(self) -> None:
        self._stopping.set()

    async def handle(self, item: dict[str, Any] | ContainerChange) -> None:
        """One engine event record (die, oom) or container change; a failure is logged, never raised."""
        try:
            if isinstance(item, ContainerChange):
                await self._changed(item)
            else:
                await self._engine_event(item)
        except Exception:
            log.exception('container alert watch failed on %r', item)

    async def _engine_event(self, record: dict[str, Any]) -> None:
        name = str(record.get('name') or '')[:255]
        if not name:
            return
        subject = Subject(
            id=str(record.get('id') or ''), name=name, stack=record.get('stack'), service=record.get('service')
        )
        time_nano = record.get('time_nano')
        happened = time_nano / 1e9 if isinstance(time_nano, int) else utc_now().timestamp()
        at = utc_from_timestamp(happened)
        run_id = await self.planned.run_for(subject, at)
        if run_id is not None:
            log.info('%s %s at %s: planned by run #%d', name, record.get('action'), at, run_id)
            self._note({'kind': 'planned', 'name': name, 'action': record.get('action'), 'run_id': run_id})
            return
        code = record.get('exit_code')
        if record.get('action') == 'die' and await self._finished_job(subject.id, code):
            self._note({'kind': 'job_finished', 'name': name, 'exit_code': code})
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
        death = 0
        if self.last_words is not None:
            death = self._attach_words(
                self.last_words, name, subject.id, time_nano if isinstance(time_nano, int) else None
            )
            evidence.update(self._words_evidence(name, death))
        deaths = self._deaths.setdefault(name, deque())
        deaths.append(happened)
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
            await self._words_since(Rule.CRASH_LOOP, name, death)
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
        await self._words_since(Rule.CONTAINER_EXITED, name, death)

    def _words_evidence(self, name: str, death: int) -> dict[str, str | None]:
        """The words an alert about this death carries now: its own once in, else an earlier death's, labelled so."""
        number, tail = self._words.get(name, (0, None))
        if number == death:
            return {'last_words': tail, EARLIER_WORDS: None}
        return {'last_words': None, EARLIER_WORDS: tail} if tail is not None else {'last_words': None}

    async def _words_since(self, rule: Rule, name: str, death: int) -> None:
        """The death's own words, when they came in while its alert was being held (its hold replaced the evidence
        after they were attached, or they found no alert to attach to)."""
        if death and self._words.get(name, (0, None))[0] == death:
            await self.keeper.add_evidence(rule, name, self._words_evidence(name, death))

    def _attach_words(self, last_words: LastWords, name: str, container_id: str, time_nano: int | None) -> int:
        """Attach this death's last words to its container's alert once they are in, without holding up the
        watch (the keeper may wait seconds for a removed container's log); the death's number."""
        self._death_number += 1
        self._newest_death[name] = death = self._death_number
        task = asyncio.create_task(self._attach(last_words, name, container_id, time_nano, death))
        self._attaching.add(task)
        task.add_done_callback(self._attaching.discard)
        return death

    async def _attach(
        self, last_words: LastWords, name: str, container_id: str, time_nano: int | None, death: int
    ) -> None:
        try:
            tail = await last_words(container_id, time_nano)
            if tail is None or self._words.get(name, (0, None))[0] > death:
                return  # none kept, or a later death's words are in already
            self._words[name] = (death, tail)
            # A later death's alert shows them as an earlier death's until its own are in. Again if a later death
            # came (or its words) while they were being attached: its hold may have gone in between.
            applied = None
            while (now := (self._newest_death.get(name, death), self._words.get(name))) != applied:
                applied = now
                evidence = self._words_evidence(name, now[0])
                for rule in _WITH_WORDS:
                    await self.keeper.add_evidence(rule, name, evidence)
        except Exception:
            log.exception('the last words of %s could not be attached to its alert', one_line(name, 100))

    async def _finished_job(self, container_id: str, exit_code: object) -> bool:
        """A one-off job, not an outage: removed with its end (`--rm`), or ended well without a restart policy."""
        if self.inspect is None or not container_id:
            return False
        try:
            details = await asyncio.to_thread(self.inspect, container_id)
        except EngineUnavailable:
            return False  # nothing is known: count it as a stop
        except Exception as err:
            return 'no such container' in str(err).lower()  # removed as it ended: a `--rm` job
        return exit_code == 0 and details.restart_policy in ('', 'no')

    async def _changed(self, change: ContainerChange) -> None:
        info = change.info
        if info is None:
            return  # a removal: review() resolves what was about it
        self._note_running(info)
        if info.state == ContainerState.RUNNING:
            for rule in _BACK_RUNNING:
                self.keeper.forget(rule, info.name)
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
            healthy = info.health == Health.HEALTHY
            await self.keeper.clear(
                Rule.CONTAINER_UNHEALTHY,
                info.name,
                resolution=f'{info.name} is healthy again' if healthy else f'{info.name} is {info.state}',
            )

    def _note_running(self, info: ContainerInfo) -> None:
        if info.state == ContainerState.RUNNING:
            self._running_since.setdefault(info.name, clock.monotonic())
        else:
            self._running_since.pop(info.name, None)

    def _note(self, record: dict[str, Any]) -> None:
        self.noted.emit({'source': 'alert', **record})

    async def review(self) -> None:
        """Resolve the alerts of containers that have run steadily again or are gone; forget what is over."""
        now = clock.monotonic()
        present = {info.name for info in self.observer.containers.values()}
        knows = self.observer.engine_state.reachable is True
        for name in [n for n in self._running_since if n not in present]:
            del self._running_since[name]
        for name in list(self._deaths):
            self._forget_old_deaths(name)
        for alert in self.keeper.open_alerts():
            name = alert.target
            if alert.rule not in (*_STOPPING, Rule.CONTAINER_UNHEALTHY):
                continue
            if knows and name not in present:
                await self.keeper.clear(alert.rule, name, resolution=f'{name} was removed')
                continue
            if alert.rule is Rule.CONTAINER_UNHEALTHY or (alert.rule is Rule.CRASH_LOOP and self._deaths.get(name)):
                continue
            since = self._running_since.get(name)
            if since is not None and now - since >= self.steady:
                await self.keeper.clear(
                    alert.rule, name, resolution=f'{name} has been running again for {int(now - since)} s'
                )
        for name in [n for n, d in self._deaths.items() if not d]:
            del self._deaths[name]
            self._words.pop(name, None)
            self._newest_death.pop(name, None)
            self.keeper.forget(Rule.CRASH_LOOP, name)

    def _forget_old_deaths(self, name: str) -> None:
        within = self.keeper.rules[Rule.CRASH_LOOP].within or 600.0
        deaths = self._deaths.get(name)
        oldest = utc_now().timestamp() - within
        while deaths and deaths[0] < oldest:
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
