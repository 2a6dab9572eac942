"""Schedules: when each falls due (weekly, daily, across the end of the week), that its task runs once as
`schedule:<name>` and is audited with what it found, what a console down at the due time makes up, and that the
scheduled tasks only propose. The clock is the test's; nothing sleeps until a time of day."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from app.system import adapters_for
from ops.catalog import catalog
from ops.config import HomelabConfig, ScheduleConfig
from ops.docker.engine import Engine
from ops.maintenance.schedule_tasks import PRUNE_KEY, PrunePreview, image_check, prune_proposal
from ops.maintenance.schedules import Scheduler, ScheduleRan
from ops.manager import Manager
from ops.store.audit import AuditLog, AuditUnavailable
from ops.store.audit_kinds import AuditKind
from ops.store.models import Action, AuditEvent, Run
from ops.store.owners import OwnerLock
from ops.world.action_states import ActionState
from ops.world.actions import ActionQueue, Proposer
from ops.world.drift import Drift
from tests.helpers.waiting import wait_for_async

BERLIN = ZoneInfo('Europe/Berlin')
SCHEDULES = {
    'nightly-images': ScheduleConfig(task='image_check', at=['03:30']),
    'weekly-prune': ScheduleConfig(task='prune', at=['Sun 04:00']),
}


def at(text: str) -> datetime:
    """'2026-12-06 03:30' in Berlin (2026-12-06 is a Sunday)."""
    return datetime.fromisoformat(text).replace(tzinfo=BERLIN)


class Tasks:
    """The tasks the scheduler is given: each records the actor it ran as and says what it found."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    def task(self, name: str) -> Any:
        async def run(actor: str) -> dict[str, Any]:
            self.calls.append((name, actor))
            if name == 'prune':
                raise RuntimeError('the engine is not reachable')
            return {'image_updates': ['media/jellyfin']}

        return run


@pytest.fixture
def tasks() -> Tasks:
    return Tasks()


def scheduler(audit: AuditLog, tasks: Tasks, clock: dict[str, datetime]) -> Scheduler:
    return Scheduler(
        SCHEDULES,
        {name: tasks.task(name) for name in ('image_check', 'update_candidates', 'prune')},
        audit=audit,
        clock=lambda: clock['now'],
        zone=BERLIN,
    )


async def ran_events() -> list[AuditEvent]:
    return await AuditEvent.filter(kind=AuditKind.SCHEDULE_RAN).order_by('id')


async def test_next_times_daily_and_weekly_across_the_end_of_the_week(audit: AuditLog, tasks: Tasks) -> None:
    clock = {'now': at('2026-12-06 04:30')}  # Sunday, after both
    runs = scheduler(audit, tasks, clock).next_runs()
    assert [(run.name, run.at) for run in runs] == [
        ('nightly-images', at('2026-12-07 03:30')),
        ('weekly-prune', at('2026-12-13 04:00')),
    ]
    early = scheduler(audit, tasks, {'now': at('2026-12-06 03:29')}).next_runs()
    assert [run.at for run in early] == [at('2026-12-06 03:30'), at('2026-12-06 04:00')]
    due = scheduler(audit, tasks, clock).due_between('nightly-images', at('2026-12-04 12:00'), at('2026-12-06 03:30'))
    assert due == [at('2026-12-05 03:30').astimezone(UTC), at('2026-12-06 03:30').astimezone(UTC)]


