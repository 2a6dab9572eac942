"""What the stats history answers (points, top consumers, stack totals) and the same of the last hour in memory."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from ops.stats.samples import ContainerSample, RecentSamples

MINUTE = 60
_COUNTERS = ('net_rx_bytes', 'net_tx_bytes', 'block_read_bytes', 'block_write_bytes')


@dataclass(frozen=True, kw_only=True, slots=True)
class StatPoint:
    """A container at `at` (unix seconds, the bucket's start): CPU in % of one core, memory in bytes, rates in bytes/s
    (0 when no two samples of the bucket could be compared)."""

    at: float
    cpu_avg: float
    cpu_max: float
    memory_avg: int
    memory_max: int
    memory_limit: int | None
    net_rx_rate: float
    net_tx_rate: float
    block_read_rate: float
    block_write_rate: float
    pids_max: int = 0


@dataclass(frozen=True, kw_only=True, slots=True)
class Consumer:
    """A container name's average CPU and memory over a span (over the time it ran in it)."""

    name: str
    stack: str | None
    cpu_avg: float
    memory_avg: int


@dataclass(frozen=True, kw_only=True, slots=True)
class StackTotal:
    """A stack's containers summed per bucket, then averaged (and the peak of the sums) over a span; `containers`
    is the most it ran at once."""

    stack: str
    containers: int
    cpu_avg: float
    cpu_max: float
    memory_avg: int
    memory_max: int


def counted(before: ContainerSample, after: ContainerSample) -> list[int] | None:
    """The bytes each counter moved between two samples; None when they cannot be compared (another container
    under the name, or a counter went backwards: the container restarted)."""
    if before.container_id != after.container_id or after.at <= before.at:
        return None
    moved = [getattr(after, name) - getattr(before, name) for name in _COUNTERS]
    return None if min(moved) < 0 else moved


def recent_of(recent: RecentSamples, since: float) -> dict[str, list[ContainerSample]]:
    """The last hour's samples per container name (every id it had), oldest first."""
    by_name: dict[str, list[ContainerSample]] = defaultdict(list)
    for container_id, latest in recent.latest().items():
        by_name[latest.name].extend(recent.of(container_id, since))
    return {name: sorted(samples, key=lambda s: s.at) for name, samples in by_name.items()}


def recent_points(recent: RecentSamples, name: str, since: float) -> list[StatPoint]:
    """Each sample as a point, its rates against the sample before it."""
    points = []
    before: ContainerSample | None = None
    for sample in recent_of(recent, since).get(name, []):
        moved = counted(before, sample) if before is not None else None
        seconds = sample.at - before.at if before is not None else 0.0
        rates = [m / seconds for m in moved] if moved is not None and seconds > 0 else [0.0] * 4
        points.append(
            StatPoint(
                at=sample.at,
                cpu_avg=sample.cpu_percent,
                cpu_max=sample.cpu_percent,
                memory_avg=sample.memory_bytes,
                memory_max=sample.memory_bytes,
                memory_limit=sample.memory_limit_bytes,
                net_rx_rate=rates[0],
                net_tx_rate=rates[1],
                block_read_rate=rates[2],
                block_write_rate=rates[3],
                pids_max=sample.pids,
            )
        )
        before = sample
    return points


def recent_consumers(recent: RecentSamples, since: float) -> list[Consumer]:
    return [
        Consumer(
            name=name,
            stack=samples[-1].stack,
            cpu_avg=sum(s.cpu_percent for s in samples) / len(samples),
            memory_avg=round(sum(s.memory_bytes for s in samples) / len(samples)),
        )
        for name, samples in recent_of(recent, since).items()
        if samples
    ]


def recent_stack_totals(recent: RecentSamples, since: float) -> dict[str, StackTotal]:
    """The stack totals of the last hour, the samples bucketed by minute like the stored ones."""
    sums: dict[str, dict[int, list[float]]] = defaultdict(dict)
    for samples in recent_of(recent, since).values():
        per_minute: dict[int, list[ContainerSample]] = defaultdict(list)
        for sample in samples:
            per_minute[int(sample.at // MINUTE * MINUTE)].append(sample)
        for start, group in per_minute.items():
            stack = group[-1].stack
            if stack is not None:
                total = sums[stack].setdefault(start, [0.0, 0.0, 0.0])
                total[0] += sum(s.cpu_percent for s in group) / len(group)
                total[1] += sum(s.memory_bytes for s in group) / len(group)
                total[2] += 1
    return {
        stack: StackTotal(
            stack=stack,
            containers=round(max(t[2] for t in minutes.values())),
            cpu_avg=sum(t[0] for t in minutes.values()) / len(minutes),
            cpu_max=max(t[0] for t in minutes.values()),
            memory_avg=round(sum(t[1] for t in minutes.values()) / len(minutes)),
            memory_max=round(max(t[1] for t in minutes.values())),
        )
        for stack, minutes in sums.items()
    }
