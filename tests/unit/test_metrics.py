"""GET /metrics' body and /summary's numbers, from the collector's samples: read back with prometheus-client's own
text parser, container names a stranger chose come back intact (escaped by the library), stopped or stale containers
show no numbers, and the console's runs and outbox are counted from a real store."""

from __future__ import annotations

import math
from datetime import UTC, datetime

from prometheus_client.openmetrics.parser import text_string_to_metric_families as openmetrics_families
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from ops.alerts.records import Alert
from ops.alerts.rules import AlertSeverity, Rule
from ops.docker.containers import ContainerInfo
from ops.docker.engine import Engine
from ops.host.disk import FilesystemUsage
from ops.host.samples import HostReading
from ops.notify.outbox import MessageState, OutboxMessage
from ops.runs import RunState
from ops.stats.console_counts import outbox_by_state, runs_by_operation_and_state
from ops.stats.metrics import Scrape, exposition
from ops.stats.samples import ContainerSample, RecentSamples
from ops.stats.usage import current_samples
from ops.store.models import Run
from ops.summary import build_summary
from ops.world.observer import Observer

NOW = 1_800_000_000.0
MIB = 1024 * 1024
# A name as a compose file or `docker run --name` could never make, but a label value might carry: quotes,
# a backslash and a line break must not end the label or start a new series.
ODD = 'media-"web"\\1\nhomelab_fake 1'


def info(name: str, *, stack: str | None = 'media', state: str = 'running', health: str | None = None) -> ContainerInfo:
    return ContainerInfo(
        id=f'id-{name}', name=name, stack=stack, service=name.split('-')[-1], state=state, health=health,
        image='busybox:1.36', status=state, created=0,
    )  # fmt: skip


def sample(
    of: ContainerInfo, *, cpu: float, memory_mib: int, limit_mib: int | None, at: float = NOW
) -> ContainerSample:
    return ContainerSample(
        container_id=of.id, name=of.name, stack=of.stack, at=at, cpu_percent=cpu, memory_bytes=memory_mib * MIB,
        memory_limit_bytes=limit_mib * MIB if limit_mib else None, net_rx_bytes=1000, net_tx_bytes=2000,
        block_read_bytes=3000, block_write_bytes=4000, pids=7,
    )  # fmt: skip


WEB = info('media-web', health='healthy')
JELLYFIN = info('media-jellyfin', health='unhealthy')
DB = info('db', stack=None)
OLD = info('media-old', state='exited')
STRANGE = info(ODD, stack='odd')
CONTAINERS = [WEB, JELLYFIN, DB, OLD, STRANGE]
SAMPLES = {
    WEB.id: sample(WEB, cpu=12.5, memory_mib=100, limit_mib=512),
    JELLYFIN.id: sample(JELLYFIN, cpu=150.0, memory_mib=900, limit_mib=None),
    STRANGE.id: sample(STRANGE, cpu=1.0, memory_mib=10, limit_mib=None),
}


def scrape(**overrides: object) -> Scrape:
    parts: dict[str, object] = {
        'containers': CONTAINERS,
        'samples': SAMPLES,
        'engine_reachable': True,
        'host': HostReading(
            at=datetime(2026, 11, 30, tzinfo=UTC), cpu_percent=23.0, memory_percent=61.0, load1=0.5, load5=0.4,
            load15=0.3,
        ),
        'filesystems': [
            FilesystemUsage(
                device='/dev/sda1', mountpoint='/', fstype='ext4', total_bytes=100, used_bytes=40, free_bytes=60,
                percent=40.0,
            )
        ],
        'alerts': [
            Alert(rule=Rule.MEMORY_NEAR_LIMIT, severity=AlertSeverity.WARNING, target='media-web'),
            Alert(rule=Rule.MEMORY_NEAR_LIMIT, severity=AlertSeverity.WARNING, target='media-jellyfin'),
            Alert(rule=Rule.ENGINE_UNREACHABLE, severity=AlertSeverity.CRITICAL, target='engine'),
        ],
        'runs': {('docker_restart', 'succeeded'): 4, ('docker_restart', 'failed'): 1},
        'outbox': {'pending': 2, 'held': 0, 'sent': 9, 'failed': 1},
    } | overrides  # fmt: skip
    return Scrape(**parts)  # type: ignore[arg-type]


