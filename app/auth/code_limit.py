"""A hard limit on wrong second-factor codes per user name, from wherever they come.

Only someone who knows the password reaches the code step, so this is the last line: after CODE_FREE_FAILURES
wrong codes for a user name its code checks stop for CODE_LOCK, and each wrong code after a lock doubles it (up
to CODE_MAX_LOCK), until a right code. The password step is not affected. A check counts as wrong from the moment
it is reserved (no await in between), so simultaneous codes cannot get past the limit.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from app.auth.throttle import Refused
from ops import clock

CODE_FREE_FAILURES = 10
CODE_LOCK = 15 * 60.0
CODE_MAX_LOCK = 24 * 60 * 60.0

log = logging.getLogger(__name__)


@dataclass
class _Codes:
    failures: int = 0
    locked_until: float = 0.0


class CodeLimit:
    """`refusal` (None: go on), then `checking` before a code is checked, and `passed` when it was right."""

    def __init__(self, now: Callable[[], float] | None = None) -> None:
        self._now = now if now is not None else clock.monotonic
        self._users: dict[str, _Codes] = {}  # only names whose password was right get here: bounded by the users

    def refusal(self, username: str) -> Refused | None:
        """Why a code for this user name is not checked now, or None."""
        codes = self._users.get(username)
        if codes is not None and (wait := codes.locked_until - self._now()) > 0:
            return Refused(wait, codes=True)
        return None

    def checking(self, username: str) -> None:
        """A code is being checked: it counts as wrong unless `passed` follows."""
        now, codes = self._now(), self._users.setdefault(username, _Codes())
        codes.failures += 1
        if codes.failures >= CODE_FREE_FAILURES:
            lock = min(CODE_LOCK * 2 ** min(codes.failures - CODE_FREE_FAILURES, 32), CODE_MAX_LOCK)
            codes.locked_until = now + lock
            log.warning(
                '%d codes for %s without a right one: its code checks stop for %d s', codes.failures, username, lock
            )

    def passed(self, username: str) -> None:
        self._users.pop(username, None)

    def wait_time(self, username: str) -> float:
        """Seconds until a code for this user name would be checked (0 = now)."""
        codes = self._users.get(username)
        return max(0.0, codes.locked_until - self._now()) if codes is not None else 0.0
