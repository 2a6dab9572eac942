"""The stats collector: CPU, memory, network, block I/O and PIDs of every running container, every few seconds."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from ops.bus import Event
from ops.docker.cgroups import ContainerProcess
from ops.docker.containers import ContainerInfo, ContainerState
from ops.docker.engine import Engine, EngineError
from ops.stats.cgroup_files import CgroupFiles
from ops.stats.counters import Counters
from ops.stats.engine_stats import counters_from_stats
from ops.stats.samples import ContainerSample, RecentSamples
from ops.stats.usage import current_samples
from ops.world.container_facts import engine_time
from ops.world.observer import ContainerChange, Observer

log = logging.getLogger(__name__)

Reader = Literal['auto', 'cgroup', 'engine']
INTERVAL = 10.0
# Stats requests in flight at once when the engine is read. The engine answers a one-shot stats request from its
# own once-a-second collection, so each takes up to a second of waiting (little work): 16 at once read 100
# containers in about 7 s.
CONCURRENCY = 16


class StatsCollector:
    """Samples every running container the observer knows every `interval` seconds; each tick's batch goes to
    `sampled` and into `recent`. A container that stops is dropped at once (no engine request for it after that).

    Two readers. The cgroup files (the default for a local engine whose cgroup tree is under `host_root`): all files
    of all containers read in one worker thread per tick, and one inspect per container start for its init pid (its
    network counters are in /proc/<pid>/net/dev); no engine request per tick. The engine's stats API (a remote
    engine, `reader='engine'`, or a container whose files cannot be read): one request per container and tick,
    CONCURRENCY at a time. CPU % is the change of CPU time between two reads, so a container shows from its second
    read on; the second tick comes a second after the first.
    """

    def __init__(
        self,
        engine: Engine,
        observer: Observer,
        *,
        interval: float = INTERVAL,
        host_root: Path = Path('/'),
        reader: Reader = 'auto',
        concurrency: int = CONCURRENCY,
    ) -> None:
        self.engine = engine
        self.observer = observer
        self.interval = interval
        self.host_root = host_root
        self.reader = reader
        self.sampled: Event[list[ContainerSample]] = Event()
        self.recent = RecentSamples()
        self.files: CgroupFiles | None = None  # set once the engine said where its cgroups are and they are readable
        self._host_memory: int | None = None
        self._detected = False
        self._processes: dict[str, ContainerProcess] = {}
        self._unreadable: set[str] = set()  # files unreadable since the container started: read through the engine
        self._last: dict[str, _Reading] = {}
        self._stopping = asyncio.Event()
        self._pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix='stats')
        self._unsubscribe = observer.container_changed.subscribe(self._on_change)

    @property
    def reading_files(self) -> bool:
        """Whether the cgroup files are read (else every container goes through the engine's stats API)."""
        return self.files is not None

    async def run(self) -> None:
        """Sample until stop(); a failing tick is logged and the next one comes as usual."""
        delays = [0.0, min(1.0, self.interval)]  # two reads soon after start: CPU % needs two
        try:
            while not self._stopping.is_set():
                delay = delays.pop(0) if delays else self.interval
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), timeout=delay)
                if self._stopping.is_set():
                    break
                try:
                    await self.tick()
                except EngineError as err:  # the engine is away: the observer says so; the next tick tries again
                    log.info('stats tick skipped: %s', err)
                except Exception:
                    log.exception('stats tick failed')
        finally:
            self._unsubscribe()
            self._pool.shutdown(wait=False, cancel_futures=True)

    def current(self) -> dict[str, ContainerSample]:
        """The newest sample of each container running now, when it is fresh (by id): what "now" means on a page,
        in /summary and /metrics (a container that stopped an hour ago is not in it, however recent its samples)."""
        return current_samples(self.observer.containers.values(), self.recent, now=time.time(), interval=self.interval)

    def stop(self) -> None:
        """Ask run() to end at once (a tick under way finishes its reads first)."""
        self._stopping.set()

    async def tick(self) -> list[ContainerSample]:
        """Read every running container once; publish and return the samples of those read twice by now."""
        if self.observer.engine_state.reachable is False:
            return []
        running = {cid: info for cid, info in self.observer.containers.items() if info.state == ContainerState.RUNNING}
        for gone in set(self._last) - set(running):
            self._forget(gone)
        await self._detect()
        readings: dict[str, _Reading] = {}
        through_engine = list(running)
        if self.files is not None:
            readings, through_engine = await self._read_files(list(running))
        if through_engine:
            readings.update(await self._read_engine(through_engine))
        batch = [
            sample
            for cid, reading in readings.items()
            if self._running(cid) and (sample := self._sample(running[cid], reading)) is not None
        ]  # not one that stopped while it was read
        self.recent.add(batch)
        self.sampled.emit(batch)
        return batch

    async def _detect(self) -> None:
        """Once: the host's memory (for "no limit"), and whether the cgroup files can be read."""
        if self._detected:
            return
        info = await asyncio.to_thread(self.engine.cgroup_info)
        self._host_memory = info.memory_total
        if self.reader != 'engine':
            files = CgroupFiles(info, self.host_root)
            if self.engine.local and files.readable():
                self.files = files
            else:
                where = 'the engine is remote' if not self.engine.local else f'{files.root} or /proc is not readable'
                log.info('container stats through the engine stats API: %s', where)
        self._detected = True

    async def _read_files(self, ids: list[str]) -> tuple[dict[str, _Reading], list[str]]:
        """All files in one worker thread; returns the readings and the containers to read through the engine."""
        files = self.files
        assert files is not None
        known = {cid: self._processes[cid] for cid in ids if cid in self._processes}
        wanted = [cid for cid in ids if cid not in self._unreadable]
        result = await asyncio.to_thread(_read_all_files, self.engine, files, wanted, known)
        for cid, process in result.processes.items():
            if self._running(cid):  # not one that stopped while the thread read
                self._processes[cid] = process
        for cid in result.unreadable:
            if self._running(cid):
                log.debug('stats of %s through the engine: its cgroup files cannot be read', cid[:12])
                self._unreadable.add(cid)
        through_engine = [cid for cid in ids if cid in self._unreadable]
        return result.readings, through_engine

    async def _read_engine(self, ids: list[str]) -> dict[str, _Reading]:
        loop = asyncio.get_running_loop()
        answers = await asyncio.gather(*(loop.run_in_executor(self._pool, self._read_stats, cid) for cid in ids))
        return {cid: reading for cid, reading in zip(ids, answers, strict=True) if reading is not None}

    def _read_stats(self, container_id: str) -> _Reading | None:
        """One stats request (in a pool thread), unless the container stopped since the tick began."""
        if not self._running(container_id):
            return None
        try:
            data = self.engine.stats_once(container_id)
        except EngineError as err:  # it stopped or went meanwhile
            log.debug('stats of %s failed: %s', container_id[:12], err)
            return None
        counters = counters_from_stats(data, self._host_memory)
        if counters is None:
            return None
        read = engine_time(str(data.get('read') or ''))  # when the engine read them (up to a second before now)
        return _Reading(read.timestamp() if read is not None and read.year > 1 else time.time(), counters)

    def _sample(self, info: ContainerInfo, reading: _Reading) -> ContainerSample | None:
        before = self._last.get(info.id)
        self._last[info.id] = reading
        now = reading.counters
        if before is None or now.cpu_ns < before.counters.cpu_ns or reading.at <= before.at:
            return None  # a first read, or the container restarted between two (its counters began again)
        cpu = (now.cpu_ns - before.counters.cpu_ns) / ((reading.at - before.at) * 1e9) * 100
        return ContainerSample(
            container_id=info.id,
            name=info.name,
            stack=info.stack,
            at=reading.received,
            cpu_percent=round(cpu, 2),
            memory_bytes=now.memory_bytes,
            memory_limit_bytes=now.memory_limit_bytes,
            net_rx_bytes=now.net_rx_bytes,
            net_tx_bytes=now.net_tx_bytes,
            block_read_bytes=now.block_read_bytes,
            block_write_bytes=now.block_write_bytes,
            pids=now.pids,
        )

    def _running(self, container_id: str) -> bool:
        info = self.observer.containers.get(container_id)
        return info is not None and info.state == ContainerState.RUNNING

    def _on_change(self, change: ContainerChange) -> None:
        if change.info is None or change.info.state != ContainerState.RUNNING:
            self._forget(change.container_id)

    def _forget(self, container_id: str) -> None:
        """A stopped container: its pid, its last read and whether its files were readable start anew."""
        self._last.pop(container_id, None)
        self._processes.pop(container_id, None)
        self._unreadable.discard(container_id)