async def test_a_due_schedule_runs_once_as_its_own_actor_and_is_audited(audit: AuditLog, tasks: Tasks) -> None:
    clock = {'now': at('2026-12-06 03:00')}
    plan = scheduler(audit, tasks, clock)
    ran = await plan.run_due(at('2026-12-06 03:00'), at('2026-12-06 04:00'))
    assert [(r.name, r.ok) for r in ran] == [('nightly-images', True), ('weekly-prune', False)]
    assert tasks.calls == [('image_check', 'schedule:nightly-images'), ('prune', 'schedule:weekly-prune')]
    images, prune = await ran_events()
    assert images.actor == 'schedule:nightly-images' and images.origin == 'schedule'
    assert images.detail['task'] == 'image_check' and images.detail['ok'] is True
    assert images.detail['found'] == {'image_updates': ['media/jellyfin']}
    assert images.detail['due'] == '2026-12-06T02:30:00+00:00'
    assert prune.actor == 'schedule:weekly-prune' and prune.detail['ok'] is False
    assert prune.detail['found'] == {'error': 'the engine is not reachable'}
    assert await plan.run_due(at('2026-12-06 04:00'), at('2026-12-06 05:00')) == []


async def test_the_running_scheduler_wakes_when_the_clock_reaches_a_time(audit: AuditLog, tasks: Tasks) -> None:
    clock = {'now': at('2026-12-06 03:29')}
    plan = scheduler(audit, tasks, clock)
    running = asyncio.create_task(plan.run())
    try:
        await asyncio.sleep(0)
        assert await ran_events() == []
        clock['now'] = at('2026-12-06 03:30')
        plan.poke()
        await wait_for_async(ran_events, timeout=10, what='the 03:30 image check')
        plan.poke()  # the same minute again: not run twice
        clock['now'] = at('2026-12-07 03:30')
        plan.poke()

        async def monday() -> bool:
            return len(await ran_events()) >= 3

        # Monday's image check, and Sunday's 04:00 prune the jump passed (each once, in the order configured).
        await wait_for_async(monday, timeout=10, what="Monday's image check")
        assert [name for name, _ in tasks.calls] == ['image_check', 'image_check', 'prune']
    finally:
        plan.stop()
        await asyncio.wait_for(running, timeout=5)


@pytest.mark.parametrize(
    ('started', 'made_up'),
    [
        ('2026-12-06 03:50', ['image_check']),  # 20 minutes after 03:30: within the grace
        ('2026-12-06 04:20', ['image_check', 'prune']),
        ('2026-12-06 09:00', []),  # hours later: skipped (logged), the next time is tomorrow
    ],
)
async def test_a_time_missed_while_down_is_made_up_only_within_the_grace(
    audit: AuditLog, tasks: Tasks, started: str, made_up: list[str]
) -> None:
    clock = {'now': at(started)}
    plan = scheduler(audit, tasks, clock)
    await plan.catch_up()
    assert [name for name, _ in tasks.calls] == made_up
    await plan.catch_up()  # a second start: it ran for that time already
    assert [name for name, _ in tasks.calls] == made_up


async def test_the_image_check_refreshes_images_and_reports_image_drift(tmp_path: Path) -> None:
    asked: list[dict[str, Any]] = []
    proposers: list[Proposer] = []

    async def evaluate(*, proposer: Proposer, **kwargs: Any) -> list[Drift]:
        asked.append(kwargs)
        proposers.append(proposer)
        return [
            Drift(stack='media', kind='image', service='jellyfin', container='j', detail='newer', fingerprint='a'),
            Drift(stack='media', kind='stopped', service='sonarr', container='s', detail='exited', fingerprint='b'),
        ]

    found = await image_check(evaluate)('schedule:nightly-images')
    assert asked == [{'refresh_images': True}] and found == {'image_updates': ['media/jellyfin']}
    # What this evaluation finds first is proposed as the schedule.
    assert proposers == [Proposer(actor='schedule:nightly-images', origin='schedule')]

    async def unreachable() -> bool:
        return False

    found = await image_check(evaluate, engine_known=unreachable)('schedule:nightly-images')
    assert len(asked) == 1 and found == {'skipped': 'the Docker engine is not reachable: nothing was compared'}


