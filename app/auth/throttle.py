"""Login throttling per client address and per user name, with exponential back-off.

Keys are tracked whether or not the user exists, so the answers never reveal which names are real. The
lock-out per user name is capped (15 min) so an attacker cannot keep the owner out for long, and the
attacker's own address is slowed down independently.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

FREE_ATTEMPTS = 5
BASE_DELAY = 2.0
MAX_DELAY = 15 * 60.0
FORGET_AFTER = 60 * 60.0


@dataclass
class _Record:
    failures: int = 0
    locked_until: float = 0.0
    last: float = 0.0


class LoginThrottle:
    """Call `wait_time` before checking a password, `failed` after a miss, `succeeded` after a hit."""

    def __init__(self, now: Callable[[], float] = time.monotonic) -> None:
        self._records: dict[str, _Record] = {}
        self._now = now

    def wait_time(self, client: str, username: str) -> float:
        """Seconds until another attempt from this client for this user name is allowed (0 = now)."""
        now = self._now()
        self._forget(now)
        waits = [r.locked_until - now for key in _keys(client, username) if (r := self._records.get(key))]
        return max([0.0, *waits])

    def failed(self, client: str, username: str) -> None:
        now = self._now()
        for key in _keys(client, username):
            record = self._records.setdefault(key, _Record())
            record.failures += 1
            record.last = now
            if record.failures >= FREE_ATTEMPTS:
                delay = min(BASE_DELAY * 2 ** (record.failures - FREE_ATTEMPTS), MAX_DELAY)
                record.locked_until = now + delay

    def succeeded(self, client: str, username: str) -> None:
        for key in _keys(client, username):
            self._records.pop(key, None)

    def _forget(self, now: float) -> None:
        stale = [k for k, r in self._records.items() if now - r.last > FORGET_AFTER and r.locked_until < now]
        for key in stale:
            del self._records[key]


def _keys(client: str, username: str) -> tuple[str, str]:
    return f'client:{client}', f'user:{username.strip().lower()[:64]}'
