"""The Overview's data source, the observer, against the real engine and the homelab-dev stack."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path

import docker
import pytest

from ops.docker.engine import Engine
from ops.world.observer import ContainerChange, Observer
from tests.helpers.rig import require_dev_stack, require_engine
from tests.helpers.socket_proxy import EngineProxy
from tests.helpers.waiting import wait_for_async


@pytest.fixture
async def observer() -> AsyncIterator[Observer]:
    require_dev_stack()
    obs = Observer(Engine(os.environ.get('DOCKER_HOST') or None))
    task = asyncio.create_task(obs.run())
    try:
        yield obs
    finally:
        obs.stop()
        await asyncio.wait_for(task, timeout=10)


def by_service(obs: Observer, service: str) -> tuple[str, str | None] | None:
    for info in obs.containers.values():
        if info.stack == 'homelab-dev' and info.service == service:
            return info.state, info.health
    return None


async def test_dev_stack_states_as_the_overview_shows_them(observer: Observer) -> None:
    flaky_states: list[tuple[str, int | None]] = []
    observer.container_changed.subscribe(
        lambda c: c.info and c.info.service == 'flaky' and flaky_states.append((c.info.state, c.info.exit_code))
    )
    await wait_for_async(lambda: by_service(observer, 'web') == ('running', 'healthy'), timeout=60, what='web healthy')
    await wait_for_async(
        lambda: by_service(observer, 'sick') == ('running', 'unhealthy'), timeout=60, what='sick unhealthy'
    )
    # flaky exits with code 3 every ~20 s and its restart policy brings it straight back: the world
    # must still report the exit (with its code), then running again.
    await wait_for_async(
        lambda: ('exited', 3) in flaky_states or ('restarting', None) in flaky_states,
        timeout=60,
        what='flaky exited with code 3 or restarting',
    )
    await wait_for_async(
        lambda: by_service(observer, 'flaky') == ('running', None),
        timeout=30,
        what='flaky running again after its restart',
    )
    assert observer.engine_state.reachable is True


async def test_a_new_container_appears_and_disappears_from_events_alone(observer: Observer) -> None:
    await wait_for_async(lambda: observer.engine_state.reachable, what='first reconciliation')
    seen: list[ContainerChange] = []
    observer.container_changed.subscribe(seen.append)
    client = docker.from_env(version='auto')
    name = f'homelab-test-observer-{os.getpid()}'
    container = client.containers.create('busybox:1.36', ['sleep', '300'], name=name, init=True)
    try:
        container.start()
        await wait_for_async(
            lambda: any(c.info and c.info.name == name and c.info.state == 'running' for c in seen),
            timeout=15,
            what='the started container in the world',
        )
        container.stop(timeout=1)
        await wait_for_async(
            lambda: any(i.name == name and i.state == 'exited' for i in observer.containers.values()),
            timeout=15,
            what='the stop to reach the world',
        )
    finally:
        container.remove(force=True)
    await wait_for_async(
        lambda: all(i.name != name for i in observer.containers.values()),
        timeout=15,
        what='the removed container to leave the world',
    )


async def test_engine_down_then_back_is_reported_and_recovered(tmp_path: Path) -> None:
    require_engine()
    proxy = EngineProxy(tmp_path / 'engine.sock')
    obs = Observer(Engine(proxy.url, timeout=5), retry_min=0.2, retry_max=0.5)
    task = asyncio.create_task(obs.run())
    try:
        await wait_for_async(lambda: obs.engine_state.reachable is False, timeout=10, what='unreachable at start')
        assert 'socket' in obs.engine_state.error or 'refused' in obs.engine_state.error
        proxy.start()
        await wait_for_async(lambda: obs.engine_state.reachable and obs.containers, timeout=15, what='recovery')
        started = time.monotonic()
        proxy.stop()  # cuts the event stream, like an engine restart
        await wait_for_async(lambda: obs.engine_state.reachable is False, timeout=10, what='the cut to be noticed')
        assert time.monotonic() - started < 10
        proxy.start()
        await wait_for_async(lambda: obs.engine_state.reachable, timeout=15, what='second recovery')
    finally:
        obs.stop()
        proxy.stop()
        await asyncio.wait_for(task, timeout=10)
