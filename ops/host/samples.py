"""The host sampler: CPU, memory and load from psutil every N seconds, persisted for the Host page's trends."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from dataclasses import dataclass
from datetime import datetime, timedelta

import psutil

from ops.bus import Event
from ops.clock import utc_now
from ops.store.models import HostSample

log = logging.getLogger(__name__)

INTERVAL = 30.0
KEEP = timedelta(hours=48)
# Pruning is one indexed DELETE; once every few minutes is plenty.
PRUNE_EVERY = 10


@dataclass(frozen=True, kw_only=True, slots=True)
class HostReading:
    """CPU and memory use in percent and the 1/5/15-minute load averages at one moment."""

    at: datetime
    cpu_percent: float
    memory_percent: float
    load1: float
    load5: float
    load15: float


def read_host() -> HostReading:
    """One reading (blocking: psutil reads /proc; call it off the event loop)."""
    # interval=None compares with the previous call: the CPU use since the last sample, not a fresh 0.1 s window.
    cpu = psutil.cpu_percent(interval=None)
    memory = psutil.virtual_memory().percent
    load1, load5, load15 = os.getloadavg()
    return HostReading(at=utc_now(), cpu_percent=cpu, memory_percent=memory, load1=load1, load5=load5, load15=load15)


async def save(reading: HostReading) -> None:
    """Persist one reading."""
    await HostSample.create(
        at=reading.at,
        cpu_percent=reading.cpu_percent,
        memory_percent=reading.memory_percent,
        load1=reading.load1,
        load5=reading.load5,
        load15=reading.load15,
    )


async def prune(keep: timedelta = KEEP) -> int:
    """Delete the samples older than `keep`; returns how many went."""
    return int(await HostSample.filter(at__lt=utc_now() - keep).delete())


async def readings_since(since: datetime) -> list[HostReading]:
    """The persisted readings from `since` on, oldest first."""
    rows = await HostSample.filter(at__gte=since).order_by('at')
    return [
        HostReading(
            at=row.at,
            cpu_percent=row.cpu_percent,
            memory_percent=row.memory_percent,
            load1=row.load1,
            load5=row.load5,
            load15=row.load15,
        )
        for row in rows
    ]


class HostSampler:
    """Samples the host every `interval` seconds until stop(); a failing sample is logged, never fatal."""

    def __init__(self, *, interval: float = INTERVAL, keep: timedelta = KEEP) -> None:
        self.interval = interval
        self.keep = keep
        self.sampled: Event[HostReading] = Event()
        self.last: HostReading | None = None  # the newest reading (what /metrics shows)
        self._stopping = asyncio.Event()

    async def run(self) -> None:
        """Sample, persist and publish until stop(); prune old samples now and then."""
        await asyncio.to_thread(psutil.cpu_percent, None)  # primes the CPU counter for the first real sample
        count = 0
        delay = min(1.0, self.interval)  # a first sample soon after start, so a fresh install has a point to show
        while not self._stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=delay)
            delay = self.interval
            if self._stopping.is_set():
                break
            try:
                reading = await asyncio.to_thread(read_host)
                await save(reading)
                if count % PRUNE_EVERY == 0:
                    await prune(self.keep)
                count += 1
            except Exception:  # a locked database or an odd /proc must not end the trends for good
                log.exception('host sample failed')
                continue
            self.last = reading
            self.sampled.emit(reading)

    def stop(self) -> None:
        """Ask run() to end at its next wake-up (at once)."""
        self._stopping.set()
