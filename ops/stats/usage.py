"""What each running container uses now and each stack in total, from the collector's newest samples (what
/summary and /metrics show)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ops.docker.containers import ContainerInfo, ContainerState
from ops.stats.samples import ContainerSample, RecentSamples

# A sample older than this many collector intervals is no reading of now (the collector stalled, the engine went).
FRESH_TICKS = 3


@dataclass(frozen=True, kw_only=True, slots=True)
class StackUsage:
    """The sum over a stack's running containers that have a fresh sample."""

    cpu_percent: float
    memory_bytes: int


def current_samples(
    containers: Iterable[ContainerInfo], recent: RecentSamples, *, now: float, interval: float
) -> dict[str, ContainerSample]:
    """The newest sample of each container the observer sees running, when it is fresh (by container id)."""
    since = now - FRESH_TICKS * interval
    latest = recent.latest()
    running = {info.id for info in containers if info.state == ContainerState.RUNNING}
    return {cid: sample for cid, sample in latest.items() if cid in running and sample.at >= since}


def stack_usage(containers: Iterable[ContainerInfo], samples: Mapping[str, ContainerSample]) -> dict[str, StackUsage]:
    """Every stack with a container, with its totals (zero when none of them has a sample)."""
    cpu: dict[str, float] = {}
    memory: dict[str, int] = {}
    for info in containers:
        if not info.stack:
            continue
        sample = samples.get(info.id)
        cpu[info.stack] = cpu.get(info.stack, 0.0) + (sample.cpu_percent if sample else 0.0)
        memory[info.stack] = memory.get(info.stack, 0) + (sample.memory_bytes if sample else 0)
    return {stack: StackUsage(cpu_percent=cpu[stack], memory_bytes=memory[stack]) for stack in sorted(cpu)}
