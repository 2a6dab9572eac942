"""One engine log stream per container, shared by every subscriber (log panes, followed docker_logs runs).

Each stream is read by its own thread (an ops.pump.Pump) and fanned out on the event loop into bounded
per-subscriber queues: a subscriber that falls behind loses lines (and is told how many) instead of growing memory
without limit.
The stream and its thread end when the last subscriber leaves.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager

from ops.docker.engine import Engine
from ops.docker.logstream import LogLine, LogStream
from ops.pump import Pump


class Subscription:
    """One subscriber's view of a container's log: `async for line in sub` until the stream ends or stop()."""

    def __init__(self, container: str, limit: int, opened: asyncio.Event) -> None:
        self.container = container
        self._opened = opened
        self.skipped = 0  # lines this subscriber never saw because it fell behind
        self._limit = max(limit, 2)
        self._lines: deque[LogLine] = deque()
        self._unreported = 0
        self._wakeup = asyncio.Event()
        self._ended = False
        self._error: BaseException | None = None

    async def ready(self) -> None:
        """Wait until the engine stream is open (or has already ended): from now on no new line is missed."""
        await self._opened.wait()

    def stop(self) -> None:
        """End the iteration now (lines still queued are dropped): for a cancelled reader."""
        self._lines.clear()
        self._unreported = 0
        self._end(None)

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> LogLine:
        while not self._lines:
            if self._unreported:
                return self._marker()
            if self._ended:
                if self._error is not None:
                    raise self._error
                raise StopAsyncIteration
            self._wakeup.clear()
            await self._wakeup.wait()
        return self._lines.popleft()

    def _offer(self, line: LogLine) -> None:
        if self._ended:
            return
        # A pending marker needs a slot of its own, before the line that follows the gap.
        if len(self._lines) + (1 if self._unreported else 0) >= self._limit:
            self._unreported += 1
            self.skipped += 1
            return
        if self._unreported:
            self._lines.append(self._marker())
        self._lines.append(line)
        self._wakeup.set()

    def _offer_all(self, batch: list[LogLine]) -> None:
        """_offer for each line of `batch`, in one go: what fits is queued, the rest counted as skipped."""
        if self._ended or not batch:
            return
        room = self._limit - len(self._lines) - (1 if self._unreported else 0)
        taken = batch if len(batch) <= room else batch[: max(room, 0)]
        if taken:
            if self._unreported:
                self._lines.append(self._marker())
            self._lines.extend(taken)
            self._wakeup.set()
        missed = len(batch) - len(taken)
        self._unreported += missed
        self.skipped += missed

    def _end(self, error: BaseException | None) -> None:
        if not self._ended:
            self._ended = True
            self._error = error
            self._wakeup.set()

    def _marker(self) -> LogLine:
        count, self._unreported = self._unreported, 0
        return LogLine(stream='marker', text=f'… {count} lines skipped (this reader fell behind)')


class LogHub:
    """Shares one follow stream per container among all its subscribers."""

    def __init__(self, engine: Engine, *, history: int = 1000, queue_limit: int = 1000) -> None:
        self.engine = engine
        self.history = history
        self.queue_limit = queue_limit
        self._feeds: dict[str, _Feed] = {}

    @property
    def active_streams(self) -> int:
        """How many engine log streams are open right now."""
        return len(self._feeds)

    @asynccontextmanager
    async def follow(self, container: str, *, tail: int = 200) -> AsyncIterator[Subscription]:
        """Follow `container`'s log, starting with up to `tail` earlier lines.

        The first subscriber's tail comes from the engine; a later one's from what this stream has seen
        (at most `history` lines).
        """
        feed = self._feeds.get(container)
        if feed is None:
            feed = _Feed(
                self.engine,
                container,
                tail=min(tail, self.history),
                history=self.history,
                slice_size=max(self.queue_limit // 2, 1),
            )
            self._feeds[container] = feed
            feed.start(asyncio.get_running_loop(), self._ended)
        sub = Subscription(container, self.queue_limit, feed.opened)
        if feed.subscribers and tail > 0:
            sub._offer_all(list(feed.history)[-tail:])
        feed.subscribers.add(sub)
        try:
            yield sub
        finally:
            feed.subscribers.discard(sub)
            if not feed.subscribers:
                await self._close(feed)

    async def close(self) -> None:
        """Stop every stream (at shutdown); their subscribers' iterations end."""
        for feed in list(self._feeds.values()):
            for sub in list(feed.subscribers):
                sub.stop()
            await self._close(feed)

    async def _close(self, feed: _Feed) -> None:
        if self._feeds.get(feed.container) is feed:
            del self._feeds[feed.container]
        feed.close()
        await asyncio.to_thread(feed.pump.thread.join, 10)

    def _ended(self, feed: _Feed) -> None:
        if self._feeds.get(feed.container) is feed:
            del self._feeds[feed.container]


