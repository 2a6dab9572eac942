"""One lock per stack inside this process: an all-stacks run and a one-stack run never overlap on a stack."""

from __future__ import annotations

import asyncio


class StackLocks:
    """Built once by the composition root; `of(stack)` is the same lock for every run of this process."""

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}

    def of(self, stack: str) -> asyncio.Lock:
        return self._locks.setdefault(stack, asyncio.Lock())
