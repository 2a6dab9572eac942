"""Container alerts fed through the observer's own events (no engine): a stop of a container that is then removed
resolves; a crash loop counts deaths by when they happened, not when they were heard; a stop that is over within
its hold time raises nothing; a finished one-off job is not an outage; a refused acknowledgement leaves no trace."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from ops.alerts.container_watch import ContainerWatch
from ops.alerts.keeper import AlertKeeper, Condition
from ops.alerts.planned import PlannedWork
from ops.alerts.records import Alert, AlertState
from ops.alerts.rules import Rule, RuleBook
from ops.clock import utc_now
from ops.config import AlertsConfig, RuleConfig
from ops.docker.containers import ContainerInfo
from ops.docker.details import ContainerDetails, details_from_inspect
from ops.docker.engine import Engine, EngineError
from ops.store.audit import AuditLog, AuditUnavailable
from ops.world.observer import ContainerChange, EngineState, Observer
from tests.helpers.login_page import Clock
from tests.helpers.waiting import wait_for_async

ID = 'c' * 64


def details(restart_policy: str) -> ContainerDetails:
    return details_from_inspect(
        {'Id': ID, 'Name': '/x', 'State': {}, 'Config': {}, 'HostConfig': {'RestartPolicy': {'Name': restart_policy}}},
        None,
    )


def always_restarted(container_id: str) -> ContainerDetails:
    return details('always')


class Rig:
    def __init__(self, inspect: Callable[[str], ContainerDetails], **rules: RuleConfig) -> None:
        self.observer = Observer(Engine('unix:///nonexistent/docker.sock'))
        self.observer.engine_state = EngineState(reachable=True)
        self.keeper = AlertKeeper(RuleBook(AlertsConfig(group_window='0s', rules=rules), []), audit=AuditLog())
        self.watch = ContainerWatch(
            self.observer, self.keeper, PlannedWork({'docker_restart': 60}), inspect=inspect, steady=0
        )
        self.noted: list[dict[str, Any]] = []
        self.watch.noted.subscribe(self.noted.append)

    def died(self, name: str, code: int, seconds_ago: float = 0.0) -> None:
        at = int((utc_now().timestamp() - seconds_ago) * 1e9)
        self.observer.containers[ID] = self.info(name, 'exited')
        self.observer.learned.emit(
            {'source': 'engine', 'action': 'die', 'id': ID, 'name': name, 'stack': 'media', 'exit_code': code,
             'time_nano': at}
        )  # fmt: skip

    @staticmethod
    def info(name: str, state: str) -> ContainerInfo:
        return ContainerInfo(
            id=ID, name=name, stack='media', service='app', state=state, health=None, image='busybox', status=state,
            created=0,
        )  # fmt: skip

    def runs(self, name: str) -> None:
        info = self.info(name, 'running')
        self.observer.containers[ID] = info
        self.observer.container_changed.emit(ContainerChange(container_id=ID, info=info))

    def removed(self) -> None:
        self.observer.containers.pop(ID, None)
        self.observer.container_changed.emit(ContainerChange(container_id=ID, info=None))

    async def settled(self) -> None:
        """Everything emitted so far has been handled (the watch's queue is empty and one review ran)."""
        await wait_for_async(lambda: self.watch._queue.empty(), timeout=10, what='the watch to take every event')
        await self.watch.review()

    async def rules_open(self) -> list[tuple[Rule, str]]:
        return [(a.rule, a.target) for a in await Alert.filter(state=AlertState.OPEN).order_by('id')]


@pytest.fixture
async def watching(store: None) -> AsyncIterator[Callable[..., Rig]]:
    tasks: list[asyncio.Task[None]] = []

    def start(inspect: Callable[[str], ContainerDetails] = always_restarted, **rules: RuleConfig) -> Rig:
        rig = Rig(inspect, **rules)
        tasks.append(asyncio.create_task(rig.watch.run()))
        return rig

    yield start
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def test_a_stopped_container_that_is_removed_resolves_its_alert(watching: Callable[..., Rig]) -> None:
    rig = watching()
    rig.died('media-app-1', 1)
    await wait_for_async(rig.rules_open, timeout=10, what='the unplanned stop')
    rig.removed()
    await rig.settled()
    alert = await Alert.get(rule=Rule.CONTAINER_EXITED)
    assert alert.state is AlertState.RESOLVED and alert.resolution == 'media-app-1 was removed'


async def test_deaths_replayed_after_a_restart_count_by_when_they_happened(watching: Callable[..., Rig]) -> None:
    rig = watching()
    for hours_ago in (3, 2, 1):  # heard together (the console was down), hours apart: no crash loop
        rig.died('media-app-1', 1, seconds_ago=hours_ago * 3600)
    await rig.settled()
    assert await rig.rules_open() == [(Rule.CONTAINER_EXITED, 'media-app-1')]
    for seconds_ago in (120, 90, 60):  # three within ten minutes: a crash loop, which takes over the stop alert
        rig.died('media-app-1', 1, seconds_ago=seconds_ago)
    await rig.settled()
    assert await rig.rules_open() == [(Rule.CRASH_LOOP, 'media-app-1')]


async def test_a_stop_over_within_its_hold_time_raises_nothing(watching: Callable[..., Rig], clock: Clock) -> None:
    rig = watching(container_exited=RuleConfig(after='1m'))
    rig.died('media-app-1', 137)
    await rig.settled()
    rig.runs('media-app-1')  # back after a few seconds
    await rig.settled()
    clock.now += 120
    await rig.keeper.tick()
    assert await rig.rules_open() == []


async def test_a_finished_one_off_job_is_not_an_unplanned_stop(watching: Callable[..., Rig]) -> None:
    def removed_with_its_end(container_id: str) -> ContainerDetails:
        raise EngineError(f'No such container: {container_id}')

    rig = watching(removed_with_its_end)  # docker run --rm
    rig.died('media-backup-run-1', 1)
    await rig.settled()
    ended_well = watching(lambda _: details('no'))  # exit 0, no restart policy
    ended_well.died('media-migrate-1', 0)
    await ended_well.settled()
    assert await Alert.all().count() == 0
    assert [n['kind'] for n in rig.noted + ended_well.noted] == ['job_finished', 'job_finished']
    restarted = watching(always_restarted)  # exit 0 of a service that should run: a stop all the same
    restarted.died('media-web-1', 0)
    await wait_for_async(restarted.rules_open, timeout=10, what='the unplanned stop')


class RefusingAudit(AuditLog):
    async def _write(self, wanted: Any) -> Any:
        raise OSError('disk full')


async def test_an_acknowledgement_that_cannot_be_audited_leaves_the_alert_as_it_was(store: None) -> None:
    keeper = AlertKeeper(RuleBook(AlertsConfig(group_window='0s'), []), audit=RefusingAudit())
    await keeper.hold(Condition(rule=Rule.CONTAINER_EXITED, target='media-app-1', summary='stopped'))
    alert = keeper.open_alerts()[0]
    with pytest.raises(AuditUnavailable):
        await keeper.acknowledge(alert.id, actor='ui:alice', origin='ui')
    with pytest.raises(AuditUnavailable):
        await keeper.snooze(alert.id, until=utc_now(), actor='ui:alice', origin='ui')
    shown, stored = keeper.open_alerts()[0], await Alert.get(id=alert.id)
    assert (shown.acknowledged_by, shown.snoozed_until) == (None, None)
    assert (stored.acknowledged_by, stored.snoozed_until) == (None, None)
