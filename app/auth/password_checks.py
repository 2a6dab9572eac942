"""A ceiling on argon2 work for the whole console: at most a few password checks at once, however many addresses.

Each check costs 64 MiB and tens of milliseconds of a core. Anonymous attempts share AT_ONCE slots; a known
browser (app/auth/known_browsers.py) has a lane of its own, so a flood never queues the owner behind it. An
attempt that gets no slot within QUEUE_WAIT is answered "busy" and not checked (nor counted as a failure).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

AT_ONCE = 2
KNOWN_AT_ONCE = 1
QUEUE_WAIT = 3.0
BUSY = 'The console is busy checking other sign-ins. Try again in a few seconds.'


class PasswordChecks:
    """`async with checks.slot(known=...) as free:` runs the check only when `free`."""

    def __init__(self, at_once: int = AT_ONCE, known_at_once: int = KNOWN_AT_ONCE, wait: float | None = None) -> None:
        self._anyone = asyncio.Semaphore(at_once)
        self._known = asyncio.Semaphore(known_at_once)
        self._wait = wait

    @asynccontextmanager
    async def slot(self, *, known: bool = False) -> AsyncIterator[bool]:
        lane = self._known if known else self._anyone
        try:
            async with asyncio.timeout(QUEUE_WAIT if self._wait is None else self._wait):
                await lane.acquire()
        except TimeoutError:
            yield False
            return
        try:
            yield True
        finally:
            lane.release()
