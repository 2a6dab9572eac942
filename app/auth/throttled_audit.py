"""Throttled sign-in attempts in the audit trail: one event per address and window, with a count.

Someone who cannot sign in must not be able to fill the database. The first refused attempt from an address is
written at once; the rest of its window is counted and written as one event when the window ends (at that
address's next attempt, by the periodic flush, or when the console stops), so the counts add up to every refused
attempt. While a flood goes on its window doubles, up to an hour. Varying the user name does not multiply events:
the key is the address (an IPv6 /64), and the event lists the first MAX_NAMES names.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from app.auth.throttle import address_key
from ops import clock
from ops.store.audit import AuditUnavailable
from ops.store.audit_kinds import AuditKind

WINDOW = 60.0  # the first window of a flood, and how often open counts are flushed
MAX_WINDOW = 60 * 60.0
MAX_NAMES = 10

log = logging.getLogger(__name__)


class Append(Protocol):
    def __call__(self, kind: AuditKind, *, actor: str, origin: str, detail: dict[str, Any]) -> Awaitable[object]: ...


@dataclass
class _Window:
    ends: float
    length: float
    count: int = 0
    names: list[str] = field(default_factory=list)
    more_names: bool = False

    def add(self, count: int, names: list[str], more_names: bool = False) -> None:
        self.count += count
        self.more_names |= more_names
        for name in names:
            if not name or name in self.names:
                continue
            if len(self.names) < MAX_NAMES:
                self.names.append(name)
            else:
                self.more_names = True


class ThrottledAudit:
    """Counts refused sign-in attempts per address and writes them as events of `kind` with a count.

    Any other refusal an anonymous caller can repeat at will (e.g. a sign-in callback with an unknown state) can
    be counted the same way, with its own kind and fixed detail.
    """

    def __init__(
        self,
        append: Append,
        now: Callable[[], float] | None = None,
        *,
        kind: AuditKind = AuditKind.LOGIN_THROTTLED,
        detail: dict[str, Any] | None = None,
    ) -> None:
        self._append = append
        self._kind = kind
        self._detail = dict(detail or {})
        self._now = now if now is not None else clock.monotonic
        self._windows: dict[str, _Window] = {}

    async def note(self, client: str, username: str) -> bool:
        """Count one refused attempt; False when its event was due and the trail could not be written."""
        now, key = self._now(), address_key(client)
        window = self._windows.get(key)
        if window is not None and now < window.ends:
            window.add(1, [username[:64]])
            return True
        length = min(window.length * 2, MAX_WINDOW) if window is not None and window.count else WINDOW
        due = window if window is not None else _Window(ends=now, length=0.0)
        due.add(1, [username[:64]])
        self._windows[key] = _Window(ends=now + length, length=length)
        return await self._write(key, due)

    async def flush(self, *, everything: bool = False) -> None:
        """Write the counts of windows that have ended (all of them with `everything`)."""
        now = self._now()
        due = [(key, window) for key, window in self._windows.items() if everything or now >= window.ends]
        for key, window in due:  # decided before anything is awaited: attempts meanwhile count in a new window
            if everything or not window.count:
                del self._windows[key]
            else:  # the flood goes on: its next window is longer
                length = min(window.length * 2, MAX_WINDOW)
                self._windows[key] = _Window(ends=now + length, length=length)
        for key, window in due:
            if window.count:
                await self._write(key, window)

    async def flush_all(self) -> None:
        await self.flush(everything=True)

    async def _write(self, key: str, window: _Window) -> bool:
        detail: dict[str, Any] = {**self._detail, 'client': key, 'count': window.count, 'usernames': window.names}
        if window.more_names:
            detail['more_usernames'] = True
        try:
            await self._append(self._kind, actor=f'anonymous@{key}', origin='ui', detail=detail)
        except AuditUnavailable:
            log.error(
                '%d throttled sign-in attempt(s) from %s are not audited yet: the trail cannot be written',
                window.count,
                key,
            )
            kept = self._windows.setdefault(key, _Window(ends=self._now(), length=WINDOW))
            kept.add(window.count, window.names, window.more_names)
            return False
        return True
