"""Health and uptime history from a scripted sequence of observer events: intervals, shares, restarts, OOM kills."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ops import clock
from ops.docker.containers import ContainerInfo
from ops.docker.engine import Engine
from ops.stats.health_history import HealthHistory
from ops.stats.records import HealthEvent, HealthInterval, HealthMark, Uptime
from ops.store.db import close_store, open_store
from ops.world.observer import ContainerChange, Observer
from tests.helpers.waiting import wait_for_async

DAY = datetime(2026, 11, 20, tzinfo=UTC)
APP = 'a' * 64
JOB = 'b' * 64
DOWN = 'c' * 64
LOST = 'e' * 64
HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)


class Wall:
    """`ops.clock.utc_now`, moved by the test."""

    def __init__(self) -> None:
        self.now = DAY

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def wall(monkeypatch: pytest.MonkeyPatch) -> Wall:
    fake = Wall()
    monkeypatch.setattr(clock, 'utc_now', fake)
    return fake


def observer() -> Observer:
    return Observer(Engine('unix:///nonexistent/docker.sock'))


def info(
    name: str, container_id: str, state: str, health: str | None = None, exit_code: int | None = None
) -> ContainerInfo:
    return ContainerInfo(
        id=container_id, name=name, stack='site', service=name, state=state, health=health, image='busybox',
        status=state, created=0, exit_code=exit_code,
    )  # fmt: skip


def event(action: str, name: str, container_id: str, at: datetime, **more: Any) -> dict[str, Any]:
    """An engine event record as the observer publishes it (`learned`)."""
    return {'source': 'engine', 'type': 'container', 'action': action, 'id': container_id, 'name': name,
            'time_nano': int(at.timestamp()) * 1_000_000_000, **more}  # fmt: skip


def seen(world: ContainerInfo) -> ContainerChange:
    return ContainerChange(container_id=world.id, info=world)


async def test_a_scripted_day_gives_the_right_healthy_and_up_shares_restarts_and_oom_kills(
    database: Path, wall: Wall
) -> None:
    history = HealthHistory(observer())
    await history.load()
    h = timedelta(hours=1)
    m = timedelta(minutes=1)
    script: list[tuple[datetime, Any]] = [
        (DAY, seen(info('app', APP, 'running', 'starting'))),  # the world at start
        (DAY, seen(info('job', JOB, 'running'))),  # no healthcheck
        (DAY + m, event('health_status', 'app', APP, DAY + m, health='healthy')),
        (DAY + 10 * h, event('health_status', 'app', APP, DAY + 10 * h, health='unhealthy')),
        (DAY + 12 * h, event('oom', 'app', APP, DAY + 12 * h)),
        (DAY + 12 * h, event('die', 'app', APP, DAY + 12 * h, exit_code=137)),
        (DAY + 12 * h, seen(info('app', APP, 'exited', exit_code=137))),
        (DAY + 13 * h, event('start', 'app', APP, DAY + 13 * h)),
        (DAY + 13 * h + timedelta(seconds=1), seen(info('app', APP, 'running', 'starting'))),  # its listed health
        (DAY + 13 * h + 2 * m, event('health_status', 'app', APP, DAY + 13 * h + 2 * m, health='healthy')),
        (DAY + 6 * h, event('die', 'job', JOB, DAY + 6 * h, exit_code=1)),
        (DAY + 6 * h + 30 * m, event('start', 'job', JOB, DAY + 6 * h + 30 * m)),
        (DAY + 20 * h, event('die', 'job', JOB, DAY + 20 * h, exit_code=0)),
    ]
    for at, item in sorted(script, key=lambda step: step[0]):
        wall.now = at
        await history.handle(item)
    wall.now = DAY + 24 * h

    app = await history.timeline('app', '24h')
    assert [(i.state, i.start - DAY, i.exit_code) for i in app] == [
        (Uptime.STARTING, timedelta(0), None),
        (Uptime.HEALTHY, m, None),
        (Uptime.UNHEALTHY, 10 * h, None),
        (Uptime.EXITED, 12 * h, 137),
        (Uptime.STARTING, 13 * h, None),  # the start, named by the health the world lists a second later
        (Uptime.HEALTHY, 13 * h + 2 * m, None),
    ]
    assert app[-1].end is None and all(i.end == j.start for i, j in itertools.pairwise(app))
    assert await history.healthy_share('app', '24h') == pytest.approx(((10 * h - m) + (11 * h - 2 * m)) / (24 * h))
    assert await history.uptime_share('app', '24h') == pytest.approx(23 / 24)
    assert await history.healthy_share('app', '1h') == 1.0
    assert await history.restarts('app', since=DAY) == 1
    assert await history.oom_kills('app', since=DAY) == 1
    marks = await history.marks('app', '24h')
    assert [(mark.kind, mark.at - DAY, mark.exit_code) for mark in marks] == [
        (HealthMark.OOM, 12 * h, None),
        (HealthMark.RESTART, 13 * h, 137),
    ]
    # Without a healthcheck, running is healthy: 6 h, then 13.5 h after its restart, out of 24.
    assert await history.healthy_share('job', '24h') == pytest.approx(19.5 / 24)
    assert await history.uptime_share('job', '24h') == pytest.approx(19.5 / 24)
    assert await history.restarts('job', since=DAY) == 1
    assert await history.restarts('job', since=DAY + 7 * h) == 0
    # Over 7 days only the day it was seen counts (the days before it existed are not downtime).
    assert await history.uptime_share('app', '7d') == pytest.approx(23 / 24)
    assert await history.healthy_share('never-seen', '24h') is None


async def test_the_intervals_survive_a_restart_of_the_console_and_replayed_events_land_at_their_time(
    database: Path, wall: Wall
) -> None:
    first = HealthHistory(observer())
    await first.load()
    await first.handle(seen(info('app', APP, 'running', 'healthy')))
    await first.handle(seen(info('down', DOWN, 'running')))
    await first.handle(seen(info('gone', JOB, 'running')))
    await first.handle(seen(info('lost', LOST, 'running')))
    await close_store()  # the console stops; in its absence app dies and restarts, down stops, gone is removed
    await open_store(database)
    wall.now = DAY + 2 * HOUR
    world = observer()
    world.containers[APP] = info('app', APP, 'running', 'healthy')
    world.containers[DOWN] = info('down', DOWN, 'exited', exit_code=143)
    history = HealthHistory(world)
    await history.load()
    for container in world.containers.values():  # the first reconciliation
        await history.handle(seen(container))
    await history.reconciled()
    for record in (  # then the engine replays what it still holds of the time the console was stopped
        event('die', 'app', APP, DAY + 70 * MINUTE, exit_code=2),
        event('start', 'app', APP, DAY + 75 * MINUTE),
        event('health_status', 'app', APP, DAY + 76 * MINUTE, health='healthy'),
        event('die', 'down', DOWN, DAY + 80 * MINUTE, exit_code=143),
        event('die', 'gone', JOB, DAY + 90 * MINUTE, exit_code=0),
        event('destroy', 'gone', JOB, DAY + 95 * MINUTE),
    ):
        await history.handle(record)
    wall.now = DAY + 3 * HOUR

    async def told(name: str) -> list[tuple[Uptime, timedelta, timedelta | None, int | None]]:
        return [
            (i.state, i.start - DAY, i.end - DAY if i.end else None, i.exit_code)
            for i in await history.timeline(name, '24h')
        ]

    assert await told('app') == [
        (Uptime.HEALTHY, timedelta(0), 70 * MINUTE, None),
        (Uptime.EXITED, 70 * MINUTE, 75 * MINUTE, 2),
        (Uptime.RUNNING, 75 * MINUTE, 76 * MINUTE, None),
        (Uptime.HEALTHY, 76 * MINUTE, None, None),
    ]
    assert await history.restarts('app', since=DAY) == 1
    assert await history.uptime_share('app', '24h') == pytest.approx(175 / 180)
    # Seen exited at the start, the replayed die says since when; seen removed, the replay says when it stopped.
    assert await told('down') == [(Uptime.RUNNING, timedelta(0), 80 * MINUTE, None),
                                  (Uptime.EXITED, 80 * MINUTE, None, 143)]  # fmt: skip
    assert await told('gone') == [(Uptime.RUNNING, timedelta(0), 90 * MINUTE, None),
                                  (Uptime.EXITED, 90 * MINUTE, 95 * MINUTE, 0)]  # fmt: skip
    # Nothing replayed for lost (the engine no longer held it): it ends when the console saw it missing.
    assert await told('lost') == [(Uptime.RUNNING, timedelta(0), 2 * HOUR, None)]
    assert await HealthInterval.filter(end=None).count() == 2


async def test_it_follows_the_observer_and_prunes_what_ended_before_the_window(database: Path, wall: Wall) -> None:
    old = await HealthInterval.create(
        name='old', container_id='c' * 12, state=Uptime.RUNNING, start=DAY - timedelta(days=40),
        end=DAY - timedelta(days=31),
    )  # fmt: skip
    lasting = await HealthInterval.create(
        name='lasting', container_id='d' * 12, state=Uptime.RUNNING, start=DAY - timedelta(days=40)
    )
    world = observer()
    history = HealthHistory(world, tick=0.01)
    task = asyncio.create_task(history.run())
    try:
        world.learned.emit(event('start', 'app', APP, DAY))
        world.learned.emit(event('exec_start', 'app', APP, DAY))  # a healthcheck probe: not a state
        world.learned.emit(event('die', 'app', APP, DAY + timedelta(minutes=5), exit_code=1))
        world.container_changed.emit(seen(info('app', APP, 'exited', exit_code=1)))
        world.learned.emit(event('destroy', 'app', APP, DAY + timedelta(minutes=6)))
        world.container_changed.emit(ContainerChange(container_id=APP, info=None))

        async def removed() -> bool:
            return await HealthInterval.filter(name='app', end__isnull=False).count() == 2

        await wait_for_async(removed, timeout=10, what='the removal')
    finally:
        history.stop()
        await asyncio.wait_for(task, 10)
    wall.now = DAY + timedelta(minutes=10)
    assert [(i.state, i.end) for i in await history.timeline('app', '24h')] == [
        (Uptime.RUNNING, DAY + timedelta(minutes=5)),
        (Uptime.EXITED, DAY + timedelta(minutes=6)),
    ]
    assert await HealthInterval.filter(id=old.id).count() == 0  # pruned at start
    assert await HealthInterval.filter(id=lasting.id).count() == 1  # still open: kept however old
    assert await history.uptime_share('lasting', '30d') == 1.0


async def test_restarts_of_every_container_since_a_moment_come_in_one_answer(database: Path) -> None:
    now = datetime.now(UTC)
    for name, hours_ago in (('web', 1), ('web', 2), ('db', 3), ('web', 30)):
        await HealthEvent.create(
            name=name, container_id='a' * 12, kind=HealthMark.RESTART, at=now - timedelta(hours=hours_ago)
        )
    await HealthEvent.create(name='db', container_id='b' * 12, kind=HealthMark.OOM, at=now)
    history = HealthHistory(Observer(Engine('unix:///nonexistent/docker.sock')))
    assert await history.restarts_since(now - timedelta(hours=24)) == {'web': 2, 'db': 1}
