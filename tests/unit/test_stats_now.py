"""What "now" means for the pages, /summary and /metrics: the newest fresh sample of each container running now,
never the last one of a container that stopped (the last hour in memory still holds it)."""

from __future__ import annotations

import time

from ops.docker.containers import ContainerInfo
from ops.docker.engine import Engine
from ops.stats.collector import StatsCollector
from ops.stats.samples import ContainerSample
from ops.world.observer import Observer


def info(cid: str, name: str, state: str) -> ContainerInfo:
    return ContainerInfo(
        id=cid, name=name, stack='media', service=name, state=state, health=None, image='busybox', status=state,
        created=0,
    )  # fmt: skip


def sample(cid: str, name: str, at: float) -> ContainerSample:
    return ContainerSample(
        container_id=cid, name=name, stack='media', at=at, cpu_percent=50.0, memory_bytes=1, memory_limit_bytes=None,
        net_rx_bytes=0, net_tx_bytes=0, block_read_bytes=0, block_write_bytes=0, pids=1,
    )  # fmt: skip


def test_now_is_the_running_containers_fresh_samples_only() -> None:
    observer = Observer(Engine('unix:///nonexistent/docker.sock'))
    stats = StatsCollector(observer.engine, observer, interval=10)
    now = time.time()
    stats.recent.add(
        [sample('a' * 64, 'web', now), sample('b' * 64, 'db', now - 5), sample('c' * 64, 'old', now - 600)]
    )
    observer.containers = {
        'a' * 64: info('a' * 64, 'web', 'running'),
        'b' * 64: info('b' * 64, 'db', 'exited'),  # stopped since its last sample
        'c' * 64: info('c' * 64, 'old', 'running'),  # no fresh sample (its reads fail)
    }
    assert [s.name for s in stats.current().values()] == ['web']
