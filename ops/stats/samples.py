"""What the stats collector measures of one running container at one moment, and the last hour of it in memory."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

RECENT_SECONDS = 3600.0


@dataclass(frozen=True, kw_only=True, slots=True)
class ContainerSample:
    """One container at one tick. `at` is unix seconds; `cpu_percent` is of one core (200 = two cores busy);
    the byte counters are totals since the container started (rates are differences of two samples);
    `memory_limit_bytes` is None without a limit."""

    container_id: str
    name: str
    stack: str | None
    at: float
    cpu_percent: float
    memory_bytes: int
    memory_limit_bytes: int | None
    net_rx_bytes: int
    net_tx_bytes: int
    block_read_bytes: int
    block_write_bytes: int
    pids: int


class RecentSamples:
    """The last hour of samples per container (by id), oldest first; a container gone is forgotten after the hour."""

    def __init__(self, keep: float = RECENT_SECONDS) -> None:
        self.keep = keep
        self._by_id: dict[str, deque[ContainerSample]] = {}

    def add(self, samples: list[ContainerSample]) -> None:
        for sample in samples:
            self._by_id.setdefault(sample.container_id, deque()).append(sample)
        newest = max((s.at for s in samples), default=None)
        if newest is not None:
            self.prune(newest - self.keep)

    def prune(self, before: float) -> None:
        for container_id in list(self._by_id):
            points = self._by_id[container_id]
            while points and points[0].at < before:
                points.popleft()
            if not points:
                del self._by_id[container_id]

    def of(self, container_id: str, since: float | None = None) -> list[ContainerSample]:
        return [s for s in self._by_id.get(container_id, ()) if since is None or s.at >= since]

    def latest(self) -> dict[str, ContainerSample]:
        """The newest sample of each container seen in the last hour."""
        return {cid: points[-1] for cid, points in self._by_id.items() if points}
