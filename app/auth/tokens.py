"""API tokens for /summary and other JSON routes: shown once, stored hashed, revocable, header-only."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from ops.clock import utc_now
from ops.store.access import ApiToken

PREFIX = 'hlp_'
NAME = re.compile(r'^[a-z0-9][a-z0-9_.-]{0,63}$')


class TokenError(ValueError):
    """A token cannot be created or revoked as asked."""


def _digest(token: str) -> str:
    # Tokens are 256-bit random strings, so a plain SHA-256 is enough (no password stretching needed).
    return hashlib.sha256(token.encode()).hexdigest()


async def create_token(name: str) -> str:
    """Create a token called `name` and return it; this is the only time it is ever shown."""
    if not NAME.match(name):
        raise TokenError('a token name is 1-64 characters: lowercase letters, digits, ".", "_" or "-"')
    if await ApiToken.exists(name=name, revoked_at=None):
        raise TokenError(f'an active token called {name!r} exists; revoke it first')
    token = PREFIX + secrets.token_urlsafe(32)
    await ApiToken.create(name=name, token_hash=_digest(token))
    return token


async def revoke_token(name: str) -> None:
    updated = await ApiToken.filter(name=name, revoked_at=None).update(revoked_at=utc_now())
    if not updated:
        raise TokenError(f'no active token called {name!r}')


async def token_owner(token: str) -> str | None:
    """The name of the active token `token`, or None (constant-time comparison of the stored digest)."""
    if not token.startswith(PREFIX) or len(token) > 128:
        return None
    digest = _digest(token)
    found = await ApiToken.get_or_none(token_hash=digest, revoked_at=None)
    if found is None or not hmac.compare_digest(found.token_hash, digest):
        return None
    await ApiToken.filter(id=found.id).update(last_used_at=utc_now())
    return found.name


def bearer(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header (never from a URL)."""
    if not authorization:
        return None
    scheme, _, value = authorization.partition(' ')
    return value.strip() if scheme.lower() == 'bearer' and value.strip() else None
