"""A flooding busybox container and three ways to count its lines: the log hub, the docker CLI, docker-py.

The container waits for /tmp/go (made with `docker exec`), then prints `lines` lines of ~100 bytes as fast
as awk can and exits; every reader is attached before the go, follows the stream and ends when the
container has exited. A reader's rate is lines / (last line received - first line received).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import threading
import time
from contextlib import AsyncExitStack
from dataclasses import dataclass

from bench.common import client, cpu_seconds, create_container, exec_in, spawn, stop_process
from ops.docker.engine import Engine
from ops.docker.loghub import LogHub, Subscription

READ_TIMEOUT = 90.0
_AWK = (
    'BEGIN { for (i = 0; i < n; i++) '
    'printf "2026-11-25T03:50:00.000Z INFO worker[7] handled request id=%08d status=200 bytes=5120 '
    'path=/api/v1/items\\n", i }'
)


@dataclass
class Tally:
    """What one reader saw of one flood."""

    lines: int
    seconds: float  # first line -> last line
    skipped: int = 0  # lines the hub dropped for a slow subscriber (counted, never shown)
    cpu: float = 0.0  # CPU seconds of this process (all threads) from the go to the end
    dockerd_cpu: float = 0.0  # CPU seconds of dockerd over the same time, if it runs on this host
    timed_out: bool = False
    engine_streams: int = 0  # engine log streams open while the hub was read
    batches: int = 0  # LogStream batches (socket reads that gave lines), when counted

    @property
    def rate(self) -> float:
        return (self.lines + self.skipped) / self.seconds if self.seconds > 0 else 0.0


def flood_container(lines: int, *, tty: bool) -> str:
    """A started container that floods `lines` lines once /tmp/go exists; returns its name."""
    script = f"while [ ! -e /tmp/go ]; do sleep 0.02; done; awk -v n={lines} '{_AWK}'"
    return create_container('flood', ['sh', '-c', script], tty=tty)


def go(name: str) -> None:
    exec_in(name, ['touch', '/tmp/go'])


def dockerd_cpu() -> float:
    """CPU seconds used so far by the local dockerd (0 when it is not a local process we can see)."""
    try:
        import psutil

        for proc in psutil.process_iter(['name']):
            if proc.info['name'] == 'dockerd':
                times = proc.cpu_times()
                return float(times.user + times.system)
    except Exception:
        return 0.0
    return 0.0


def count_cli(name: str) -> Tally:
    """`docker logs -f NAME` piped into a line counter (this process reading the pipe in 64 KiB reads)."""
    proc = spawn(['docker', 'logs', '-f', name], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert proc.stdout is not None
    timer = threading.Timer(0.5, go, args=(name,))
    count, first, last, timed_out = 0, 0.0, 0.0, False
    cpu0, dockerd0 = cpu_seconds(), dockerd_cpu()
    deadline = time.monotonic() + READ_TIMEOUT
    timer.start()
    try:
        fd = proc.stdout.fileno()
        while chunk := os.read(fd, 65536):
            now = time.perf_counter()
            first = first or now
            last = now
            count += chunk.count(b'\n')
            if time.monotonic() > deadline:
                timed_out = True
                break
    finally:
        timer.join()
        stop_process(proc)
    return Tally(
        count, last - first, cpu=cpu_seconds() - cpu0, dockerd_cpu=dockerd_cpu() - dockerd0, timed_out=timed_out
    )


def count_docker_py_default(name: str, budget: float) -> Tally:
    """docker-py's own follow (`api.logs(stream=True, follow=True)`), for at most `budget` seconds of reading.

    On a TTY container docker-py reads the stream one byte per call; that is the baseline the TTY target names.
    """
    api = client().api
    stream = api.logs(name, stream=True, follow=True)
    timer = threading.Timer(0.3, go, args=(name,))
    count, first, last, timed_out = 0, 0.0, 0.0, False
    deadline = float('inf')
    timer.start()
    try:
        for piece in stream:
            now = time.perf_counter()
            if not first:
                first = now
                deadline = now + budget
            last = now
            count += piece.count(b'\n')
            if now > deadline:
                timed_out = True
                break
    finally:
        timer.join()
        with contextlib.suppress(Exception):
            stream.close()
    return Tally(count, last - first, timed_out=timed_out)


def count_logstream(engine: Engine, name: str) -> Tally:
    """The project's LogStream alone (Engine.logs follow, no hub): lines and how many batches carried them."""
    stream = engine.logs(name, tail=0, follow=True, timestamps=True)
    timer = threading.Timer(0.3, go, args=(name,))
    count, batches, first, last = 0, 0, 0.0, 0.0
    cpu0 = cpu_seconds()
    deadline = time.monotonic() + READ_TIMEOUT
    timer.start()
    try:
        for batch in stream.batches():
            now = time.perf_counter()
            first = first or now
            last = now
            count += len(batch)
            batches += 1
            if time.monotonic() > deadline:
                break
    finally:
        timer.join()
        stream.close()
    return Tally(count, last - first, cpu=cpu_seconds() - cpu0, batches=batches, timed_out=time.monotonic() > deadline)


async def count_hub(engine: Engine, name: str, viewers: int = 1) -> Tally:
    """`viewers` subscribers of one container through the project's LogHub (one engine stream for all)."""
    hub = LogHub(engine)
    dockerd0 = dockerd_cpu()
    try:
        async with AsyncExitStack() as stack:
            subs = [await stack.enter_async_context(hub.follow(name, tail=0)) for _ in range(viewers)]
            await subs[0].ready()
            streams = hub.active_streams
            cpu0 = cpu_seconds()
            await asyncio.to_thread(go, name)
            try:
                results = await asyncio.wait_for(asyncio.gather(*(_consume(sub) for sub in subs)), READ_TIMEOUT)
                timed_out = False
            except TimeoutError:
                results, timed_out = [(0, 0.0, 0.0)], True
            cpu = cpu_seconds() - cpu0
    finally:
        await hub.close()
    lines = [r[0] for r in results]
    first = min(r[1] for r in results)
    last = max(r[2] for r in results)
    skipped = [sub.skipped for sub in subs]
    tally = Tally(
        min(lines),
        last - first,
        skipped=max(skipped),
        cpu=cpu,
        dockerd_cpu=dockerd_cpu() - dockerd0,
        timed_out=timed_out,
        engine_streams=streams,
    )
    return tally


async def _consume(sub: Subscription) -> tuple[int, float, float]:
    count, first, last = 0, 0.0, 0.0
    async for line in sub:
        if line.stream == 'marker':
            continue
        now = time.perf_counter()
        first = first or now
        last = now
        count += 1
    return count, first, last
