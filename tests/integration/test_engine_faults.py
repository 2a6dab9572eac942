"""Engine faults through the real manager and catalog: killed mid-run, hung socket. Runs end `failed` with the
reason, within their timeout; slots and locks are freed; every `requested` audit event gets a final one."""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import docker
import pytest

from app.system import adapters_for
from ops.catalog import catalog
from ops.config import HomelabConfig
from ops.docker.engine import Engine
from ops.manager import Manager
from ops.runs import RunState
from ops.store.db import close_store, open_store
from ops.store.models import AuditEvent
from ops.store.owners import OwnerLock
from ops.world.observer import Observer
from tests.helpers.rig import require_engine
from tests.helpers.socket_proxy import EngineProxy
from tests.helpers.waiting import wait_for_async


@pytest.fixture
def stubborn_container() -> Iterator[str]:
    """A container whose PID 1 ignores SIGTERM, so a restart spends its whole grace period stopping it."""
    require_engine()
    client = docker.from_env(version='auto')
    name = f'hl-test-stubborn-{uuid.uuid4().hex[:8]}'
    container = client.containers.run(
        'busybox:1.36', ['sh', '-c', 'trap "" TERM; while :; do sleep 1; done'], name=name, detach=True
    )
    try:
        yield name
    finally:
        container.remove(force=True)


async def manager_for(tmp_path: Path, engine: Engine) -> tuple[Manager, OwnerLock]:
    await open_store(tmp_path / 'data' / 'homelab.sqlite3')
    owner = OwnerLock(tmp_path / 'data' / 'state' / 'owners')
    adapters = adapters_for(engine, HomelabConfig(), data_dir=tmp_path / 'data', repo_dir=tmp_path, env='prod')
    return Manager(adapters, owner=owner, registry=catalog()), owner


@pytest.fixture
async def proxied(tmp_path: Path) -> AsyncIterator[tuple[Manager, EngineProxy]]:
    require_engine()
    proxy = EngineProxy(tmp_path / 'engine.sock')
    proxy.start()
    manager, owner = await manager_for(tmp_path, Engine(proxy.url, timeout=30))
    try:
        yield manager, proxy
    finally:
        await manager.shutdown()
        proxy.stop()
        owner.release()
        await close_store()


async def test_engine_killed_mid_restart_fails_the_run_and_the_manager_recovers(
    proxied: tuple[Manager, EngineProxy], stubborn_container: str
) -> None:
    manager, proxy = proxied
    lines: list[str] = []
    handle = await manager.submit('docker_restart', {'container': stubborn_container}, actor='t', origin='test')
    stream = manager.stream(handle.run_id)  # before the run starts: it runs once this test awaits
    assert stream is not None
    stream.line.subscribe(lines.append)
    await wait_for_async(
        lambda: any(line.startswith('restarting') for line in lines), timeout=15, what='the restart to be under way'
    )
    started = time.monotonic()
    proxy.stop()  # the engine "dies" while it is stopping the container
    outcome = await asyncio.wait_for(handle.outcome(), timeout=60)
    assert outcome.state is RunState.FAILED
    assert outcome.error
    assert time.monotonic() - started < 30  # well inside the operation's 120 s timeout

    # Still down: another run fails quickly with the reason; back up: runs succeed again.
    down = await manager.run('docker_status', {}, actor='t', origin='test')
    assert down.state is RunState.FAILED and 'socket' in (down.error or '')
    proxy.start()
    up = await manager.run('docker_status', {}, actor='t', origin='test')
    assert up.state is RunState.SUCCEEDED
    again = await manager.run('docker_restart', {'container': stubborn_container}, actor='t', origin='test')
    assert again.state is not RunState.REJECTED  # the per-container lock was released

    requested = {e.run_id for e in await AuditEvent.filter(kind='requested')}
    final = {e.run_id for e in await AuditEvent.filter(kind__in=['finished', 'rejected'])}
    assert requested <= final


@pytest.fixture
def hung_engine(tmp_path: Path) -> Iterator[str]:
    """A socket that accepts connections and never answers (a wedged engine)."""
    path = tmp_path / 'hung.sock'
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(64)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
                held.append(conn)
            except TimeoutError:
                continue
            except OSError:
                return

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f'unix://{path}'
    finally:
        stop.set()
        thread.join(timeout=5)
        for conn in held:
            conn.close()
        server.close()


async def test_a_hung_engine_socket_fails_runs_at_their_timeout_and_frees_the_slot(
    tmp_path: Path, hung_engine: str
) -> None:
    manager, owner = await manager_for(tmp_path, Engine(hung_engine, timeout=2))
    try:
        started = time.monotonic()
        outcomes = await asyncio.gather(*[manager.run('docker_status', {}, actor='t', origin='test') for _ in range(3)])
        assert all(o.state is RunState.FAILED for o in outcomes)
        assert all('did not answer in time' in (o.error or '') for o in outcomes), [o.error for o in outcomes]
        assert time.monotonic() - started < 20
        assert manager.active_runs() == []
        echo = await manager.run('host_reboot_required', {}, actor='t', origin='test')
        assert echo.state is RunState.SUCCEEDED
    finally:
        await manager.shutdown()
        owner.release()
        await close_store()


async def test_behind_a_socket_proxy_that_refuses_info_the_observer_connects_and_lists_the_world(
    tmp_path: Path,
) -> None:
    require_engine()
    proxy = EngineProxy(tmp_path / 'engine.sock', refuse=('/info',))  # docker-socket-proxy's defaults: INFO=0
    proxy.start()
    observer = Observer(Engine(proxy.url, timeout=30), retry_min=0.05, retry_max=0.2)
    task = asyncio.create_task(observer.run())
    try:
        await wait_for_async(lambda: observer.engine_state.reachable, timeout=30, what='the engine reachable')
        assert observer.engine_state.version
        direct = Engine(os.environ.get('DOCKER_HOST') or None)
        await wait_for_async(
            lambda: set(observer.containers) == {info.id for info in direct.list_containers()},
            timeout=30,
            what='the world as the engine lists it',
        )
        client = docker.DockerClient(base_url=proxy.url)
        with pytest.raises(docker.errors.APIError):  # the proxy refuses it indeed
            client.info()
        client.close()
    finally:
        observer.stop()
        await asyncio.wait_for(task, timeout=10)
        proxy.stop()