class _Feed:
    """The engine stream of one container, read by one thread; its lines reach the loop through a Pump."""

    def __init__(self, engine: Engine, container: str, *, tail: int, history: int, slice_size: int) -> None:
        self.container = container
        self.subscribers: set[Subscription] = set()
        self.history: deque[LogLine] = deque(maxlen=history)
        self.opened = asyncio.Event()
        self.pump: Pump[LogLine] = Pump(f'logs:{container}', self._read, deliver=self._deliver, finish=self._finish)
        self._engine = engine
        self._tail = tail
        self._lock = threading.Lock()
        self._stream: LogStream | None = None
        self._closed = False
        self._on_end: Callable[[_Feed], None] = lambda feed: None
        self._slice_size = slice_size
        self._backlog: deque[list[LogLine]] = deque()  # handed over, not yet offered to the subscribers
        self._end: tuple[BaseException | None] | None = None  # the stream's end, once it came behind a backlog

    def start(self, loop: asyncio.AbstractEventLoop, on_end: Callable[[_Feed], None]) -> None:
        self._on_end = on_end
        self.pump.start(loop)

    def close(self) -> None:
        """Stop the engine stream from the loop; the thread ends once its blocked read returns."""
        with self._lock:
            self._closed = True
            stream = self._stream
        if stream is not None:
            stream.close()

    def _read(self) -> Iterator[list[LogLine]]:
        """In the pump's thread: open the stream, say so, then its batches (one per socket read, up to 64 KiB)."""
        stream = self._engine.logs(self.container, tail=self._tail, follow=True, timestamps=True)
        with self._lock:
            if self._closed:
                stream.close()
                return
            self._stream = stream
        self.pump.post(self.opened.set)
        yield from stream.batches()

    def _deliver(self, batch: list[LogLine]) -> None:
        self._backlog.append(batch)
        if len(self._backlog) == 1:
            self._offer_slice()

    def _offer_slice(self) -> None:
        """Offer the subscribers the next slice of the backlog; later slices wait for the next turn of the loop.

        One socket read may bring thousands of lines. Offered at once they would overflow the queue of a
        subscriber that keeps up; a slice at a time, such a subscriber reads each slice before the next comes.
        """
        batch = self._backlog[0]
        if len(batch) > self._slice_size:
            self._backlog[0] = batch[self._slice_size :]
            batch = batch[: self._slice_size]
        else:
            self._backlog.popleft()
        self.history.extend(batch)
        for sub in list(self.subscribers):
            sub._offer_all(batch)
        if self._backlog:
            asyncio.get_running_loop().call_soon(self._offer_slice)
        elif self._end is not None:
            self._finish(*self._end)

    def _finish(self, error: BaseException | None) -> None:
        if self._backlog:  # the end comes after the last line
            self._end = (error,)
            return
        self.opened.set()
        self._on_end(self)
        for sub in list(self.subscribers):
            sub._end(None if self._closed else error)  # an error after close() is the close itself
