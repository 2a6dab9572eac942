"""docker_stop and docker_start against the real engine, through the real manager and catalog: one change to a
container at a time, the container's own stop timeout, and the same refusals as docker_restart."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import docker.errors
import pytest

from ops.adapters import Adapters
from ops.catalog import catalog
from ops.errors import Refused
from ops.manager import Manager
from ops.runs import RunState
from ops.store.db import close_store, open_store
from ops.store.owners import OwnerLock
from tests.helpers.docker_ops import (
    BASE_IMAGE,
    close_adapters,
    docker_client,
    make_adapters,
    run_op,
    throwaway_web_container,
    unique,
    wait_healthy,
)
from tests.helpers.rig import require_engine
from tests.helpers.waiting import wait_for_async

GRACE = 3  # the stubborn container's own stop timeout, in seconds


@pytest.fixture
def stubborn() -> Iterator[str]:
    """A running container whose PID 1 ignores SIGTERM and whose own stop timeout is GRACE seconds."""
    require_engine()
    name = unique()
    client = docker_client()
    client.api.create_container(
        BASE_IMAGE,
        ['sh', '-c', 'trap "" TERM; while :; do sleep 1; done'],
        name=name,
        stop_timeout=GRACE,
        labels={'homelab.test': 'true'},
    )
    client.api.start(name)
    try:
        yield name
    finally:
        with contextlib.suppress(docker.errors.NotFound):
            client.api.remove_container(name, force=True)
        client.close()


@pytest.fixture
async def manager(tmp_path: Path) -> AsyncIterator[Manager]:
    """The real manager and catalog, as in production (any container may be changed)."""
    require_engine()
    await open_store(tmp_path / 'data' / 'homelab.sqlite3')
    owner = OwnerLock(tmp_path / 'data' / 'state' / 'owners')
    adapters = make_adapters(tmp_path / 'data', env='prod')
    mgr = Manager(adapters, owner=owner, registry=catalog())
    try:
        yield mgr
    finally:
        await mgr.shutdown()
        await close_adapters(adapters)
        owner.release()
        await close_store()


def running(name: str) -> bool:
    return bool(docker_client().api.inspect_container(name)['State']['Running'])


async def test_stop_then_start_one_change_to_the_container_at_a_time(manager: Manager, stubborn: str) -> None:
    lines: list[str] = []
    started = time.monotonic()
    stop = await manager.submit('docker_stop', {'container': stubborn}, actor='t', origin='test')
    stream = manager.stream(stop.run_id)  # as a run view does, right after the submit: the run starts after this
    assert stream is not None
    stream.line.subscribe(lines.append)
    await wait_for_async(lambda: any(line.startswith('stopping') for line in lines), timeout=15, what='the stop')
    for other in ('docker_restart', 'docker_start', 'docker_stop'):
        busy = await manager.run(other, {'container': stubborn}, actor='t', origin='test')
        assert busy.state is RunState.REJECTED and 'busy' in (busy.error or ''), (other, busy.error)

    stopped = await asyncio.wait_for(stop.outcome(), timeout=60)
    assert stopped.state is RunState.SUCCEEDED, stopped.error
    assert stopped.result is not None
    assert (stopped.result['state_before'], stopped.result['state']) == ('running', 'exited')
    # SIGTERM is ignored: the engine kills it after the container's own stop timeout (GRACE), not the default 10 s.
    assert GRACE - 0.5 <= time.monotonic() - started < 10
    assert not running(stubborn)

    start = await manager.run('docker_start', {'container': stubborn}, actor='t', origin='test')
    assert start.state is RunState.SUCCEEDED, start.error
    assert start.result is not None and start.result['state'] == 'running'
    assert start.result['started_at'] > start.result['started_at_before']
    assert running(stubborn)


async def test_a_stopped_web_container_serves_again_after_start(tmp_path: Path) -> None:
    require_engine()
    adapters = make_adapters(tmp_path, env='prod')
    try:
        with throwaway_web_container() as name:
            await asyncio.to_thread(wait_healthy, name)
            stopped = await run_op(adapters, 'docker_stop', container=name)
            assert stopped['state'] == 'exited' and stopped['container'] == name
            again = await run_op(adapters, 'docker_stop', container=name)  # already stopped: nothing changes
            assert (again['state_before'], again['state']) == ('exited', 'exited')
            started = await run_op(adapters, 'docker_start', container=name)
            assert started['state'] == 'running'
            await asyncio.to_thread(wait_healthy, name)
    finally:
        await close_adapters(adapters)


async def test_stop_and_start_are_refused_like_restart(dev: Adapters) -> None:
    for name in ('docker_stop', 'docker_start'):
        with pytest.raises(Refused, match='no container named'):
            await run_op(dev, name, container='hl-test-no-such-container')
    with throwaway_web_container() as outside:
        for name in ('docker_stop', 'docker_start'):
            with pytest.raises(Refused, match='HOMELAB_ENV=dev'):
                await run_op(dev, name, container=outside)
        assert running(outside)
