"""What every alert watcher does alike: handle what it heard one by one, look again now and then, outlive any
failure and stop at once."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

T = TypeVar('T')


class _Wake:
    """Look now (or stop, when stopping)."""


_WAKE = _Wake()


class Watcher(Generic[T]):
    """Handles each item `heard` in order; runs `look()` at start, every `every` seconds (None: only at start)
    and when woken. A failure is logged and the watcher goes on; stop() ends run() without waiting."""

    every: float | None = None
    name = 'alert watcher'

    def __init__(self) -> None:
        self._queue: asyncio.Queue[T | _Wake] = asyncio.Queue()
        self._stopping = False
        self._woken = False

    def heard(self, item: T) -> None:
        """A subscriber: handle `item` soon (in order)."""
        self._queue.put_nowait(item)

    def wake(self, *_: object) -> None:
        """A subscriber: look again soon (several wake-ups before the look are one)."""
        if not self._woken:
            self._woken = True
            self._queue.put_nowait(_WAKE)

    def stop(self) -> None:
        self._stopping = True
        self._queue.put_nowait(_WAKE)

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        due: float | None = loop.time()
        while not self._stopping:
            if due is not None and loop.time() >= due:
                await self._safely(self.look, 'look')
                due = loop.time() + self.every if self.every is not None else None
            timeout = None if due is None else max(0.0, due - loop.time())
            try:
                item = await asyncio.wait_for(self._queue.get(), timeout)
            except TimeoutError:
                continue
            if self._stopping:
                break
            if isinstance(item, _Wake):
                self._woken = False
                due = loop.time()
            else:
                await self._safely(partial(self.handle, item), f'handle {_short(item)}')

    async def look(self) -> None:
        """Look at the truth again (the store, the engine) and tell the keeper what holds."""

    async def handle(self, item: T) -> None:
        """React to one item heard."""

    async def _safely(self, step: Callable[[], Awaitable[None]], what: str) -> None:
        try:
            await step()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception('%s failed to %s', self.name, what)


def _short(item: object) -> str:
    text = repr(item)
    return text if len(text) <= 200 else text[:199] + '…'
