"""B8 operation overhead: docker_restart and docker_status through Manager.run vs the docker-py call alone.

Manager.run is the whole path a request takes (validation, run row, `requested` audit, world check, lock,
pool, handler, `finished` audit) on a temp store made by open_store, with the audit trail anchored as the
console's. The direct calls use a separate docker-py client: `api.restart(name, timeout=10)` and
`api.containers(all=True)`. docker_status runs with ~200 containers on the engine (throwaways created, not
started). Calls alternate; medians are compared.
HOMELAB_ENV is prod for the manager here: dev mode would refuse to restart a container outside homelab-dev.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from app.system import adapters_for
from bench.common import Report, client, create_container, create_many, env_int, median, ms, percentile
from bench.common import remove_containers as remove
from ops.catalog import catalog
from ops.config import HomelabConfig
from ops.docker.engine import Engine
from ops.manager import Manager
from ops.runs import RunState
from ops.store.audit import AuditLog
from ops.store.chain_head import HeadAnchor
from ops.store.db import close_store, open_store
from ops.store.owners import OwnerLock

ID = 'B8'
TITLE = 'operation overhead: docker_restart and docker_status through the manager'


def run() -> Report:
    return asyncio.run(_run())


async def _run() -> Report:
    report = Report(
        id=ID,
        title=TITLE,
        baseline='the same docker-py call made directly (api.restart / api.containers)',
        target='<= 1.15x',
    )
    restarts = env_int('BENCH_B8_RESTARTS', 5)
    statuses = env_int('BENCH_B8_STATUS', 15)
    fill = env_int('BENCH_B8_CONTAINERS', 200)
    api = client().api
    names: list[str] = []
    with tempfile.TemporaryDirectory(prefix='hl-bench-') as tmp:
        data = Path(tmp) / 'data'
        await open_store(data / 'homelab.sqlite3')
        owner = OwnerLock(data / 'state' / 'owners')
        engine = Engine()
        adapters = adapters_for(engine, HomelabConfig(), data_dir=data, repo_dir=Path(tmp), env='prod')
        # The audit trail as the console's: anchored (state file + journal, under the appenders' lock).
        manager = Manager(adapters, owner=owner, audit=AuditLog(HeadAnchor(data)), registry=catalog())
        failures: list[str] = []
        try:
            target = await asyncio.to_thread(create_container, 'restart', ['sleep', '3600'])
            names.append(target)

            async def via_manager_restart() -> None:
                outcome = await manager.run('docker_restart', {'container': target}, actor='bench', origin='bench')
                if outcome.state is not RunState.SUCCEEDED:
                    failures.append(f'docker_restart: {outcome.state.value} {outcome.error}')

            async def direct_restart() -> None:
                await asyncio.to_thread(api.restart, target, timeout=10)

            m_restart, d_restart = await _alternate(via_manager_restart, direct_restart, restarts)

            have = len(await asyncio.to_thread(api.containers, all=True))
            if have < fill:
                names += await asyncio.to_thread(create_many, 'status', fill - have, ['sleep', '3600'], start=False)
            listed = len(await asyncio.to_thread(api.containers, all=True))

            async def via_manager_status() -> None:
                outcome = await manager.run('docker_status', {}, actor='bench', origin='bench')
                if outcome.state is not RunState.SUCCEEDED:
                    failures.append(f'docker_status: {outcome.state.value} {outcome.error}')

            async def direct_status() -> None:
                await asyncio.to_thread(api.containers, all=True)

            m_status, d_status = await _alternate(via_manager_status, direct_status, statuses)
        finally:
            await manager.shutdown()
            owner.release()
            await close_store()
            engine.reset()
            await asyncio.to_thread(remove, names)
    report.add(f'docker_restart via Manager.run, median of {restarts}', ms(median(m_restart)), 'ms')
    report.add('docker_restart direct api.restart, median', ms(median(d_restart)), 'ms')
    restart_ratio = median(m_restart) / median(d_restart)
    report.add('docker_restart: manager / direct (medians)', round(restart_ratio, 3), 'x')
    report.add('containers listed by docker_status', listed)
    report.add(f'docker_status via Manager.run, median of {statuses}', ms(median(m_status)), 'ms')
    report.add('docker_status via Manager.run, p95', ms(percentile(m_status, 95)), 'ms')
    report.add('docker_status direct api.containers(all=True), median', ms(median(d_status)), 'ms')
    report.add('docker_status direct api.containers(all=True), p95', ms(percentile(d_status, 95)), 'ms')
    for failure in failures[:3]:
        report.note(f'a run did not succeed: {failure}')
    status_ratio = median(m_status) / median(d_status)
    report.add('docker_status: manager / direct (medians)', round(status_ratio, 3), 'x')
    worst = max(restart_ratio, status_ratio)
    which = 'docker_restart' if restart_ratio >= status_ratio else 'docker_status'
    return report.finish(
        round(worst, 3),
        f'worst of the two, manager / direct ({which})',
        figure=f'status {ms(median(m_status)):.1f} ms vs {ms(median(d_status)):.1f}; restart {restart_ratio:.2f}x',
        met=worst <= 1.15 and not failures,
    )


async def _alternate(
    first: Callable[[], Awaitable[None]], second: Callable[[], Awaitable[None]], times: int
) -> tuple[list[float], list[float]]:
    """Wall times of `first` and `second`, called in turn (after one warm-up call each)."""
    await first()
    await second()
    a: list[float] = []
    b: list[float] = []
    for _ in range(times):
        for call, into in ((first, a), (second, b)):
            start = time.perf_counter()
            await call()
            into.append(time.perf_counter() - start)
    return a, b
