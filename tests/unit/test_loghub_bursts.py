"""The log hub under bursts: thousands of lines from one engine read, a reader that keeps up, one that does not."""

from __future__ import annotations

import asyncio
import random
import threading
from collections.abc import Iterator
from typing import cast

from ops.docker.engine import Engine
from ops.docker.loghub import LogHub, Subscription
from ops.docker.logstream import LogDecoder, LogLine, LogStream
from tests.helpers.waiting import wait_for_async


class BurstEngine:
    """Stands in for the engine: each container's log is the given reads (bytes of a TTY stream), then its end."""

    def __init__(self, reads: list[bytes], *, hold: threading.Event | None = None) -> None:
        self.reads = reads
        self.hold = hold  # when given, the stream waits for it before the first read

    def logs(self, container: str, *, tail: int, follow: bool, timestamps: bool) -> LogStream:
        def chunks() -> Iterator[bytes]:
            if self.hold is not None:
                assert self.hold.wait(timeout=10)
            yield from self.reads

        return LogStream(chunks(), LogDecoder(tty=True, timestamps=timestamps), lambda: None)


def burst(first: int, count: int) -> bytes:
    return b''.join(b'2026-11-30T20:00:00.%09dZ line %d\r\n' % (n, n) for n in range(first, first + count))


async def read_all(sub: Subscription) -> list[LogLine]:
    return [line async for line in sub]


async def test_a_burst_bigger_than_the_queue_reaches_a_reader_that_keeps_up_whole_and_then_the_end() -> None:
    hub = LogHub(cast(Engine, BurstEngine([burst(0, 5000), burst(5000, 3000)])), queue_limit=1000)
    async with hub.follow('flood', tail=0) as sub:
        # The loop is busy (blocked here) until the reader thread has handed over every line and the end: the end
        # then waits in the loop's queue right behind a burst that takes several turns to offer.
        hub._feeds['flood'].pump.thread.join(timeout=10)
        lines = await asyncio.wait_for(read_all(sub), timeout=10)
    assert [line.text for line in lines] == [f'line {n}' for n in range(8000)]
    assert lines[1].timestamp == '2026-11-30T20:00:00.000000001Z'
    assert sub.skipped == 0


async def test_a_reader_that_is_away_during_a_burst_is_told_how_many_lines_it_missed_and_totals_reconcile() -> None:
    hold = threading.Event()
    hub = LogHub(cast(Engine, BurstEngine([burst(0, 5000)], hold=hold)), queue_limit=1000)
    async with hub.follow('flood', tail=0) as sub:
        hold.set()
        # Away: not reading until the whole stream has been handed to the hub and offered.
        await wait_for_async(lambda: hub.active_streams == 0, timeout=10, interval=0.01, what='the end of the stream')
        lines = await asyncio.wait_for(read_all(sub), timeout=10)
    shown = [line for line in lines if line.stream != 'marker']
    markers = [line for line in lines if line.stream == 'marker']
    assert len(shown) + sub.skipped == 5000
    assert sub.skipped > 0
    assert [line.text for line in shown] == [f'line {n}' for n in range(len(shown))]  # the oldest are kept
    assert markers == [LogLine(stream='marker', text=f'… {sub.skipped} lines skipped (this reader fell behind)')]
    assert lines[-1] == markers[0]


def test_offering_a_batch_at_once_is_the_same_as_offering_its_lines_one_by_one() -> None:
    rng = random.Random(15)
    for _ in range(300):
        limit = rng.randrange(2, 12)
        one, bulk = (Subscription('c', limit, asyncio.Event()) for _ in range(2))
        for step in range(rng.randrange(1, 8)):
            batch = [LogLine(stream='stdout', text=f'{step}.{n}') for n in range(rng.randrange(0, 15))]
            for line in batch:
                one._offer(line)
            bulk._offer_all(batch)
            for _ in range(rng.randrange(0, 10)):  # the reader takes a few (markers included)
                for sub in (one, bulk):
                    if sub._lines:
                        sub._lines.popleft()
                    elif sub._unreported:
                        sub._marker()
            assert list(bulk._lines) == list(one._lines)
            assert (bulk.skipped, bulk._unreported) == (one.skipped, one._unreported)
