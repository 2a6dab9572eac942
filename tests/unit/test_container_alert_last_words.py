"""A container alert never waits for the dead container's last words: the alert opens at once and the words are
attached to it when they are in (two deaths in a row are not held up one after the other)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from ops.alerts.container_watch import ContainerWatch
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
