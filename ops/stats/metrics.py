"""The console's numbers in Prometheus' text format (`GET /metrics`): containers, stacks, the host, the engine, and
the console's own runs, open alerts and outbox messages. Each scrape is rendered from its own registry."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry
from prometheus_client.exposition import choose_encoder
from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from ops.alerts.records import Alert
from ops.docker.containers import ContainerInfo, ContainerState, Health
from ops.host.disk import FilesystemUsage
from ops.host.samples import HostReading
from ops.stats.samples import ContainerSample
from ops.stats.usage import stack_usage

CONTAINER = ('name', 'stack', 'service')
NAN = math.nan


@dataclass(frozen=True, kw_only=True, slots=True)
class Scrape:
    """What one scrape shows. `samples`: the collector's fresh samples of the running containers by id (empty: no
    collector); `restarts`: restarts in the last 24 h by container name (None: not known)."""

    containers: Sequence[ContainerInfo]
    samples: Mapping[str, ContainerSample]
    engine_reachable: bool | None
    host: HostReading | None
    filesystems: Sequence[FilesystemUsage]
    alerts: Sequence[Alert]
    runs: Mapping[tuple[str, str], int]
    outbox: Mapping[str, int]
    restarts: Mapping[str, int] | None = field(default=None)


def exposition(scrape: Scrape, accept: str | None = None) -> tuple[bytes, str]:
    """The scrape and its content type, in the format the scraper's Accept asks for (OpenMetrics, else Prometheus'
    text format), by the library's own choice and encoders (which escape the label values)."""
    registry = CollectorRegistry(auto_describe=False)  # never the process-wide default registry
    registry.register(ScrapeCollector(scrape))
    encode, content_type = choose_encoder(accept or '')
    return encode(registry), content_type


class ScrapeCollector(Collector):
    """The metric families of one scrape."""

    def __init__(self, scrape: Scrape) -> None:
        self.scrape = scrape

    def collect(self) -> Iterator[Metric]:
        yield from self.containers()
        yield from self.stacks()
        yield from self.host()
        yield from self.console()

    def containers(self) -> Iterator[Metric]:
        scrape = self.scrape
        running = _gauge('container_running', 'Whether the container is running (1) or not (0).', CONTAINER)
        healthy = _gauge(
            'container_healthy', "The healthcheck's verdict: 1 healthy, 0 unhealthy, NaN none or starting.", CONTAINER
        )
        for info in scrape.containers:
            running.add_metric(_labels(info), float(info.state == ContainerState.RUNNING))
            healthy.add_metric(_labels(info), _health(info.health))
        yield running
        yield healthy
        measured = [(info, scrape.samples[info.id]) for info in scrape.containers if info.id in scrape.samples]
        for name, documentation, attribute, counter in SAMPLE_FAMILIES:
            family = (_counter if counter else _gauge)(name, documentation, CONTAINER)
            for info, sample in measured:
                number: float | None = getattr(sample, attribute)
                if number is not None:
                    family.add_metric(_labels(info), float(number))
            yield family
        if scrape.restarts is not None:
            restarts = _gauge('container_restarts_24h', 'Restarts of the container in the last 24 hours.', CONTAINER)
            for info in scrape.containers:
                restarts.add_metric(_labels(info), float(scrape.restarts.get(info.name, 0)))
            yield restarts

    def stacks(self) -> Iterator[Metric]:
        scrape = self.scrape
        cpu = _gauge(
            'stack_cpu_percent', "CPU use of the stack's running containers, in percent of one core.", ['stack']
        )
        memory = _gauge('stack_memory_bytes', "Memory used by the stack's running containers.", ['stack'])
        for stack, usage in stack_usage(scrape.containers, scrape.samples).items():
            cpu.add_metric([stack], usage.cpu_percent)
            memory.add_metric([stack], usage.memory_bytes)
        count = _gauge('stack_containers', "The stack's containers, by state.", ['stack', 'state'])
        for (stack, state), n in sorted(Counter((c.stack, c.state) for c in scrape.containers if c.stack).items()):
            count.add_metric([stack or '', state], n)
        yield from (cpu, memory, count)

    def host(self) -> Iterator[Metric]:
        scrape = self.scrape
        reachable = NAN if scrape.engine_reachable is None else float(scrape.engine_reachable)
        yield _gauge(
            'engine_reachable', 'Whether the Docker engine answers (1), not (0), not known yet (NaN).', [], reachable
        )
        if scrape.host is not None:
            reading = scrape.host
            yield _gauge('host_cpu_percent', "The host's CPU use, in percent of all cores.", [], reading.cpu_percent)
            yield _gauge('host_memory_percent', "The host's memory use, in percent.", [], reading.memory_percent)
            for minutes, load in (('1', reading.load1), ('5', reading.load5), ('15', reading.load15)):
                yield _gauge(f'host_load{minutes}', f'The {minutes}-minute load average.', [], load)
        mount = ['mountpoint', 'device', 'fstype']
        size = _gauge('host_filesystem_size_bytes', 'Size of a host filesystem.', mount)
        used = _gauge('host_filesystem_used_bytes', 'Bytes used on a host filesystem.', mount)
        percent = _gauge('host_filesystem_used_percent', 'How full a host filesystem is, in percent.', mount)
        for fs in scrape.filesystems:
            labels = [fs.mountpoint, fs.device, fs.fstype]
            size.add_metric(labels, fs.total_bytes)
            used.add_metric(labels, fs.used_bytes)
            percent.add_metric(labels, fs.percent)
        yield from (size, used, percent)

    def console(self) -> Iterator[Metric]:
        scrape = self.scrape
        runs = _gauge('runs', "The console's stored runs, by operation and state.", ['operation', 'state'])
        for (operation, state), n in sorted(scrape.runs.items()):
            runs.add_metric([operation, state], n)
        alerts = _gauge('alerts_open', 'Open alerts, by rule and severity.', ['rule', 'severity'])
        for (rule, severity), n in sorted(Counter((a.rule.value, a.severity.value) for a in scrape.alerts).items()):
            alerts.add_metric([rule, severity], n)
        outbox = _gauge('outbox_messages', 'Notification messages in the outbox, by state.', ['state'])
        for state, n in sorted(scrape.outbox.items()):
            outbox.add_metric([state], n)
        yield from (runs, alerts, outbox)


