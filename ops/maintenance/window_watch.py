"""Wakes when a maintenance window opens or closes: says so to the pages, and at an opening lets the policy
release what waited for it (the supervisor's next evaluation approves it)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC

from ops.bus import Event
from ops.maintenance.windows import MaintenanceWindows, Opening

log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True, slots=True)
class WindowState:
    """The window open now (None: outside every window) and the next one to open."""

    inside: Opening | None = None
    following: Opening | None = None


class WindowWatch:
    """Looks at the windows when one opens or closes (at least once a `longest_sleep`, so a changed clock or a
    suspended host is noticed), and runs `opened` at each opening; `poke()` looks now (a test that moved its clock)."""

    def __init__(
        self,
        windows: MaintenanceWindows,
        *,
        opened: Callable[[Opening], Awaitable[object]],
        longest_sleep: float = 60.0,
    ) -> None:
        self.windows = windows
        self.opened = opened
        self.longest_sleep = longest_sleep
        self.state = WindowState()
        self.changed: Event[WindowState] = Event()
        self._wake = asyncio.Event()
        self._stopping = False

    def poke(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    async def run(self) -> None:
        """Until stop(): look, tell, sleep until the next opening or closing."""
        if not self.windows.configured:
            return
        while not self._stopping:
            self._wake.clear()  # a poke during the look makes another look
            try:
                await self.look()
            except Exception:  # the watch must outlive any surprise; the next look retries
                log.exception('maintenance window check failed')
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self._delay())

    async def look(self) -> WindowState:
        """The state now; on a change it is published, and an opening runs `opened`."""
        now = self.windows.now()
        state = WindowState(inside=self.windows.inside(now), following=self.windows.next_opening(now))
        before, self.state = self.state, state
        if state != before:
            self.changed.emit(state)
        if state.inside is not None and (before.inside is None or before.inside.opens_at != state.inside.opens_at):
            log.info('maintenance window %s is open until %s', state.inside.window, f'{state.inside.closes_at:%H:%M}')
            await self.opened(state.inside)
        elif state.inside is None and before.inside is not None:
            log.info('maintenance window %s closed', before.inside.window)
        return state

    def _delay(self) -> float:
        boundary = self.state.inside.closes_at if self.state.inside else None
        boundary = boundary or (self.state.following.opens_at if self.state.following else None)
        if boundary is None:
            return self.longest_sleep
        left = (boundary.astimezone(UTC) - self.windows.now().astimezone(UTC)).total_seconds()
        return min(self.longest_sleep, max(left + 0.05, 0.05))