async def test_a_scheduled_prune_only_proposes(tmp_path: Path, audit: AuditLog) -> None:
    adapters = adapters_for(
        Engine(f'unix://{tmp_path}/no-engine.sock', timeout=2), HomelabConfig(), data_dir=tmp_path / 'data',
        repo_dir=tmp_path,
    )  # fmt: skip
    owner = OwnerLock(tmp_path / 'data' / 'state' / 'owners')
    manager = Manager(adapters, owner=owner, registry=catalog(), audit=audit)
    queue = ActionQueue(manager)
    previews = [PrunePreview(params={'items': ['sha256:1', 'sha256:2']}, plan={'steps': []}, items=2, frees=3 << 30)]

    async def preview() -> PrunePreview:
        return previews.pop()

    try:
        task = prune_proposal(queue, preview)
        found = await task('schedule:weekly-prune')
        action = await Action.get(drift_key=PRUNE_KEY)
        assert found == {'prune': 'proposed', 'action_id': action.id, 'items': 2, 'frees': 3 << 30}
        assert action.state is ActionState.PENDING and action.operation == 'docker_prune' and action.decided_by is None
        assert action.title == 'Prune 2 unused items (3.0 GiB)'
        proposed = await AuditEvent.get(kind=AuditKind.ACTION_PROPOSED)
        assert proposed.actor == 'schedule:weekly-prune' and proposed.origin == 'schedule'
        assert await task('schedule:weekly-prune') == {'prune': 'already proposed', 'action_id': action.id}
        assert await Run.all().count() == 0  # nothing ran: a person approves it, like any action
    finally:
        await manager.shutdown()
        owner.release()


async def test_a_scheduled_prune_left_pending_a_day_is_proposed_again_with_a_fresh_plan(
    tmp_path: Path, audit: AuditLog
) -> None:
    adapters = adapters_for(
        Engine(f'unix://{tmp_path}/no-engine.sock', timeout=2), HomelabConfig(), data_dir=tmp_path / 'data',
        repo_dir=tmp_path,
    )  # fmt: skip
    owner = OwnerLock(tmp_path / 'data' / 'state' / 'owners')
    manager = Manager(adapters, owner=owner, registry=catalog(), audit=audit)
    queue = ActionQueue(manager)
    sunday, wednesday = ['sha256:' + '1' * 64], ['sha256:' + '1' * 64, 'a' * 64]  # a container stopped since
    plans = [wednesday, sunday]
    clock = [datetime.now(tz=UTC)]

    async def preview() -> PrunePreview:
        ids = plans.pop()
        return PrunePreview(params={'dry_run': False, 'only': ids}, plan={'steps': ids}, items=len(ids), frees=1)

    try:
        task = prune_proposal(queue, preview, now=lambda: clock[0])
        first = await task('schedule:weekly-prune')
        clock[0] += timedelta(hours=23)
        assert await task('schedule:weekly-prune') == {'prune': 'already proposed', 'action_id': first['action_id']}
        clock[0] += timedelta(hours=2)  # pending for more than a day: what it lists may no longer be what is there
        found = await task('schedule:weekly-prune')
        assert found['prune'] == 'proposed' and found['superseded'] == first['action_id'], found
        old, new = await Action.get(id=first['action_id']), await Action.get(id=found['action_id'])
        assert old.state is ActionState.SUPERSEDED and new.state is ActionState.PENDING
        assert old.params == {'dry_run': False, 'only': sunday} and new.params == {'dry_run': False, 'only': wednesday}
        assert await Action.filter(drift_key=PRUNE_KEY, state=ActionState.PENDING).count() == 1
        # An approved (running) proposal is never replaced, however old.
        await Action.filter(id=new.id).update(state=ActionState.RUNNING)
        clock[0] += timedelta(days=3)
        assert await task('schedule:weekly-prune') == {'prune': 'already proposed', 'action_id': new.id}
    finally:
        await manager.shutdown()
        owner.release()