def parsed(body: bytes) -> dict[str, list[Sample]]:
    return {family.name: family.samples for family in text_string_to_metric_families(body.decode())}


def text(shown: Scrape) -> bytes:
    body, content_type = exposition(shown)
    assert content_type == 'text/plain; version=0.0.4; charset=utf-8'  # what every Prometheus reads
    return body


def values(samples: list[Sample], *keys: str) -> dict[tuple[str, ...], float]:
    return {tuple(s.labels[k] for k in keys): s.value for s in samples}


def test_the_body_parses_with_the_container_stack_host_and_console_families() -> None:
    families = parsed(text(scrape()))
    container = ['running', 'healthy', 'cpu_percent', 'memory_bytes', 'memory_limit_bytes', 'network_receive_bytes',
                 'network_transmit_bytes', 'block_read_bytes', 'block_write_bytes', 'pids']  # fmt: skip
    others = ['stack_cpu_percent', 'stack_memory_bytes', 'stack_containers', 'engine_reachable', 'host_cpu_percent',
              'host_memory_percent', 'host_load1', 'host_filesystem_used_percent', 'host_filesystem_size_bytes',
              'host_filesystem_used_bytes', 'runs', 'alerts_open', 'outbox_messages']  # fmt: skip
    expected = {f'homelab_container_{name}' for name in container} | {f'homelab_{name}' for name in others}
    assert expected <= set(families)
    cpu = values(families['homelab_container_cpu_percent'], 'name', 'stack', 'service')
    assert cpu[('media-web', 'media', 'web')] == 12.5
    assert cpu[('media-jellyfin', 'media', 'jellyfin')] == 150.0
    assert ('media-old', 'media', 'old') not in cpu  # stopped: no numbers, only running=0
    assert values(families['homelab_container_memory_limit_bytes'], 'name') == {('media-web',): 512 * MIB}
    running = values(families['homelab_container_running'], 'name')
    assert (running[('media-web',)], running[('media-old',)], running[('db',)]) == (1.0, 0.0, 1.0)
    healthy = values(families['homelab_container_healthy'], 'name')
    assert (healthy[('media-web',)], healthy[('media-jellyfin',)]) == (1.0, 0.0)
    assert math.isnan(healthy[('db',)])  # no healthcheck
    [received] = [s for s in families['homelab_container_network_receive_bytes'] if s.labels['name'] == 'media-web']
    assert (received.name, received.value) == ('homelab_container_network_receive_bytes_total', 1000)
    assert values(families['homelab_stack_cpu_percent'], 'stack') == {('media',): 162.5, ('odd',): 1.0}
    assert values(families['homelab_stack_memory_bytes'], 'stack')[('media',)] == 1000 * MIB
    assert values(families['homelab_stack_containers'], 'stack', 'state')[('media', 'exited')] == 1
    assert families['homelab_engine_reachable'][0].value == 1.0
    assert families['homelab_host_cpu_percent'][0].value == 23.0
    assert values(families['homelab_host_filesystem_used_percent'], 'mountpoint', 'fstype') == {('/', 'ext4'): 40.0}
    assert values(families['homelab_runs'], 'operation', 'state') == {
        ('docker_restart', 'succeeded'): 4,
        ('docker_restart', 'failed'): 1,
    }
    assert values(families['homelab_alerts_open'], 'rule', 'severity') == {
        ('memory_near_limit', 'warning'): 2,
        ('engine_unreachable', 'critical'): 1,
    }
    assert values(families['homelab_outbox_messages'], 'state')[('failed',)] == 1


def test_a_strange_container_name_stays_one_label_value_and_makes_no_series_of_its_own() -> None:
    body = text(scrape())
    families = parsed(body)
    assert 'homelab_fake' not in families
    assert not any(line.startswith('homelab_fake') for line in body.decode().splitlines())
    memory = values(families['homelab_container_memory_bytes'], 'name')
    assert memory[(ODD,)] == 10 * MIB


