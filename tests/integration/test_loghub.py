"""LogHub against the real engine: one shared stream per container, bounded subscribers, clean shutdown."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator

import pytest

from ops.docker.engine import Engine
from ops.docker.loghub import LogHub, Subscription
from ops.docker.logstream import LogLine
from tests.helpers.docker_ops import engine_url
from tests.helpers.rig import require_dev_stack
from tests.helpers.waiting import wait_for_async

LOGGER = 'homelab-dev-logger-1'


@pytest.fixture
async def engine() -> AsyncIterator[Engine]:
    require_dev_stack()
    engine = Engine(engine_url())
    yield engine
    await asyncio.to_thread(engine.reset)


async def take(sub: Subscription, count: int, timeout: float = 20) -> list[LogLine]:
    lines: list[LogLine] = []

    async def read() -> None:
        async for line in sub:
            lines.append(line)
            if len(lines) == count:
                return

    await asyncio.wait_for(read(), timeout=timeout)
    return lines


def stream_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == f'logs:{LOGGER}']


async def test_two_subscribers_share_one_engine_stream_that_closes_when_both_leave(engine: Engine) -> None:
    hub = LogHub(engine)
    async with hub.follow(LOGGER, tail=3) as first:
        first_lines = await take(first, 4)  # three from the tail, then one live
        async with hub.follow(LOGGER, tail=2) as second:
            assert hub.active_streams == 1
            assert len(stream_threads()) == 1
            second_lines = await take(second, 3)
            more_first = await take(first, 2)
        assert hub.active_streams == 1  # the first subscriber is still reading
    assert hub.active_streams == 0
    assert stream_threads() == []  # the reader thread ended with its stream
    assert all(line.timestamp for line in first_lines + second_lines + more_first)
    assert {line.stream for line in first_lines + second_lines + more_first} <= {'stdout', 'stderr'}
    # The later subscriber's tail comes from what the shared stream has already seen.
    assert second_lines[0] in first_lines + more_first


async def test_a_subscriber_that_stops_reading_is_told_how_many_lines_it_missed(engine: Engine) -> None:
    hub = LogHub(engine, queue_limit=3)
    async with hub.follow(LOGGER, tail=0) as slow, hub.follow(LOGGER, tail=0) as fast:
        # `fast` keeps reading; `slow` reads nothing while the logger writes about three lines a second.
        fast_lines = await take(fast, 8)
        await wait_for_async(lambda: slow.skipped >= 3, timeout=20, what='lines skipped by the slow reader')
        lines = await take(slow, 4)
    markers = [line for line in lines if line.stream == 'marker']
    assert markers, lines
    assert 'lines skipped' in markers[0].text
    assert len(fast_lines) == 8 and fast.skipped == 0
    assert hub.active_streams == 0


async def test_the_stream_of_a_container_that_stops_ends_its_subscribers(engine: Engine) -> None:
    import docker

    client = docker.DockerClient(base_url=engine_url()) if engine_url() else docker.from_env()
    container = client.containers.run(
        'busybox:1.36', ['sh', '-c', 'for i in 1 2 3; do echo tick $i; sleep 0.3; done'], detach=True, init=True
    )
    try:
        hub = LogHub(engine)
        async with hub.follow(container.id, tail=10) as sub:
            lines = await take(sub, 3)
            rest = [line async for line in sub]  # ends by itself when the container exits
        assert [line.text for line in lines + rest] == ['tick 1', 'tick 2', 'tick 3']
        assert hub.active_streams == 0
    finally:
        container.remove(force=True)
        client.close()


async def test_hub_close_ends_every_subscriber(engine: Engine) -> None:
    hub = LogHub(engine)
    async with hub.follow(LOGGER, tail=1) as sub:
        await take(sub, 1)
        await hub.close()
        assert [line async for line in sub] == []
    assert hub.active_streams == 0 and stream_threads() == []