async def test_a_daily_time_in_a_changed_hour_runs_once_that_day(audit: AuditLog, tasks: Tasks) -> None:
    plan = Scheduler({'night': ScheduleConfig(task='image_check', at=['02:30'])}, {}, audit=audit, zone=BERLIN)
    # Berlin skips 02:00-03:00 on 2026-03-29: the 02:30 run happens as the clock jumps to 03:00.
    spring = plan.due_between('night', at('2026-03-29 00:00'), at('2026-03-29 12:00'))
    assert spring == [datetime.fromisoformat('2026-03-29T03:00:00+02:00')]
    # It repeats 02:00-03:00 on 2026-10-25: 02:30 runs the first time only.
    autumn = plan.due_between('night', at('2026-10-25 00:00'), at('2026-10-25 12:00'))
    assert autumn == [datetime.fromisoformat('2026-10-25T02:30:00+02:00')]


async def test_a_run_the_audit_cannot_take_is_recorded_later_not_run_again_and_the_schedules_go_on(
    audit: AuditLog, tasks: Tasks, monkeypatch: pytest.MonkeyPatch
) -> None:
    down = {'audit': True}
    append = audit.append

    async def flaky_append(kind: AuditKind, **fields: Any) -> AuditEvent:
        if down['audit']:
            raise AuditUnavailable('database or disk is full')
        return await append(kind, **fields)

    monkeypatch.setattr(audit, 'append', flaky_append)
    clock = {'now': at('2026-12-06 03:29')}
    plan = scheduler(audit, tasks, clock)
    heard: list[ScheduleRan] = []
    plan.ran.subscribe(heard.append)
    running = asyncio.create_task(plan.run())
    try:
        clock['now'] = at('2026-12-06 03:30')
        plan.poke()
        await wait_for_async(lambda: heard or running.done(), timeout=10, what='the 03:30 image check')
        assert not running.done(), 'the schedules stopped after one run could not be recorded'
        assert [(r.name, r.recorded) for r in heard] == [('nightly-images', False)]
        clock['now'] = at('2026-12-06 04:00')  # the audit is still down: the prune runs all the same
        plan.poke()
        await wait_for_async(lambda: len(heard) >= 2 or running.done(), timeout=10, what='the 04:00 prune')
        assert not running.done()
        assert await ran_events() == []

        down['audit'] = False
        plan.poke()

        async def recorded() -> bool:
            return len(await ran_events()) >= 2

        await wait_for_async(recorded, timeout=10, what='the two runs recorded once the audit takes them')
        images, prune = await ran_events()
        assert (images.actor, images.detail['due'], images.detail['recorded_late']) == (
            'schedule:nightly-images', '2026-12-06T02:30:00+00:00', True,
        )  # fmt: skip
        assert (prune.actor, prune.detail['ok'], prune.detail['recorded_late']) == (
            'schedule:weekly-prune',
            False,
            True,
        )
        assert [name for name, _ in tasks.calls] == ['image_check', 'prune']  # each ran once, for its time
    finally:
        plan.stop()
        await asyncio.wait_for(running, timeout=5)


