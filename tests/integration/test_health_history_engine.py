"""The server's health history against the real engine: a container's runs, its exit code and its restart."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from app.settings import Settings
from app.system import System
from ops.clock import utc_now
from ops.config import HomelabConfig
from ops.stats.records import Uptime
from tests.helpers.docker_ops import docker_client, engine_url
from tests.helpers.waiting import wait_for_async


async def test_the_server_keeps_a_containers_runs_exit_code_and_restart(tmp_path: Path, box: str) -> None:
    settings = Settings(data_dir=tmp_path / 'data', repo_dir=tmp_path, docker_host=engine_url())
    server = System(settings, HomelabConfig())
    began = utc_now() - timedelta(seconds=1)
    await server.start()

    async def shows(*expected: Uptime) -> bool:
        return [interval.state for interval in await server.health_history.timeline(box, '1h')] == list(expected)

    try:
        await wait_for_async(lambda: server.observer.engine_state.reachable, timeout=30, what='the engine')
        docker_client().api.start(box)
        await wait_for_async(lambda: shows(Uptime.EXITED, Uptime.RUNNING), timeout=30, what='the start')
        docker_client().api.kill(box)
        await wait_for_async(lambda: shows(Uptime.EXITED, Uptime.RUNNING, Uptime.EXITED), timeout=30, what='the kill')
        docker_client().api.start(box)
        await wait_for_async(lambda: server.health_history.restarts(box, since=began), timeout=30, what='a restart')
        timeline = await server.health_history.timeline(box, '1h')
    finally:
        await server.stop()
    assert [(i.state, i.exit_code) for i in timeline] == [
        (Uptime.EXITED, None),  # created, never started: not a restart when it starts
        (Uptime.RUNNING, None),
        (Uptime.EXITED, 137),
        (Uptime.RUNNING, None),
    ]