@dataclass(frozen=True, slots=True)
class _Reading:
    at: float  # unix seconds of the read as its reader timed it: CPU % is over the time between two reads
    counters: Counters
    # When this console had it, on its own clock: the sample's time (a remote engine's clock may be off, and the
    # freshness checks and the minute rollups run on this one).
    received: float = field(default_factory=time.time)


@dataclass(slots=True)
class _FileReads:
    readings: dict[str, _Reading]
    processes: dict[str, ContainerProcess]  # init processes learnt in this tick
    unreadable: list[str]


def _read_all_files(
    engine: Engine, files: CgroupFiles, ids: list[str], known: dict[str, ContainerProcess]
) -> _FileReads:
    """Blocking: every container's files (and an inspect for the pid of each container new since its start)."""
    done = _FileReads(readings={}, processes={}, unreadable=[])
    for cid in ids:
        process = known.get(cid)
        if process is None:
            try:
                process = engine.process_of(cid)
            except EngineError as err:  # removed meanwhile
                log.debug('inspect of %s failed: %s', cid[:12], err)
                continue
            if process.pid <= 0:  # stopped meanwhile
                continue
            done.processes[cid] = process
        try:
            counters = files.read(cid, process)
        except (OSError, ValueError, KeyError) as err:
            log.debug('cgroup files of %s: %s', cid[:12], err)
            done.unreadable.append(cid)
            continue
        done.readings[cid] = _Reading(time.time(), counters)
    return done