def test_without_a_collector_or_engine_the_body_still_parses() -> None:
    families = parsed(text(scrape(samples={}, engine_reachable=None, host=None, filesystems=[], alerts=[])))
    assert math.isnan(families['homelab_engine_reachable'][0].value)
    assert families['homelab_container_cpu_percent'] == []
    assert values(families['homelab_stack_cpu_percent'], 'stack') == {('media',): 0.0, ('odd',): 0.0}
    assert 'homelab_host_cpu_percent' not in families
    assert 'homelab_container_restarts_24h' not in families  # not known without the health history


def test_a_scraper_asking_for_openmetrics_gets_it() -> None:
    body, content_type = exposition(
        scrape(), 'application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5'
    )
    assert content_type.startswith('application/openmetrics-text; version=1.0.0')
    families = {f.name: f for f in openmetrics_families(body.decode())}
    assert families['homelab_container_network_receive_bytes'].type == 'counter'
    assert families['homelab_container_memory_bytes'].type == 'gauge'


def test_restarts_when_known() -> None:
    families = parsed(text(scrape(restarts={'media-web': 3})))
    restarts = values(families['homelab_container_restarts_24h'], 'name')
    assert (restarts[('media-web',)], restarts[('db',)]) == (3, 0)


def test_only_fresh_samples_of_running_containers_count() -> None:
    recent = RecentSamples()
    stale = info('media-stale')
    recent.add([SAMPLES[WEB.id], sample(OLD, cpu=5, memory_mib=5, limit_mib=None, at=NOW - 10)])
    recent.add([sample(stale, cpu=5, memory_mib=5, limit_mib=None, at=NOW - 31)])
    now = current_samples([WEB, OLD, stale], recent, now=NOW, interval=10)
    assert list(now) == [WEB.id]  # OLD has exited; the stale one was last seen three ticks ago


async def test_runs_and_outbox_are_counted_from_the_store(store: None) -> None:
    for state in (RunState.SUCCEEDED, RunState.SUCCEEDED, RunState.FAILED):
        await Run.create(operation='docker_restart', params={}, actor='cli:root', origin='cli', state=state)
    await Run.create(operation='docker_status', params={}, actor='ui:admin', origin='ui', state=RunState.SUCCEEDED)
    await OutboxMessage.create(
        channel='pager', dedup_key='a', title='t', body='b', next_attempt_at=datetime.now(UTC), state=MessageState.SENT
    )
    assert await runs_by_operation_and_state() == {
        ('docker_restart', 'succeeded'): 2,
        ('docker_restart', 'failed'): 1,
        ('docker_status', 'succeeded'): 1,
    }
    assert await outbox_by_state() == {'pending': 0, 'held': 0, 'sent': 1, 'failed': 0}


async def test_the_summary_lists_each_containers_cpu_and_memory_and_each_stacks_totals(store: None) -> None:
    observer = Observer(Engine('unix:///nonexistent/docker.sock'))
    observer.containers = {c.id: c for c in (WEB, JELLYFIN, OLD)}
    body = await build_summary(observer, managed=['media', 'backup'], samples=SAMPLES)
    assert body['schema'] == 1
    items = {item['name']: item for item in body['containers']['items']}
    assert items['media-web'] == {
        'id': WEB.short_id, 'name': 'media-web', 'stack': 'media', 'service': 'web', 'state': 'running',
        'health': 'healthy', 'cpu_percent': 12.5, 'memory_bytes': 100 * MIB, 'memory_limit_bytes': 512 * MIB,
    }  # fmt: skip
    assert (items['media-jellyfin']['memory_limit_bytes'], items['media-old']['cpu_percent']) == (None, None)
    media = body['stacks']['media']
    assert (media['containers'], media['cpu_percent'], media['memory_bytes']) == (3, 162.5, 1000 * MIB)
    assert (body['stacks']['backup']['cpu_percent'], body['stacks']['backup']['memory_bytes']) == (0.0, 0)
    unmeasured = await build_summary(observer, managed=['media'])
    assert unmeasured['stacks']['media']['cpu_percent'] is None
    assert unmeasured['containers']['items'][0]['memory_bytes'] is None
