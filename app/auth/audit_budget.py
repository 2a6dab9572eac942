"""A budget of anonymous sign-in events for the whole console: past it, the rest of a window is one event.

Counting per address (throttled_audit.py) does not bound what many addresses write together: 10,000 IPv6 /64s
are 10,000 addresses. So failed and refused sign-in attempts of anyone not signed in share BUDGET events per
window; what comes after is counted (attempts, of them failed, distinct addresses) and written as one
`login_throttled` event when the window ends, so the counts still add up to every attempt. While the overflow goes
on the window doubles, up to an hour: a flood writes about BUDGET events an hour, not a minute.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from app.auth.throttle import address_key
from app.auth.throttled_audit import MAX_WINDOW, WINDOW, Append
from ops import clock
from ops.store.audit import AuditUnavailable
from ops.store.audit_kinds import AuditKind

BUDGET = 120  # anonymous sign-in events written per window, from all addresses together
MAX_ADDRESSES = 65_536  # distinct addresses told apart in one overflow (then "at least")
OVERFLOW_CLIENT = 'other addresses'

log = logging.getLogger(__name__)


@dataclass
class _Overflow:
    count: int = 0
    failed: int = 0
    addresses: set[str] = field(default_factory=set)
    more_addresses: bool = False

    def add(self, count: int, failed: int, addresses: set[str], more: bool = False) -> None:
        self.count += count
        self.failed += failed
        self.more_addresses |= more
        for address in addresses:
            if len(self.addresses) < MAX_ADDRESSES:
                self.addresses.add(address)
            elif address not in self.addresses:
                self.more_addresses = True


class AnonymousBudget:
    """An `Append` for anonymous sign-in events that writes at most `limit` of them per window."""

    def __init__(self, append: Append, now: Callable[[], float] | None = None, *, limit: int | None = None) -> None:
        self._append = append
        self._now = now if now is not None else clock.monotonic
        self.limit = BUDGET if limit is None else limit
        self._length = WINDOW
        self._ends: float | None = None
        self._used = 0
        self._overflow = _Overflow()

    async def append(self, kind: AuditKind, *, actor: str, origin: str, detail: dict[str, Any]) -> None:
        """Write the event while the window's budget lasts; past it, count it into the window's overflow."""
        await self.flush()
        if self._used < self.limit:
            self._used += 1
            await self._append(kind, actor=actor, origin=origin, detail=detail)
            return
        count = detail.get('count', 1)
        count = count if isinstance(count, int) and count > 0 else 1
        self._overflow.add(
            count, count if kind is AuditKind.LOGIN_FAILED else 0, {address_key(str(detail.get('client')))}
        )

    async def flush(self, *, everything: bool = False) -> None:
        """When the window has ended (or at shutdown, `everything`): write its overflow and start the next."""
        now = self._now()
        if self._ends is None:
            self._ends = now + self._length
            return
        if now < self._ends and not everything:
            return
        due = self._overflow  # decided before anything is awaited: attempts meanwhile count in the new window
        self._length = min(self._length * 2, MAX_WINDOW) if due.count else WINDOW
        self._ends, self._used, self._overflow = now + self._length, 0, _Overflow()
        if due.count:
            await self._write(due)

    async def _write(self, due: _Overflow) -> None:
        addresses = len(due.addresses)
        detail: dict[str, Any] = {
            'client': OVERFLOW_CLIENT,
            'count': due.count,
            'failed': due.failed,
            'addresses': addresses,
            'note': f'{due.count} more failed or refused sign-in attempts from {addresses}'
            f'{"+" if due.more_addresses else ""} addresses, past the budget of {self.limit} events per window',
        }
        if due.more_addresses:
            detail['more_addresses'] = True
        try:
            await self._append(AuditKind.LOGIN_THROTTLED, actor='anonymous@other-addresses', origin='ui', detail=detail)
        except AuditUnavailable:
            log.error(
                '%d sign-in attempts past the audit budget are not audited yet: the trail cannot be written', due.count
            )
            self._overflow.add(due.count, due.failed, due.addresses, due.more_addresses)
