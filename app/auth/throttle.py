"""The sign-in throttle: back-off per address and user name and per address, a rate per user name, one check at a time.

Keys are kept whether or not the user exists, so the answers never reveal which names are real. Guessing from one
address backs that address off (exponentially, capped); across addresses a user name is only slowed to one check
per USER_INTERVAL, never locked. A browser that signed in as that user before (a known browser: its device cookie,
app/auth/known_browsers.py) is not held back by the user name's rate, nor by its address: it has a back-off of its
own, so many addresses guessing cannot keep the owner out, and a stolen device cookie is no free pass. An attempt
is reserved before its secret is checked (no await in between), so simultaneous attempts cannot all pass the check.
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType

from ops import clock

FREE_ATTEMPTS = 5  # failures per (address, user name) before that pair backs off
ADDRESS_FREE_ATTEMPTS = 10  # failures per address, whatever the user names, before the address backs off
USER_FREE_ATTEMPTS = 5  # failures per user name from all addresses before its checks are rated
USER_INTERVAL = 5.0  # then at most one check per user name per this many seconds, from wherever it comes
BASE_DELAY = 2.0
MAX_DELAY = 15 * 60.0
BUSY_WAIT = 1.0  # the answer while another check for the same address or user name is under way
FORGET_AFTER = 60 * 60.0


@dataclass(frozen=True, slots=True)
class Refused:
    """The attempt is not checked; trying again makes sense in `wait` seconds."""

    wait: float
    busy: bool = False  # another attempt for this address or user name is being checked right now
    codes: bool = False  # too many wrong second-factor codes for this user name (app/auth/code_limit.py)

    @property
    def message(self) -> str:
        if self.busy:
            return f'Another sign-in attempt is being checked. Try again in {_whole(self.wait)} s.'
        if self.codes:
            return f'Too many wrong codes for this user. Try again in {_whole(self.wait)} s.'
        return f'Too many failed attempts. Try again in {_whole(self.wait)} s.'


class Attempt:
    """A reserved check of a secret: it counts as a failure unless `passed()` or `not_checked()` is called first."""

    def __init__(self, end: Callable[[bool | None], None]) -> None:
        self._end = end
        self._failed: bool | None = True

    def passed(self) -> None:
        """The secret was right (the sign-in itself is recorded with `LoginThrottle.succeeded`)."""
        self._failed = False

    def not_checked(self) -> None:
        """The secret was not checked after all (e.g. no password check was free): it counts for nothing."""
        self._failed = None

    def __enter__(self) -> Attempt:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self._end(self._failed)


@dataclass
class _Record:
    failures: int = 0
    locked_until: float = 0.0
    checked_at: float = 0.0
    last: float = 0.0


@dataclass(frozen=True, slots=True)
class _Keys:
    pair: str
    address: str
    user: str
    device: str | None  # a known browser's key for this user name: it stands in for the pair, address and user

    @property
    def busy(self) -> tuple[str, str]:
        """One check at a time per address, and per user name (per known browser for a known browser)."""
        return (self.address, self.device or self.user)


class LoginThrottle:
    """`reserve` before checking a secret and end the attempt; `succeeded` once the user is signed in."""

    def __init__(self, now: Callable[[], float] | None = None) -> None:
        self._now = now if now is not None else clock.monotonic
        self._records: dict[str, _Record] = {}
        self._busy: set[str] = set()
        self._forgotten_at = 0.0

    def reserve(self, client: str, username: str, device: str | None = None) -> Attempt | Refused:
        """An attempt to check now, or how long to wait; nothing awaits between the decision and the reservation.

        `device` is the id of this browser's device cookie when it is valid for this user name (known_browsers).
        """
        now = self._now()
        self._forget(now)
        keys = _keys(client, username, device)
        if any(key in self._busy for key in keys.busy):
            return Refused(BUSY_WAIT, busy=True)
        if (wait := self._wait(keys, now)) > 0:
            return Refused(wait)
        self._busy.update(keys.busy)
        if keys.device is None:
            user = self._records.setdefault(keys.user, _Record())
            user.checked_at = user.last = now
        return Attempt(lambda failed: self._end(keys, failed))

    def wait_time(self, client: str, username: str, device: str | None = None) -> float:
        """Seconds until an attempt from this address for this user name would be checked (0 = now)."""
        return max(0.0, self._wait(_keys(client, username, device), self._now()))

    def succeeded(self, client: str, username: str, device: str | None = None) -> None:
        """Signed in: forget this pair's and this user name's failures (the address keeps its own).

        Through a known browser only that browser's failures are forgotten: the owner signing in says nothing
        about the guesses from elsewhere, which keep the user name's rate."""
        keys = _keys(client, username, device)
        if keys.device is not None:
            self._records.pop(keys.device, None)
            return
        self._records.pop(keys.pair, None)
        self._records.pop(keys.user, None)

    def _wait(self, keys: _Keys, now: float) -> float:
        waits = [0.0]
        for key in (keys.device,) if keys.device else (keys.pair, keys.address):
            if record := self._records.get(key):
                waits.append(record.locked_until - now)
        user = self._records.get(keys.user)
        if keys.device is None and user is not None and user.failures >= USER_FREE_ATTEMPTS:
            waits.append(user.checked_at + USER_INTERVAL - now)
        return max(waits)

    def _end(self, keys: _Keys, failed: bool | None) -> None:
        self._busy.difference_update(keys.busy)
        if not failed:
            return
        now = self._now()
        counted: tuple[tuple[str, int | None], ...] = (
            ((keys.device, FREE_ATTEMPTS), (keys.address, ADDRESS_FREE_ATTEMPTS))
            if keys.device
            else ((keys.pair, FREE_ATTEMPTS), (keys.address, ADDRESS_FREE_ATTEMPTS), (keys.user, None))
        )
        for key, free in counted:
            record = self._records.setdefault(key, _Record())
            record.failures += 1
            record.last = now
            if free is not None and record.failures >= free:
                record.locked_until = now + min(BASE_DELAY * 2 ** min(record.failures - free, 32), MAX_DELAY)

    def _forget(self, now: float) -> None:
        if now - self._forgotten_at < 60:
            return
        self._forgotten_at = now
        stale = [k for k, r in self._records.items() if now - r.last > FORGET_AFTER and r.locked_until < now]
        for key in stale:
            del self._records[key]


def address_key(client: str) -> str:
    """What is throttled as one address: the address itself, or its /64 for IPv6 (one host may own a /64)."""
    try:
        address = ipaddress.ip_address(client)
    except ValueError:
        return client[:64]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def _keys(client: str, username: str, device: str | None = None) -> _Keys:
    address, user = address_key(client), username.strip().lower()[:64]
    return _Keys(
        pair=f'pair:{address}|{user}',
        address=f'address:{address}',
        user=f'user:{user}',
        device=f'device:{device[:64]}|{user}' if device else None,
    )


def _whole(seconds: float) -> int:
    return max(1, math.ceil(seconds))