# The per-sample families: name (after `homelab_`), help, the sample's field (None: not shown), counter or gauge.
SAMPLE_FAMILIES: tuple[tuple[str, str, str, bool], ...] = (
    ('container_cpu_percent', 'CPU use, in percent of one core (200 = two cores busy).', 'cpu_percent', False),
    ('container_memory_bytes', 'Memory used.', 'memory_bytes', False),
    ('container_memory_limit_bytes', 'The memory limit (only containers with one).', 'memory_limit_bytes', False),
    ('container_network_receive_bytes', 'Bytes received since the container started.', 'net_rx_bytes', True),
    ('container_network_transmit_bytes', 'Bytes sent since the container started.', 'net_tx_bytes', True),
    ('container_block_read_bytes', 'Bytes read from block devices since it started.', 'block_read_bytes', True),
    ('container_block_write_bytes', 'Bytes written to block devices since it started.', 'block_write_bytes', True),
    ('container_pids', 'Processes and threads in the container.', 'pids', False),
)


def _gauge(name: str, documentation: str, labels: Sequence[str], value: float | None = None) -> GaugeMetricFamily:
    if value is not None:
        return GaugeMetricFamily(f'homelab_{name}', documentation, value=value)
    return GaugeMetricFamily(f'homelab_{name}', documentation, labels=labels)


def _counter(name: str, documentation: str, labels: Sequence[str]) -> CounterMetricFamily:
    return CounterMetricFamily(f'homelab_{name}', documentation, labels=labels)


def _labels(info: ContainerInfo) -> list[str]:
    return [info.name, info.stack or '', info.service or '']


def _health(health: str | None) -> float:
    if health == Health.HEALTHY:
        return 1.0
    if health == Health.UNHEALTHY:
        return 0.0
    return NAN
