"""Last words against the real engine: a container removed with `rm -f` (the engine refuses to read the log of a
container being removed) and a crash under a restart policy keep the end of their log, one record per death."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker.errors
import pytest

from app.system import changing_operations
from ops.alerts.container_watch import ContainerWatch
from ops.alerts.keeper import AlertKeeper
from ops.alerts.planned import PlannedWork
from ops.alerts.records import Alert
from ops.alerts.rules import Rule, RuleBook
from ops.config import AlertsConfig, MaintenanceConfig
from ops.docker.engine import Engine
from ops.docker.logstream import LogStream
from ops.maintenance.last_words import LastWordsKeeper
from ops.maintenance.last_words_store import last_words_of
from ops.maintenance.records import LastWords
from ops.store.db import close_store, open_store
from ops.world.observer import Observer
from tests.helpers.docker_ops import BASE_IMAGE, docker_client, engine_url, unique
from tests.helpers.rig import require_engine
from tests.helpers.waiting import wait_for_async

FIVE_THOUSAND = 'i=1; while [ $i -le 5000 ]; do echo "line $i of the log"; i=$((i+1)); done; exec sleep 3600'


@dataclass(frozen=True, slots=True)
class Watching:
    keeper: LastWordsKeeper
    alerts: AlertKeeper


@pytest.fixture
async def watching(tmp_path: Path) -> AsyncIterator[Watching]:
    """The observer, the last words keeper and the container alerts as the server wires them."""
    async with _watching(tmp_path, Engine(engine_url())) as parts:
        yield parts


class BusyEngine(Engine):
    """The engine as a busy console reaches it: a log read up to a moment (not a follow) comes a second and a half
    late."""

    def logs(self, container: str, **options: Any) -> LogStream:
        if not options.get('follow'):
            time.sleep(1.5)
        return super().logs(container, **options)


@contextlib.asynccontextmanager
async def _watching(tmp_path: Path, keeper_engine: Engine) -> AsyncIterator[Watching]:
    require_engine()
    await open_store(tmp_path / 'h.sqlite3')
    engine = Engine(engine_url())
    observer = Observer(engine)
    keeper = LastWordsKeeper(observer, keeper_engine, MaintenanceConfig())
    alerts = AlertKeeper(RuleBook(AlertsConfig(), []))
    watch = ContainerWatch(
        observer, alerts, PlannedWork(changing_operations()), inspect=engine.inspect, last_words=keeper.alert_tail
    )
    try:
        tasks = [asyncio.create_task(c.run()) for c in (observer, keeper, watch)]
        try:
            await wait_for_async(lambda: observer.engine_state.reachable, timeout=30, what='the engine')
            yield Watching(keeper, alerts)
        finally:
            for part in (observer, keeper, watch):
                part.stop()
            await asyncio.wait_for(asyncio.gather(*tasks), 20)
    finally:
        await close_store()


async def test_a_container_removed_with_rm_f_keeps_its_last_thousand_lines(watching: Watching) -> None:
    client = docker_client()
    name = unique('hl-lastwords')
    container = client.containers.run(
        BASE_IMAGE, ['sh', '-c', FIVE_THOUSAND], name=name, detach=True, labels={'homelab.test': 'true'}
    )
    try:
        await wait_for_async(lambda: b'line 5000 ' in container.logs(tail=1), timeout=30, what='5000 lines printed')
        await wait_for_async(lambda: watching.keeper.following_of(container.id), timeout=30, what='its log followed')
        container.remove(force=True)
        row = await wait_for_async(lambda: last_words_of(name), timeout=30, what='its last words')
    finally:
        with contextlib.suppress(docker.errors.NotFound):
            container.remove(force=True)
        client.close()
    lines = row.lines.split('\n')
    assert (row.line_count, len(lines), row.exit_code) == (1000, 1000, 137)
    assert (lines[0], lines[-1]) == ('line 4001 of the log', 'line 5000 of the log')
    assert 'line 4000 of the log' not in lines
    assert await LastWords.filter(name=name).count() == 1


async def test_a_crash_loop_keeps_the_words_of_each_death_and_its_alert_carries_them(watching: Watching) -> None:
    """Three deaths under a restart policy: three records, each with the log up to its own death (never the next
    run's lines), secrets hidden; the crash loop alert carries the last lines."""
    client = docker_client()
    name = unique('hl-crashing')
    secret = 'hl-crash-secret-0451'
    script = 'echo "starting with DB_PASSWORD=$DB_PASSWORD"; echo "fatal: the config is broken" >&2; exit 3'
    container = client.containers.run(
        BASE_IMAGE,
        ['sh', '-c', script],
        name=name,
        detach=True,
        environment={'DB_PASSWORD': secret},
        restart_policy={'Name': 'on-failure', 'MaximumRetryCount': 2},
        labels={'homelab.test': 'true'},
    )
    try:
        await wait_for_async(lambda: _count(name, 3), timeout=60, what='three deaths kept')
        alert = await wait_for_async(lambda: _crash_loop(name), timeout=30, what='the crash loop alert')
    finally:
        with contextlib.suppress(docker.errors.NotFound):
            container.remove(force=True)
        client.close()
    rows = await LastWords.filter(name=name).order_by('ended_at')
    assert [(r.exit_code, r.line_count) for r in rows] == [(3, 2), (3, 4), (3, 6)]
    # stdout and stderr reach the log through two pipes: lines written at once may come in either order.
    assert sorted(rows[0].lines.split('\n')) == ['fatal: the config is broken', 'starting with DB_PASSWORD=(hidden)']
    assert all(secret not in r.lines for r in rows)
    tail = alert.evidence.get('last_words') or ''
    assert 'fatal: the config is broken' in tail and secret not in tail and len(tail.split('\n')) <= 20


async def _count(name: str, at_least: int) -> bool:
    return await LastWords.filter(name=name).count() >= at_least


async def _crash_loop(name: str) -> Alert | None:
    """The crash loop alert once the last words are attached to it (they follow its opening)."""
    alert = await Alert.filter(rule=Rule.CRASH_LOOP, target=name).first()
    return alert if alert is not None and alert.evidence.get('last_words') else None


async def test_a_container_run_with_rm_keeps_its_last_words_when_it_is_killed(watching: Watching) -> None:
    """`--rm`: the engine removes the container right after its die, often before anyone can read its log."""
    client = docker_client()
    name = unique('hl-autoremove')
    container = client.containers.run(
        BASE_IMAGE,
        ['sh', '-c', FIVE_THOUSAND],
        name=name,
        detach=True,
        auto_remove=True,
        labels={'homelab.test': 'true'},
    )
    try:
        await wait_for_async(lambda: b'line 5000 ' in container.logs(tail=1), timeout=30, what='5000 lines printed')
        await wait_for_async(lambda: watching.keeper.following_of(container.id), timeout=30, what='its log followed')
        container.kill()
        row = await wait_for_async(lambda: last_words_of(name), timeout=30, what='its last words')
        await wait_for_async(lambda: _gone(container.id), timeout=30, what='the engine removed it')
    finally:
        with contextlib.suppress(docker.errors.NotFound, docker.errors.APIError):
            container.remove(force=True)
        client.close()
    lines = row.lines.split('\n')
    assert (row.line_count, row.exit_code, lines[0], lines[-1]) == (
        1000,
        137,
        'line 4001 of the log',
        'line 5000 of the log',
    )


def _gone(container_id: str) -> bool:
    client = docker_client()
    try:
        client.containers.get(container_id)
    except docker.errors.NotFound:
        return True
    finally:
        client.close()
    return False


# Each run prints a burst of 1,500 lines as it starts, works a while, says goodbye and crashes.
BURST_THEN_CRASH = (
    'i=1; while [ $i -le 1500 ]; do echo "burst line $i"; i=$((i+1)); done; sleep 3; echo "dying now" >&2; exit 3'
)


async def test_a_quick_restart_does_not_push_out_the_last_words_of_the_run_that_died(tmp_path: Path) -> None:
    """`restart: always`: the next run's burst is printed before a busy console reads the log up to the die; the
    engine takes its tail before it drops what came after the die, so that read alone finds nothing of the death."""
    async with _watching(tmp_path, BusyEngine(engine_url())):
        client = docker_client()
        name = unique('hl-restarting')
        container = client.containers.run(
            BASE_IMAGE,
            ['sh', '-c', BURST_THEN_CRASH],
            name=name,
            detach=True,
            restart_policy={'Name': 'always'},
            labels={'homelab.test': 'true'},
        )
        try:
            await wait_for_async(lambda: _count(name, 2), timeout=60, what='two deaths kept')
        finally:
            with contextlib.suppress(docker.errors.NotFound):
                container.remove(force=True)
            client.close()
        rows = (await LastWords.filter(name=name).order_by('ended_at'))[:2]
    for row in rows:
        lines = row.lines.split('\n')
        assert (row.exit_code, row.line_count, lines[-1]) == (3, 1000, 'dying now')
        assert lines[-2] == 'burst line 1500'
