"""A container alert never waits for the dead container's last words: the alert opens at once and the words are
attached to it when they are in (two deaths in a row are not held up one after the other)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

import pytest

from ops.alerts.container_watch import EARLIER_WORDS, ContainerWatch
from ops.alerts.keeper import AlertKeeper
from ops.alerts.planned import PlannedWork
from ops.alerts.records import Alert
from ops.alerts.rules import Rule, RuleBook
from ops.clock import utc_now
from ops.config import AlertsConfig, RuleConfig
from ops.docker.containers import ContainerInfo
from ops.docker.engine import Engine
from ops.store.audit import AuditLog
from ops.world.observer import EngineState, Observer
from tests.helpers.waiting import wait_for_async


class SlowWords:
    """Last words that take until released (the keeper still waiting for a removed container's follower)."""

    def __init__(self) -> None:
        self.released = asyncio.Event()
        self.asked: list[str] = []

    async def __call__(self, container_id: str, time_nano: int | None) -> str | None:
        self.asked.append(container_id)
        await self.released.wait()
        return f'{container_id[:1]}: fatal: the config is broken'


@pytest.fixture
async def slow_words(store: None) -> AsyncIterator[tuple[Observer, SlowWords]]:
    observer = Observer(Engine('unix:///nonexistent/docker.sock'))
    observer.engine_state = EngineState(reachable=True)
    rules = RuleBook(AlertsConfig(group_window='0s', rules={'container_exited': RuleConfig(after='0s')}), [])
    words = SlowWords()
    watch = ContainerWatch(observer, AlertKeeper(rules, audit=AuditLog()), PlannedWork({}), last_words=words)
    task = asyncio.create_task(watch.run())
    try:
        yield observer, words
    finally:
        words.released.set()
        watch.stop()
        await asyncio.wait_for(task, 10)


async def test_two_deaths_in_a_row_open_their_alerts_at_once_and_get_their_words_when_ready(
    slow_words: tuple[Observer, SlowWords],
) -> None:
    observer, words = slow_words
    for name in ('a-web', 'b-db'):
        observer.containers[name[0] * 64] = ContainerInfo(
            id=name[0] * 64, name=name, stack=None, service=None, state='exited', health=None, image='busybox',
            status='exited', created=0,
        )  # fmt: skip
        observer.learned.emit(
            {'source': 'engine', 'action': 'die', 'id': name[0] * 64, 'name': name, 'exit_code': 1,
             'time_nano': int(utc_now().timestamp() * 1e9)}
        )  # fmt: skip
    opened = await wait_for_async(_both_open, timeout=3, what='both alerts open while the words are still coming')
    assert [alert.evidence.get('last_words') for alert in opened] == [None, None]
    words.released.set()
    told = await wait_for_async(_both_with_words, timeout=5, what='the words attached to both alerts')
    assert [alert.evidence['last_words'] for alert in told] == [
        'a: fatal: the config is broken',
        'b: fatal: the config is broken',
    ]
    assert [alert.summary for alert in told] == [
        'a-web stopped unexpectedly, exit code 1',
        'b-db stopped unexpectedly, exit code 1',
    ]


async def _both_open() -> list[Alert] | None:
    alerts = await Alert.filter(rule=Rule.CONTAINER_EXITED).order_by('target')
    return alerts if len(alerts) == 2 else None


async def _both_with_words() -> list[Alert] | None:
    alerts = await _both_open()
    return alerts if alerts and all(a.evidence.get('last_words') for a in alerts) else None


class WordsOfEachDeath:
    """The words of each death of one container in turn (None: none kept), at once."""

    def __init__(self, *words: str | None) -> None:
        self.words = list(words)

    async def __call__(self, container_id: str, time_nano: int | None) -> str | None:
        return self.words.pop(0)


@pytest.fixture
async def dying(store: None, request: pytest.FixtureRequest) -> AsyncIterator[tuple[Observer, ContainerWatch]]:
    """A watch whose crash loop needs `request.param` deaths, every alert opening at once."""
    observer = Observer(Engine('unix:///nonexistent/docker.sock'))
    observer.engine_state = EngineState(reachable=True)
    rules = {'container_exited': RuleConfig(after='0s'), 'crash_loop': RuleConfig(after='0s', count=request.param)}
    keeper = AlertKeeper(RuleBook(AlertsConfig(group_window='0s', rules=rules), []), audit=AuditLog())
    watch = ContainerWatch(observer, keeper, PlannedWork({}))
    task = asyncio.create_task(watch.run())
    try:
        yield observer, watch
    finally:
        watch.stop()
        await asyncio.wait_for(task, 10)


def died(observer: Observer) -> None:
    observer.containers['w' * 64] = ContainerInfo(
        id='w' * 64, name='web', stack=None, service=None, state='exited', health=None, image='busybox',
        status='exited', created=0,
    )  # fmt: skip
    observer.learned.emit(
        {'source': 'engine', 'action': 'die', 'id': 'w' * 64, 'name': 'web', 'exit_code': 1,
         'time_nano': int(utc_now().timestamp() * 1e9)}
    )  # fmt: skip


async def _alert(rule: Rule, when: Callable[[Alert], bool]) -> Alert | None:
    alert = await Alert.filter(rule=rule, target='web').order_by('-id').first()
    return alert if alert is not None and when(alert) else None


@pytest.mark.parametrize('dying', [10], indirect=True)
async def test_a_death_whose_words_never_come_shows_the_earlier_deaths_only_as_an_earlier_deaths(
    dying: tuple[Observer, ContainerWatch],
) -> None:
    observer, watch = dying
    watch.last_words = WordsOfEachDeath('first: out of disk', None)
    died(observer)
    await wait_for_async(
        lambda: _alert(Rule.CONTAINER_EXITED, lambda a: a.evidence.get('last_words') == 'first: out of disk'),
        timeout=5,
        what='the first death with its words',
    )
    died(observer)
    alert = await wait_for_async(
        lambda: _alert(Rule.CONTAINER_EXITED, lambda a: '(2 times)' in a.summary),
        timeout=5,
        what='the alert told of the second death',
    )
    await wait_for_async(lambda: not watch._attaching, timeout=5, what='the second death found without words')
    alert = await Alert.get(id=alert.id)
    assert alert.evidence.get('last_words') is None
    assert alert.evidence[EARLIER_WORDS] == 'first: out of disk'


@pytest.mark.parametrize('dying', [2], indirect=True)
async def test_the_crash_loop_carries_the_newest_deaths_words_though_they_came_while_it_opened(
    dying: tuple[Observer, ContainerWatch],
) -> None:
    observer, watch = dying
    watch.last_words = WordsOfEachDeath('first: out of disk', 'second: the config is broken')
    died(observer)
    await wait_for_async(
        lambda: _alert(Rule.CONTAINER_EXITED, lambda a: a.evidence.get('last_words') == 'first: out of disk'),
        timeout=5,
        what='the first death with its words',
    )
    died(observer)  # its words are in at once: while the stop alert is being resolved for the crash loop
    loop = await wait_for_async(
        lambda: _alert(Rule.CRASH_LOOP, lambda a: bool(a.evidence.get('last_words'))),
        timeout=5,
        what='the crash loop with words',
    )
    await wait_for_async(lambda: not watch._attaching, timeout=5, what='the words of both deaths attached')
    loop = await Alert.get(id=loop.id)
    assert loop.evidence['last_words'] == 'second: the config is broken'
    assert not loop.evidence.get(EARLIER_WORDS)


class GatedEvidence(AlertKeeper):
    """A keeper that holds each piece of evidence at a gate (a busy store) until the test opens it."""

    gate: asyncio.Event
    held = 0

    async def add_evidence(self, rule: Rule, target: str, evidence: Mapping[str, Any]) -> bool:
        self.held += 1
        await self.gate.wait()
        return await super().add_evidence(rule, target, evidence)


@pytest.mark.parametrize('dying', [10], indirect=True)
async def test_words_attached_while_a_later_death_opens_its_alert_show_as_an_earlier_deaths(
    dying: tuple[Observer, ContainerWatch],
) -> None:
    observer, watch = dying
    keeper = GatedEvidence(watch.keeper.rules, audit=AuditLog())
    keeper.gate = asyncio.Event()
    watch.keeper = keeper
    first = SlowWords()
    words = iter([first, WordsOfEachDeath(None)])
    watch.last_words = lambda container_id, time_nano: next(words)(container_id, time_nano)
    died(observer)
    await wait_for_async(lambda: _alert(Rule.CONTAINER_EXITED, lambda a: True), timeout=5, what='the first alert')
    first.released.set()  # its words are in: their attaching waits at the gate
    await wait_for_async(lambda: keeper.held, timeout=5, what='the first words waiting to be attached')
    died(observer)
    await wait_for_async(
        lambda: _alert(Rule.CONTAINER_EXITED, lambda a: '(2 times)' in a.summary),
        timeout=5,
        what='the alert told of the second death',
    )
    keeper.gate.set()
    await wait_for_async(lambda: not watch._attaching, timeout=5, what='the first words attached')
    alert = await Alert.filter(rule=Rule.CONTAINER_EXITED, target='web').first()
    assert alert is not None and alert.evidence.get('last_words') is None
    assert alert.evidence[EARLIER_WORDS] == 'w: fatal: the config is broken'
