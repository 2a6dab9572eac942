"""Stand-ins for the stats collector and the two histories (issue 14's names), so the pages can be driven with
known numbers: UI tests feed them directly; the browser launcher (stats_console.py) lets them tick by themselves."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pytest

from app.system import System
from ops.bus import Event
from ops.stats.samples import ContainerSample, RecentSamples

SPAN_SECONDS = {'1h': 3600, '24h': 86_400, '7d': 7 * 86_400, '30d': 30 * 86_400}
STEP_SECONDS = {'1h': 10, '24h': 60, '7d': 900, '30d': 900}
MIB = 1024**2
GIB = 1024**3


class StandInCollector:
    """`system.stats` as the contract names it: `sampled`, `recent` (fed before each batch goes out), run, stop."""

    def __init__(self) -> None:
        self.sampled: Event[list[ContainerSample]] = Event()
        self.recent = RecentSamples()
        self._stopped = asyncio.Event()

    def feed(self, batch: list[ContainerSample]) -> None:
        self.recent.add(batch)
        self.sampled.emit(batch)

    def current(self) -> dict[str, ContainerSample]:
        """Every stand-in container runs: its newest sample."""
        return self.recent.latest()

    async def run(self) -> None:
        await self._stopped.wait()

    def stop(self) -> None:
        self._stopped.set()


@dataclass(frozen=True, slots=True)
class Point:
    at: float
    cpu_avg: float
    cpu_max: float
    memory_avg: float
    memory_max: float
    memory_limit: float | None
    net_rx_rate: float
    net_tx_rate: float
    block_read_rate: float
    block_write_rate: float


@dataclass(frozen=True, slots=True)
class Consumer:
    name: str
    stack: str | None
    cpu_avg: float
    memory_avg: float


@dataclass(frozen=True, slots=True)
class StackTotal:
    cpu_avg: float
    memory_avg: float


@dataclass(frozen=True, slots=True)
class Interval:
    state: str
    start: float
    end: float | None
    exit_code: int | None = None


@dataclass(frozen=True, slots=True)
class Mark:
    kind: str
    at: float
    exit_code: int | None = None


@dataclass
class StandInStatHistory:
    """`system.stat_history`: made-up series (a day's rhythm, a slow memory climb under a 1 GiB limit), the
    asked spans recorded."""

    asked: list[tuple[str, str]] = field(default_factory=list)
    consumers: list[Consumer] = field(default_factory=list)
    stacks: dict[str, StackTotal] = field(default_factory=dict)

    async def series(self, name: str, span: str) -> list[Point]:
        self.asked.append((name, span))
        return synthetic_series(span, time.time())

    async def top_consumers(self, span: str, by: str, limit: int = 10) -> list[Consumer]:
        key: Callable[[Consumer], float] = (lambda c: c.cpu_avg) if by == 'cpu' else (lambda c: c.memory_avg)
        return sorted(self.consumers, key=key, reverse=True)[:limit]

    async def stack_totals(self, span: str) -> dict[str, StackTotal]:
        return dict(self.stacks)

    async def run(self) -> None:
        await asyncio.Event().wait()

    def stop(self) -> None:
        pass

    def heard(self, batch: list[ContainerSample]) -> None:
        pass


@dataclass
class StandInHealthHistory:
    """`system.health_history`: a made-up month (healthy, an unhealthy hour, exits with codes 137 and 3)."""

    healthy: dict[str, float | None] = field(default_factory=lambda: {'24h': 0.995, '7d': 0.97, '30d': None})
    up: dict[str, float | None] = field(default_factory=lambda: {'24h': 1.0, '7d': 0.99, '30d': 0.985})
    restart_count: int = 3

    async def healthy_share(self, name: str, span: str) -> float | None:
        return self.healthy.get(span)

    async def uptime_share(self, name: str, span: str) -> float | None:
        return self.up.get(span)

    async def restarts(self, name: str, since: datetime) -> int:
        return self.restart_count

    async def oom_kills(self, name: str, since: datetime) -> int:
        return 1

    async def restarts_since(self, since: datetime) -> dict[str, int]:
        return {}

    async def timeline(self, name: str, span: str) -> list[Interval]:
        return synthetic_timeline(time.time())

    async def marks(self, name: str, span: str) -> list[Mark]:
        """The restarts after the made-up month's exits, and the first exit (137) as an OOM kill."""
        now = time.time()
        return [Mark('oom', now - 12 * 86_400, 137), Mark('restart', now - 12 * 86_400 + 600, 137)]

    async def run(self) -> None:
        await asyncio.Event().wait()

    def stop(self) -> None:
        pass


@dataclass
class StandIns:
    stats: StandInCollector = field(default_factory=StandInCollector)
    stat_history: StandInStatHistory = field(default_factory=StandInStatHistory)
    health_history: StandInHealthHistory = field(default_factory=StandInHealthHistory)


def install(stand_ins: StandIns) -> Callable[[], None]:
    """Every System built from now on carries the stand-ins (in place of its own, once it has them); returns the
    undo."""
    original = System.__init__

    def init(self: System, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        for name in ('stats', 'stat_history', 'health_history'):
            setattr(self, name, getattr(stand_ins, name))

    System.__init__ = init  # type: ignore[method-assign]
    return lambda: setattr(System, '__init__', original)


@pytest.fixture
def stand_ins() -> Iterator[StandIns]:
    made = StandIns()
    undo = install(made)
    try:
        yield made
    finally:
        undo()


def sample(container_id: str, name: str, stack: str | None, *, cpu: float, memory: int, at: float) -> ContainerSample:
    return ContainerSample(
        container_id=container_id,
        name=name,
        stack=stack,
        at=at,
        cpu_percent=cpu,
        memory_bytes=memory,
        memory_limit_bytes=GIB,
        net_rx_bytes=0,
        net_tx_bytes=0,
        block_read_bytes=0,
        block_write_bytes=0,
        pids=1,
    )


def synthetic_series(span: str, now: float) -> list[Point]:
    step = STEP_SECONDS[span]
    count = SPAN_SECONDS[span] // step
    points = []
    for index in range(count):
        at = now - (count - index) * step
        day = math.sin(at / 86_400 * 2 * math.pi)
        wobble = math.sin(at / 600) * math.cos(at / 97)
        cpu = max(0.0, 12 + 8 * day + 5 * wobble)
        memory = GIB * (0.35 + 0.25 * (index / count) + 0.03 * wobble)
        points.append(
            Point(
                at=at,
                cpu_avg=cpu,
                cpu_max=cpu * 1.6 + 3,
                memory_avg=memory,
                memory_max=memory * 1.08,
                memory_limit=float(GIB),
                net_rx_rate=max(0.0, 40_000 * (1 + day) + 25_000 * wobble),
                net_tx_rate=max(0.0, 9_000 * (1 + day) + 6_000 * wobble),
                block_read_rate=max(0.0, 150_000 * wobble),
                block_write_rate=max(0.0, 60_000 * (1 + wobble)),
            )
        )
    return points


def synthetic_timeline(now: float) -> list[Interval]:
    """A month: healthy, an unhealthy hour yesterday, exits (137, 3) each followed by a restart, healthy now."""
    day = 86_400.0
    return [
        Interval('healthy', now - 30 * day, now - 12 * day),
        Interval('exited', now - 12 * day, now - 12 * day + 600, 137),
        Interval('starting', now - 12 * day + 600, now - 12 * day + 660),
        Interval('healthy', now - 12 * day + 660, now - 20 * 3600),
        Interval('unhealthy', now - 20 * 3600, now - 19 * 3600),
        Interval('healthy', now - 19 * 3600, now - 40 * 60),
        Interval('exited', now - 40 * 60, now - 38 * 60, 3),
        Interval('running', now - 38 * 60, now - 36 * 60),
        Interval('healthy', now - 36 * 60, None),
    ]