async def test_a_start_that_cannot_read_the_audit_makes_up_the_missed_time_at_the_next_look(
    audit: AuditLog, tasks: Tasks, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = {'now': at('2026-12-06 03:50')}  # 20 minutes after the 03:30 image check: within the grace
    plan = scheduler(audit, tasks, clock)
    ran_since = plan._ran_since
    down = {'audit': True}
    asked: list[str] = []

    async def flaky_ran_since(name: str, due: datetime) -> bool:
        asked.append(name)
        if down['audit']:
            raise AuditUnavailable('database is locked')
        return await ran_since(name, due)

    monkeypatch.setattr(plan, '_ran_since', flaky_ran_since)
    running = asyncio.create_task(plan.run())
    try:
        await wait_for_async(lambda: asked or running.done(), timeout=10, what='the check at start')
        assert not running.done(), 'the schedules stopped because the audit could not be read at start'
        assert tasks.calls == []
        down['audit'] = False
        plan.poke()
        await wait_for_async(ran_events, timeout=10, what='the missed 03:30 image check, made up')
        assert [name for name, _ in tasks.calls] == ['image_check']
    finally:
        plan.stop()
        await asyncio.wait_for(running, timeout=5)


async def look_with_the_audit_back_at(
    plan: Scheduler, clock: dict[str, datetime], back: str, monkeypatch: pytest.MonkeyPatch
) -> list[ScheduleRan]:
    """Start `plan` with the audit unreadable, make it readable at `back`, and return what ran by its first look
    then (a look ends with its runs; the 05:00 look runs the 04:00 prune, which marks the look's end)."""
    ran_since = plan._ran_since
    down = {'audit': True}
    heard: list[ScheduleRan] = []
    plan.ran.subscribe(heard.append)

    async def flaky_ran_since(name: str, due: datetime) -> bool:
        if down['audit']:
            raise AuditUnavailable('database is locked')
        return await ran_since(name, due)

    monkeypatch.setattr(plan, '_ran_since', flaky_ran_since)
    running = asyncio.create_task(plan.run())
    try:
        await wait_for_async(lambda: len(plan._unchecked) == 2 or running.done(), timeout=10, what='the start')
        assert not running.done()
        down['audit'] = False
        clock['now'] = at(back)
        plan.poke()
        await wait_for_async(
            lambda: any(r.name == 'weekly-prune' for r in heard) or running.done(), timeout=10, what='the look'
        )
        assert not running.done()
        assert not plan._unchecked
        return heard
    finally:
        plan.stop()
        await asyncio.wait_for(running, timeout=5)


async def test_a_missed_time_made_up_late_is_measured_against_the_grace_when_it_is_made_up(
    audit: AuditLog, tasks: Tasks, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = {'now': at('2026-12-06 03:50')}  # 20 minutes after the 03:30 image check: within the grace then
    heard = await look_with_the_audit_back_at(scheduler(audit, tasks, clock), clock, '2026-12-06 05:00', monkeypatch)
    # By 05:00 the 03:30 check is 90 minutes old, past the hour's grace: skipped. The 04:00 prune fell due while
    # the console ran: run_due runs it.
    assert [name for name, _ in tasks.calls] == ['prune']
    assert [r.name for r in heard] == ['weekly-prune']


async def test_a_time_that_fell_due_after_the_start_is_not_also_made_up(
    audit: AuditLog, tasks: Tasks, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = {'now': at('2026-12-06 03:50')}
    heard = await look_with_the_audit_back_at(scheduler(audit, tasks, clock), clock, '2026-12-06 04:00', monkeypatch)
    assert [name for name, _ in tasks.calls] == ['image_check', 'prune']  # the 04:00 prune once, not twice
    assert [r.name for r in heard] == ['nightly-images', 'weekly-prune']


async def test_a_drift_a_schedule_found_is_proposed_as_the_schedule(tmp_path: Path, audit: AuditLog) -> None:
    adapters = adapters_for(
        Engine(f'unix://{tmp_path}/no-engine.sock', timeout=2), HomelabConfig(), data_dir=tmp_path / 'data',
        repo_dir=tmp_path,
    )  # fmt: skip
    owner = OwnerLock(tmp_path / 'data' / 'state' / 'owners')
    manager = Manager(adapters, owner=owner, registry=catalog(), audit=audit)
    queue = ActionQueue(manager)
    update = Drift(stack='media', kind='image', service='jellyfin', container='j', detail='newer', fingerprint='a')
    stopped = Drift(stack='media', kind='stopped', service='sonarr', container='s', detail='exited', fingerprint='b')
    try:
        schedule = Proposer(actor='schedule:nightly-images', origin='schedule')
        await queue.sync([update, stopped], stacks=['media'], proposers={update.key: schedule})
        proposed = await AuditEvent.filter(kind=AuditKind.ACTION_PROPOSED).order_by('id')
        assert [(event.actor, event.origin, event.detail['drift']['kind']) for event in proposed] == [
            ('schedule:nightly-images', 'schedule', 'image'),
            ('supervisor', 'supervisor', 'stopped'),  # what the supervisor found itself stays its own
        ]
    finally:
        await manager.shutdown()
        owner.release()
