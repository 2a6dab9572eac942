"""Known browsers: a long-lived signed device cookie for a browser that signed in, so guessing elsewhere cannot slow it.

OWASP's "device cookies": after a sign-in the browser gets `homelab_device` (HttpOnly, SameSite=Lax, Secure over
HTTPS), an HMAC of the user name, the day it was given and a random id, keyed with a key derived from the storage
secret. It proves nothing about who is typing; it only says this browser signed in as that user before, so the
throttle lets its attempts past the user name's rate (app/auth/throttle.py) with a back-off of its own. The user
name is not in the cookie: it is checked against the name typed. One browser remembers its latest user.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable

from starlette.responses import Response

DEVICE_COOKIE = 'homelab_device'
DEVICE_DAYS = 180  # a known browser is remembered this long after its latest sign-in
_PURPOSE = b'homelab known browser v1'
_MAX_LENGTH = 200


class KnownBrowsers:
    """Gives device cookies and tells whether one was given to a browser that signed in as a user name."""

    def __init__(self, storage_secret: str, now: Callable[[], float] = time.time) -> None:
        self._key = hmac.new(storage_secret.encode(), _PURPOSE, hashlib.sha256).digest()
        self._now = now

    def cookie_for(self, username: str) -> str:
        """A new device cookie value for a browser that has just signed in as `username`."""
        issued, device = str(int(self._now())), secrets.token_urlsafe(18)
        return f'{issued}.{device}.{self._mac(username, issued, device)}'

    def device(self, cookie: str | None, username: str) -> str | None:
        """The browser's device id when `cookie` was given for this user name and has not expired; else None."""
        if not cookie or len(cookie) > _MAX_LENGTH or cookie.count('.') != 2:
            return None
        issued, device, mac = cookie.split('.')
        if not issued.isdigit() or not 0 <= self._now() - int(issued) <= DEVICE_DAYS * 86400:
            return None
        if not hmac.compare_digest(mac, self._mac(username, issued, device)):
            return None
        return device

    def remember(self, response: Response, username: str, *, secure: bool) -> None:
        """Give the browser this response goes to a device cookie for `username`."""
        response.set_cookie(
            DEVICE_COOKIE,
            self.cookie_for(username),
            max_age=DEVICE_DAYS * 86400,
            httponly=True,
            samesite='lax',
            secure=secure,
            path='/',
        )

    def _mac(self, username: str, issued: str, device: str) -> str:
        message = f'{username.strip().lower()}\n{issued}\n{device}'.encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()


_known: KnownBrowsers | None = None


def install_known_browsers(storage_secret: str) -> KnownBrowsers:
    """The console's KnownBrowsers, keyed with its storage secret (call once at start, before any sign-in)."""
    global _known
    _known = KnownBrowsers(storage_secret)
    return _known


def known_browsers() -> KnownBrowsers:
    if _known is None:
        raise RuntimeError('install_known_browsers was not called')
    return _known
