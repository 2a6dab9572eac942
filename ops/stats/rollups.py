"""The stored stats history: 1-minute rollups for 48 h and 15-minute rollups for 30 days per container name."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections import defaultdict
from collections.abc import Awaitable, Iterable
from dataclasses import dataclass, field
from typing import Literal

from tortoise import Tortoise

from ops import clock
from ops.stats.points import (
    MINUTE,
    Consumer,
    StackTotal,
    StatPoint,
    counted,
    recent_consumers,
    recent_points,
    recent_stack_totals,
)
from ops.stats.records import StatRollup
from ops.stats.samples import ContainerSample, RecentSamples

__all__ = ['MINUTE', 'QUARTER', 'SPAN_SECONDS', 'Consumer', 'Span', 'StackTotal', 'StatHistory', 'StatPoint']

log = logging.getLogger(__name__)

Span = Literal['1h', '24h', '7d', '30d']
QUARTER = 900
SPAN_SECONDS: dict[str, int] = {'1h': 3600, '24h': 86400, '7d': 7 * 86400, '30d': 30 * 86400}
KEEP_MINUTES = 48 * 3600
KEEP_QUARTERS = 30 * 86400
PRUNE_EVERY = 3600.0
GRACE = 5.0  # seconds a minute stays open after its end for a batch that straddles it
TICK = 10.0
FORGET = 3600  # seconds after its last sample a name's counters are no longer compared with a new sample
MAX_PENDING = 50_000  # rows held while the store refuses writes (about 16 h of 50 containers)


@dataclass(kw_only=True, slots=True)
class _Bucket:
    """What one container name gathered in one open bucket."""

    container_id: str = ''
    stack: str | None = None
    samples: int = 0
    cpu_sum: float = 0.0
    cpu_max: float = 0.0
    memory_sum: int = 0
    memory_max: int = 0
    memory_limit: int | None = None
    pids_max: int = 0
    rate_seconds: float = 0.0
    moved: list[int] = field(default_factory=lambda: [0, 0, 0, 0])

    def add(self, sample: ContainerSample, before: ContainerSample | None) -> None:
        self.container_id = sample.container_id[:12]
        self.stack = sample.stack
        self.samples += 1
        self.cpu_sum += sample.cpu_percent
        self.cpu_max = max(self.cpu_max, sample.cpu_percent)
        self.memory_sum += sample.memory_bytes
        self.memory_max = max(self.memory_max, sample.memory_bytes)
        self.memory_limit = sample.memory_limit_bytes
        self.pids_max = max(self.pids_max, sample.pids)
        if before is not None and (moved := counted(before, sample)) is not None:
            self.rate_seconds += sample.at - before.at
            self.moved = [total + more for total, more in zip(self.moved, moved, strict=True)]

    def row(self, name: str, start: int) -> StatRollup:
        rates = [m / self.rate_seconds if self.rate_seconds > 0 else 0.0 for m in self.moved]
        return StatRollup(
            name=name,
            container_id=self.container_id,
            stack=self.stack,
            resolution=MINUTE,
            bucket_start=start,
            samples=self.samples,
            cpu_avg=self.cpu_sum / self.samples,
            cpu_max=self.cpu_max,
            memory_avg=round(self.memory_sum / self.samples),
            memory_max=self.memory_max,
            memory_limit=self.memory_limit,
            rate_seconds=round(self.rate_seconds),
            net_rx_rate=rates[0],
            net_tx_rate=rates[1],
            block_read_rate=rates[2],
            block_write_rate=rates[3],
            pids_max=self.pids_max,
        )


def quarter_rows(minutes: Iterable[StatRollup]) -> list[StatRollup]:
    """The 15-minute rollups of 1-minute ones."""
    groups: dict[tuple[str, int], list[StatRollup]] = defaultdict(list)
    for row in sorted(minutes, key=lambda r: r.bucket_start):
        groups[(row.name, row.bucket_start // QUARTER * QUARTER)].append(row)
    return [quarter_of(name, start, rows) for (name, start), rows in groups.items()]


def quarter_of(name: str, start: int, rows: list[StatRollup]) -> StatRollup:
    """One quarter of a name from its minutes (oldest first): averages weighted by samples, rates by their
    seconds, maxima of maxima, the last limit, id and stack."""
    samples = sum(r.samples for r in rows)
    seconds = sum(r.rate_seconds for r in rows)

    def rate(of: str) -> float:
        return sum(getattr(r, of) * r.rate_seconds for r in rows) / seconds if seconds else 0.0

    last = rows[-1]
    return StatRollup(
        name=name,
        container_id=last.container_id,
        stack=last.stack,
        resolution=QUARTER,
        bucket_start=start,
        samples=samples,
        cpu_avg=sum(r.cpu_avg * r.samples for r in rows) / samples,
        cpu_max=max(r.cpu_max for r in rows),
        memory_avg=round(sum(r.memory_avg * r.samples for r in rows) / samples),
        memory_max=max(r.memory_max for r in rows),
        memory_limit=last.memory_limit,
        rate_seconds=seconds,
        net_rx_rate=rate('net_rx_rate'),
        net_tx_rate=rate('net_tx_rate'),
        block_read_rate=rate('block_read_rate'),
        block_write_rate=rate('block_write_rate'),
        pids_max=max(r.pids_max for r in rows),
    )


class StatHistory:
    """Rolls the collector's batches (`heard`) up per container name and minute, writes each minute's rows in one
    statement once it is over, rolls finished quarters up from the stored minutes, and prunes each resolution
    past its retention at start and every `prune_every` seconds. Times are the samples' (unix seconds); the
    schedule follows `ops.clock.utc_now`. A minute half written when the console stopped is not written again."""

    def __init__(
        self,
        recent: RecentSamples,
        *,
        keep_minutes: float = KEEP_MINUTES,
        keep_quarters: float = KEEP_QUARTERS,
        prune_every: float = PRUNE_EVERY,
        tick: float = TICK,
    ) -> None:
        self.recent = recent
        self.keep_minutes = keep_minutes
        self.keep_quarters = keep_quarters
        self.prune_every = prune_every
        self.tick = tick
        self.dropped = 0  # samples that came after their minute was written
        self._open: dict[int, dict[str, _Bucket]] = {}
        self._last: dict[str, ContainerSample] = {}
        self._pending: list[StatRollup] = []
        self._closed_before = 0  # minutes before this (unix seconds) are written or being written
        self._rolled_before: int | None = None  # quarters before this are rolled up
        self._wake = asyncio.Event()
        self._stopping = False

    def heard(self, batch: list[ContainerSample]) -> None:
        """A subscriber of the collector's `sampled`: gather the batch into its minutes."""
        for sample in sorted(batch, key=lambda s: s.at):
            start = int(sample.at // MINUTE * MINUTE)
            if start < self._closed_before:
                self.dropped += 1
                continue
            bucket = self._open.setdefault(start, {}).setdefault(sample.name, _Bucket())
            bucket.add(sample, self._last.get(sample.name))
            self._last[sample.name] = sample
        newest = max((s.at for s in batch), default=None)
        if newest is not None and self._close(newest - GRACE):
            self._wake.set()

    def _close(self, now: float) -> bool:
        """Move the minutes over by `now` to the rows to write; whether any moved."""
        before = int(now // MINUTE * MINUTE) if math.isfinite(now) else max(self._open, default=0) + MINUTE
        self._closed_before = max(self._closed_before, before)
        for name in [name for name, last in self._last.items() if last.at < self._closed_before - FORGET]:
            del self._last[name]  # gone long enough that no rate will be taken against it
        done = sorted(start for start in self._open if start < self._closed_before)
        for start in done:
            self._pending.extend(bucket.row(name, start) for name, bucket in self._open.pop(start).items())
        return bool(done)

    async def run(self) -> None:
        """Resume from the store, then write, roll up and prune (at once, then every `prune_every` seconds) until
        stop(); what is still open is written at the end (also when cancelled)."""
        try:
            await self._resume()
        except Exception:
            log.exception('stats history could not resume from the store')
        next_prune = 0.0
        try:
            while True:
                now = clock.utc_now().timestamp()
                self._close(now - GRACE)
                await self._save()
                if now >= next_prune:
                    await self._safely(self.prune())
                    next_prune = now + self.prune_every
                if self._stopping:
                    break
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.tick)
                self._wake.clear()
        finally:
            self._close(math.inf)
            await self._save()

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    async def _resume(self) -> None:
        """Pick up where the store is: samples only for minutes not written yet (a minute written at the last stop
        is not written twice), quarters from the last one on."""
        last_minute = await StatRollup.filter(resolution=MINUTE).order_by('-bucket_start').first()
        if last_minute is not None:
            written_before = last_minute.bucket_start + MINUTE
            self._closed_before = max(self._closed_before, written_before)
            for start in [start for start in self._open if start < written_before]:
                self.dropped += sum(bucket.samples for bucket in self._open.pop(start).values())
            again = [row for row in self._pending if row.bucket_start < written_before]
            self.dropped += sum(row.samples for row in again)
            self._pending = [row for row in self._pending if row.bucket_start >= written_before]
        last_quarter = await StatRollup.filter(resolution=QUARTER).order_by('-bucket_start').first()
        if last_quarter is not None:
            self._rolled_before = last_quarter.bucket_start + QUARTER

    async def _save(self) -> None:
        # What is closed now is either among these rows or written: a batch heard while they are written closes
        # later minutes, whose quarters wait for the next save.
        closed = self._closed_before
        if self._pending:
            rows, self._pending = self._pending, []
            try:
                await StatRollup.bulk_create(rows)
            except Exception:
                log.exception('stats history: %d minute rows not written yet', len(rows))
                self._pending = (rows + self._pending)[-MAX_PENDING:]
                return
        await self._safely(self._roll(closed))

    async def _roll(self, closed: int) -> None:
        """Roll the quarters whose minutes are all written (those before `closed`) up into 15-minute rows (one
        statement)."""
        until = closed // QUARTER * QUARTER
        since = self._rolled_before
        if since is not None and since >= until:
            return
        minutes = StatRollup.filter(resolution=MINUTE, bucket_start__lt=until)
        if since is not None:
            minutes = minutes.filter(bucket_start__gte=since)
        rows = quarter_rows(await minutes)
        if rows:
            await StatRollup.bulk_create(rows)
        self._rolled_before = until

    async def _safely(self, work: Awaitable[object]) -> None:
        try:
            await work
        except Exception:
            log.exception('stats history: a store write failed')

    async def prune(self) -> int:
        """Delete the rows past their retention; returns how many went."""
        now = clock.utc_now().timestamp()
        gone = await StatRollup.filter(resolution=MINUTE, bucket_start__lt=now - self.keep_minutes).delete()
        gone += await StatRollup.filter(resolution=QUARTER, bucket_start__lt=now - self.keep_quarters).delete()
        return int(gone)

    async def series(self, name: str, span: Span) -> list[StatPoint]:
        """A container name's points over the span, oldest first: 10 s samples for 1h (from memory), 1-minute
        rollups for 24h, 15-minute ones for 7d and 30d."""
        since = clock.utc_now().timestamp() - SPAN_SECONDS[span]
        if span == '1h':
            return recent_points(self.recent, name, since)
        rows = await StatRollup.filter(
            name=name, resolution=resolution_of(span), bucket_start__gte=int(since)
        ).order_by('bucket_start')
        return [point_of(row) for row in rows]

    async def top_consumers(self, span: str, by: Literal['cpu', 'memory'], limit: int = 10) -> list[Consumer]:
        """The names using the most CPU or memory on average over the span (1h from memory)."""
        since = clock.utc_now().timestamp() - SPAN_SECONDS[span]
        if span == '1h':
            consumers = recent_consumers(self.recent, since)
        else:
            conn = Tortoise.get_connection('default')
            _, rows = await conn.execute_query(
                'SELECT name, MAX(stack), SUM(cpu_avg * samples) / SUM(samples), SUM(memory_avg * samples) / '
                'SUM(samples) FROM stat_rollups WHERE resolution = ? AND bucket_start >= ? GROUP BY name',
                [resolution_of(span), int(since)],
            )
            consumers = [
                Consumer(name=row[0], stack=row[1], cpu_avg=float(row[2]), memory_avg=round(row[3])) for row in rows
            ]
        return sorted(consumers, key=lambda c: c.cpu_avg if by == 'cpu' else float(c.memory_avg), reverse=True)[:limit]

    async def stack_totals(self, span: str) -> dict[str, StackTotal]:
        """Per stack: its containers' CPU and memory summed per bucket, averaged and peaked over the span."""
        since = clock.utc_now().timestamp() - SPAN_SECONDS[span]
        if span == '1h':
            return recent_stack_totals(self.recent, since)
        conn = Tortoise.get_connection('default')
        _, rows = await conn.execute_query(
            'SELECT stack, MAX(names), AVG(cpu), MAX(cpu), AVG(memory), MAX(memory) FROM ('
            'SELECT stack, bucket_start, COUNT(name) AS names, SUM(cpu_avg) AS cpu, SUM(memory_avg) AS memory '
            'FROM stat_rollups WHERE resolution = ? AND bucket_start >= ? AND stack IS NOT NULL '
            'GROUP BY stack, bucket_start) GROUP BY stack',
            [resolution_of(span), int(since)],
        )
        return {
            row[0]: StackTotal(
                stack=row[0],
                containers=int(row[1]),
                cpu_avg=float(row[2]),
                cpu_max=float(row[3]),
                memory_avg=round(row[4]),
                memory_max=int(row[5]),
            )
            for row in rows
        }


def resolution_of(span: str) -> int:
    """Which rollups serve a span: minutes up to a day, quarters beyond."""
    return MINUTE if SPAN_SECONDS[span] <= SPAN_SECONDS['24h'] else QUARTER


def point_of(row: StatRollup) -> StatPoint:
    return StatPoint(
        at=float(row.bucket_start),
        cpu_avg=row.cpu_avg,
        cpu_max=row.cpu_max,
        memory_avg=row.memory_avg,
        memory_max=row.memory_max,
        memory_limit=row.memory_limit,
        net_rx_rate=row.net_rx_rate,
        net_tx_rate=row.net_tx_rate,
        block_read_rate=row.block_read_rate,
        block_write_rate=row.block_write_rate,
        pids_max=row.pids_max,
    )
