"""The browser that starts a sign-in: a random HttpOnly cookie from /login, so only that browser can finish it.

A sign-in ends in a one-time ticket for /auth/complete. Without a binding, anyone who got a ticket (their own,
for example) could have another browser redeem it and so sign that browser in as themselves (login CSRF).
The ticket keeps a hash of this cookie; /auth/complete redeems it only for a request that carries the cookie.
"""

from __future__ import annotations

import hashlib
import secrets

from fastapi import Request
from starlette.responses import Response

BROWSER_COOKIE = 'homelab_sign_in'
_FRESH = 'homelab_sign_in_fresh'  # a cookie given in this very response, before the browser could send it back


def browser_mark(request: Request) -> str:
    """A hash of this browser's sign-in cookie (or of the one it is given right now); '' when it has none."""
    value = request.cookies.get(BROWSER_COOKIE) or request.scope.get(_FRESH) or ''
    if not value or len(value) > 128:
        return ''
    return hashlib.sha256(value.encode()).hexdigest()


def prepare_browser_cookie(request: Request) -> str | None:
    """Before a sign-in page or start answers: a new cookie value for a browser that has none (else None)."""
    if request.cookies.get(BROWSER_COOKIE):
        return None
    fresh = secrets.token_urlsafe(32)
    # The page handler runs on the same ASGI scope, so it sees the value before the browser sends it back.
    request.scope[_FRESH] = fresh
    return fresh


def give_browser_cookie(response: Response, value: str, *, secure: bool) -> None:
    response.set_cookie(BROWSER_COOKIE, value, httponly=True, samesite='lax', secure=secure, path='/')


def is_https(request: Request) -> bool:
    """Whether the browser reached us over HTTPS (directly, or through a proxy in HOMELAB_TRUSTED_PROXIES, whose
    X-Forwarded-Proto uvicorn has already applied to the scheme; anyone else's header is not believed)."""
    return request.url.scheme == 'https'
