"""What the stats pages read of the collector and the two histories (the names and fields issue 14 agreed on)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Literal, Protocol

from ops.bus import Event
from ops.stats.samples import ContainerSample, RecentSamples

Span = Literal['1h', '24h', '7d', '30d']
SPANS: tuple[Span, ...] = ('1h', '24h', '7d', '30d')
Measure = Literal['cpu', 'memory']


class StatsFeed(Protocol):
    """The collector (`system.stats`): a batch per tick and the last hour in memory."""

    @property
    def sampled(self) -> Event[list[ContainerSample]]: ...

    @property
    def recent(self) -> RecentSamples: ...

    def current(self) -> dict[str, ContainerSample]: ...


class StatPoint(Protocol):
    """One point of a container's series; rates in bytes per second, `at` as unix seconds or a datetime."""

    @property
    def at(self) -> datetime | float: ...
    @property
    def cpu_avg(self) -> float: ...
    @property
    def cpu_max(self) -> float: ...
    @property
    def memory_avg(self) -> float: ...
    @property
    def memory_max(self) -> float: ...
    @property
    def memory_limit(self) -> float | None: ...
    @property
    def net_rx_rate(self) -> float: ...
    @property
    def net_tx_rate(self) -> float: ...
    @property
    def block_read_rate(self) -> float: ...
    @property
    def block_write_rate(self) -> float: ...


class Consumer(Protocol):
    """A container's averages over a span (the top-consumer lists)."""

    @property
    def name(self) -> str: ...
    @property
    def stack(self) -> str | None: ...
    @property
    def cpu_avg(self) -> float: ...
    @property
    def memory_avg(self) -> float: ...


class StackTotal(Protocol):
    """A stack's summed averages over a span."""

    @property
    def cpu_avg(self) -> float: ...
    @property
    def memory_avg(self) -> float: ...


class Interval(Protocol):
    """A stretch of one state (running, exited, healthy, unhealthy, ...); `end` None while it lasts; the exit code
    on an exited stretch."""

    @property
    def state(self) -> str: ...
    @property
    def start(self) -> datetime | float: ...
    @property
    def end(self) -> datetime | float | None: ...
    @property
    def exit_code(self) -> int | None: ...


class Mark(Protocol):
    """Something that happened at one moment: a restart (with the exit code before it) or an OOM kill ('oom')."""

    @property
    def kind(self) -> str: ...
    @property
    def at(self) -> datetime | float: ...
    @property
    def exit_code(self) -> int | None: ...


class StatHistorySource(Protocol):
    """The stored rollups (`system.stat_history`)."""

    async def series(self, name: str, span: Span) -> Sequence[StatPoint]: ...
    async def top_consumers(self, span: str, by: Measure, limit: int = 10) -> Sequence[Consumer]: ...
    async def stack_totals(self, span: str) -> Mapping[str, StackTotal]: ...


class HealthHistorySource(Protocol):
    """The stored health and uptime intervals (`system.health_history`); shares are fractions 0..1."""

    async def healthy_share(self, name: str, span: Span) -> float | None: ...
    async def uptime_share(self, name: str, span: Span) -> float | None: ...
    async def restarts(self, name: str, since: datetime) -> int: ...
    async def oom_kills(self, name: str, since: datetime) -> int: ...
    async def marks(self, name: str, span: Span) -> Sequence[Mark]: ...
    async def timeline(self, name: str, span: Span) -> Sequence[Interval]: ...


def seconds(at: datetime | float) -> float:
    """Unix seconds of a datetime or of unix seconds."""
    return at.timestamp() if isinstance(at, datetime) else float(at)
