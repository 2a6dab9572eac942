"""Wait on a condition with a deadline, never a bare sleep."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar('T')


def wait_for(condition: Callable[[], T], *, timeout: float = 30.0, interval: float = 0.1, what: str = '') -> T:
    """Call `condition` until it returns something truthy; fail with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last: T | None = None
    while time.monotonic() < deadline:
        last = condition()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f'timed out after {timeout:.0f}s waiting for {what or condition} (last: {last!r})')


async def wait_for_async(
    condition: Callable[[], T | Awaitable[T]], *, timeout: float = 30.0, interval: float = 0.1, what: str = ''
) -> T:
    deadline = time.monotonic() + timeout
    last: T | None = None
    while time.monotonic() < deadline:
        result = condition()
        last = await result if asyncio.iscoroutine(result) else result  # type: ignore[assignment]
        if last:
            return last  # type: ignore[return-value]
        await asyncio.sleep(interval)
    raise AssertionError(f'timed out after {timeout:.0f}s waiting for {what or condition} (last: {last!r})')
