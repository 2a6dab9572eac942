"""Schedules: at each configured time a task that only proposes (the image check, update candidates, a prune plan)
runs, audited as `schedule:<name>` with what it found; a record the audit could not take is written later."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from ops.bus import Event
from ops.config import ScheduleConfig, ScheduleTask, parse_at
from ops.log_text import one_line
from ops.maintenance.windows import Clock, local_instant, local_now
from ops.store.audit import AuditLog
from ops.store.audit_kinds import AuditKind
from ops.store.models import AuditEvent

log = logging.getLogger(__name__)

# A task, given the actor it runs as (`schedule:<name>`): it proposes what it finds and says what that was.
ScheduledTask = Callable[[str], Awaitable[dict[str, Any]]]
# A time missed while the console was down is made up at start if it is at most this old and did not run: a
# restart at 03:35 still does the 03:30 check; a console down all night does not propose at breakfast.
GRACE = timedelta(hours=1)


@dataclass(frozen=True, kw_only=True, slots=True)
class NextRun:
    """When a schedule runs next (local time)."""

    name: str
    task: ScheduleTask
    at: datetime


@dataclass(frozen=True, kw_only=True, slots=True)
class ScheduleRan:
    """A schedule's task ran for its time `due`: whether it worked and what it found (as audited)."""

    name: str
    task: ScheduleTask
    due: datetime
    ok: bool
    found: dict[str, Any] = field(default_factory=dict)
    recorded: bool = True  # False: the audit could not take it now; it is written at a later look


