"""The server's alert watchers are wired and started with it: a run that failed in another process (a row in the
runs table, as the CLI leaves it) raises its alert, and the server stops promptly with every watcher running."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from app.settings import Settings
from app.system import System
from ops.alerts.records import Alert
from ops.alerts.rules import Rule
from ops.clock import utc_now
from ops.config import HomelabConfig
from ops.runs import RunState
from ops.store.models import Run
from tests.helpers.docker_ops import engine_url
from tests.helpers.rig import require_engine
from tests.helpers.waiting import wait_for_async


async def test_a_run_failed_elsewhere_raises_its_alert_in_the_running_server(tmp_path: Path) -> None:
    require_engine()
    settings = Settings(data_dir=tmp_path / 'data', repo_dir=tmp_path, docker_host=engine_url())
    system = System(settings, HomelabConfig())
    await system.start()
    try:
        await wait_for_async(lambda: system.observer.engine_state.reachable, timeout=30, what='the engine')
        await Run.create(
            operation='docker_restart', params={'container': 'homelab-dev-web-1'}, actor='cli:root', origin='cli',
            state=RunState.FAILED, finished_at=utc_now(), error='the engine refused',
        )  # fmt: skip
        await wait_for_async(
            lambda: system.alerts.is_open(Rule.RUN_FAILED, 'docker_restart homelab-dev-web-1'),
            timeout=30,
            what='the run_failed alert',
        )
        rules = {a.rule for a in await Alert.all()}  # the dev stack's own containers may alert too
        assert Rule.RUN_FAILED in rules and not rules & {Rule.ENGINE_UNREACHABLE, Rule.AUDIT_CHAIN}
        assert all(not task.done() for task in system._tasks)
    finally:
        started = time.monotonic()
        await asyncio.wait_for(system.stop(), 20)
    assert time.monotonic() - started < 10