class Scheduler:
    """Wakes at the next due time (at least once a `longest_sleep`, so a changed clock or a suspended host is
    noticed) and runs each schedule that fell due since it last looked, once; `poke()` looks now.

    A run the audit could not record (disk full, database locked) is not run again: its task only proposed, and
    ran; its record is kept and written at the next look that can (marked `recorded_late`), before anything else,
    and counts as run meanwhile. A start whose made-up check could not read the audit checks again at the next look.
    """

    def __init__(
        self,
        schedules: Mapping[str, ScheduleConfig],
        tasks: Mapping[ScheduleTask, ScheduledTask],
        *,
        audit: AuditLog,
        clock: Clock = local_now,
        zone: tzinfo | None = None,
        grace: timedelta = GRACE,
        longest_sleep: float = 60.0,
    ) -> None:
        self.schedules = dict(schedules)
        self.tasks = tasks
        self.audit = audit
        self.clock = clock
        self.zone = zone
        self.grace = grace
        self.longest_sleep = longest_sleep
        self.ran: Event[ScheduleRan] = Event()
        self._times = {name: [parse_at(text) for text in config.at] for name, config in self.schedules.items()}
        self._wake = asyncio.Event()
        self._stopping = False
        self._unrecorded: list[dict[str, Any]] = []  # audit details of runs not yet recorded, oldest first
        self._unchecked: set[str] = set()  # schedules whose made-up check at start could not read the audit

    def now(self) -> datetime:
        return self.clock().astimezone(self.zone)

    def next_runs(self, now: datetime | None = None) -> list[NextRun]:
        """Each schedule's next time after `now`, soonest first."""
        moment = self.now() if now is None else now
        runs = []
        for name, config in self.schedules.items():
            upcoming = [due for due in self._due_times(name, moment) if due > moment.astimezone(UTC)]
            if upcoming:
                runs.append(NextRun(name=name, task=config.task, at=min(upcoming).astimezone(self.zone)))
        return sorted(runs, key=lambda run: run.at)

    def due_between(self, name: str, after: datetime, until: datetime) -> list[datetime]:
        """The times `name` fell due after `after`, up to and including `until` (UTC)."""
        start, end = after.astimezone(UTC), until.astimezone(UTC)
        return sorted(due for due in self._due_times(name, until) if start < due <= end)

    def poke(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    async def run(self) -> None:
        """Make up what was missed within the grace, then run each schedule as it falls due, until stop()."""
        if not self.schedules:
            return
        started = last = self.now()
        await self.catch_up(started)
        while not self._stopping:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self._delay(last))
            self._wake.clear()  # a poke while the tasks run makes another look
            if self._stopping:
                break
            try:
                await self.record_late()
                if self._unchecked:
                    await self.catch_up(self.now(), names=sorted(self._unchecked), missed_by=started)
                now = self.now()
                if now.astimezone(UTC) < last.astimezone(UTC):  # the clock went back: what falls due again is not run
                    continue
                await self.run_due(last, now)
                last = now
            except Exception:  # the schedules must outlive any surprise; the next look goes on
                log.exception('schedules: a look failed')

    async def run_due(self, after: datetime, until: datetime) -> list[ScheduleRan]:
        """Run every schedule that fell due after `after` up to `until`, each once (for its latest time)."""
        done = []
        for name in self.schedules:
            due = self.due_between(name, after, until)
            if due:
                if len(due) > 1:
                    log.info('schedule %s: %d times fell due at once; running once', name, len(due))
                done.append(await self.run_one(name, due[-1]))
        return done

    async def catch_up(
        self, now: datetime | None = None, *, names: list[str] | None = None, missed_by: datetime | None = None
    ) -> list[ScheduleRan]:
        """At start: a schedule whose last time passed while the console was down runs once if that was within the
        grace (of `now`) and it has not run since; an older one is skipped (logged). One whose audit could not be
        read is left for the next look (`names`: only these; `missed_by`: the start, as only a time before it was
        missed: a later one is run_due's)."""
        moment = self.now() if now is None else now
        until = moment if missed_by is None else min(moment, missed_by, key=lambda when: when.astimezone(UTC))
        done = []
        for name in self.schedules if names is None else names:
            past = self.due_between(name, until - timedelta(days=8), until)
            try:
                ran = bool(past) and await self._ran_since(name, past[-1])
            except Exception as err:  # the audit cannot be read now: the next look asks again
                log.warning(
                    'schedule %s: cannot tell whether it ran (%s); asking again later', name, one_line(str(err))
                )
                self._unchecked.add(name)
                continue
            self._unchecked.discard(name)
            if not past or ran:
                continue
            missed = past[-1]
            if moment.astimezone(UTC) - missed <= self.grace:
                log.info('schedule %s: its time %s passed while the console was down; running it now', name, missed)
                done.append(await self.run_one(name, missed))
            else:
                log.info('schedule %s: its time %s passed while the console was down; skipped (older than %s)',
                         name, f'{missed.astimezone(self.zone):%a %Y-%m-%d %H:%M}', self.grace)  # fmt: skip
        return done

    async def run_one(self, name: str, due: datetime) -> ScheduleRan:
        """Run `name`'s task now as `schedule:<name>` and audit what it found (or why it failed)."""
        task = self.schedules[name].task
        actor = f'schedule:{name}'
        try:
            found = await self.tasks[task](actor)
            ok = True
        except Exception as err:  # a failing task is audited and logged; the schedule goes on
            log.warning('schedule %s (%s) failed: %s', name, task, one_line(str(err)))
            found, ok = {'error': one_line(str(err), 500)}, False
        detail = {'schedule': name, 'task': task, 'due': due.astimezone(UTC).isoformat(), 'ok': ok, 'found': found}
        recorded = not self._unrecorded and await self._record(detail)  # (after the older ones, in order)
        if not recorded:
            self._unrecorded.append(detail)
        ran = ScheduleRan(name=name, task=task, due=due.astimezone(self.zone), ok=ok, found=found, recorded=recorded)
        log.info('schedule %s ran %s: %s', name, task, one_line(str(found), 300))
        self.ran.emit(ran)
        return ran

    async def record_late(self) -> int:
        """Write the records the audit could not take when their runs ended (oldest first); how many were written."""
        written = 0
        while self._unrecorded and await self._record({**self._unrecorded[0], 'recorded_late': True}):
            self._unrecorded.pop(0)
            written += 1
        return written

    async def _record(self, detail: dict[str, Any]) -> bool:
        """Audit one run; False (logged) when the audit cannot take it now."""
        try:
            await self.audit.append(
                AuditKind.SCHEDULE_RAN, actor=f'schedule:{detail["schedule"]}', origin='schedule', detail=detail
            )
        except Exception as err:  # AuditUnavailable (disk full, database locked): kept and written at a later look
            log.warning('schedule %s: its run could not be recorded yet: %s', detail['schedule'], one_line(str(err)))
            return False
        return True

    def _due_times(self, name: str, around: datetime) -> Iterator[datetime]:
        """`name`'s times (UTC) from eight days before `around` to eight days after it."""
        today = around.astimezone(self.zone).date()
        for offset in range(-8, 9):
            day = today + timedelta(days=offset)
            for weekday, at in self._times[name]:
                if weekday is None or weekday == day.weekday():
                    yield local_instant(day, at, self.zone)

    async def _ran_since(self, name: str, due: datetime) -> bool:
        """Whether `name` last ran for `due` or a later time (its audit says which time it ran for, or its record
        still waiting to be written)."""
        if any(d['schedule'] == name and datetime.fromisoformat(d['due']) >= due for d in self._unrecorded):
            return True
        last = await AuditEvent.filter(kind=AuditKind.SCHEDULE_RAN, actor=f'schedule:{name}').order_by('-id').first()
        try:
            return last is not None and datetime.fromisoformat(str(last.detail.get('due'))) >= due
        except ValueError:
            return False

    def _delay(self, last: datetime) -> float:
        runs = self.next_runs(last)
        if not runs:
            return self.longest_sleep
        left = (runs[0].at.astimezone(UTC) - self.now().astimezone(UTC)).total_seconds()
        return min(self.longest_sleep, max(left + 0.05, 0.05))
