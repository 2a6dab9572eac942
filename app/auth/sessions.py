"""Server-side sign-in sessions: a fresh random id per sign-in, idle and absolute timeouts, ended at sign-out.

The browser holds only an HttpOnly, SameSite cookie with a random id; the table holds its hash. A sign-in
on the websocket hands a one-time ticket to an HTTP route that sets the new cookie, so the id always
changes at sign-in (no fixation) and an old cookie never comes back to life after sign-out. A ticket is bound
to the browser that started the sign-in (app/auth/sign_in_browser.py): another browser cannot redeem it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta

from ops.clock import utc_now
from ops.store.access import LoginSession

COOKIE = 'homelab_session'
TICKET_SECONDS = 60.0


@dataclass(frozen=True, kw_only=True, slots=True)
class SessionPolicy:
    idle: timedelta = timedelta(hours=12)
    absolute: timedelta = timedelta(days=7)


@dataclass(frozen=True, kw_only=True, slots=True)
class SignedIn:
    """Who a valid session cookie belongs to."""

    username: str
    session_id: int


@dataclass(frozen=True, kw_only=True, slots=True)
class _Ticket:
    username: str
    client: str
    target: str
    browser: str  # the mark of the browser that started the sign-in
    expires: float


def _digest(sid: str) -> str:
    return hashlib.sha256(sid.encode()).hexdigest()


class Sessions:
    """Issue, check and end sessions; tickets live in memory for a minute and work once."""

    def __init__(self, policy: SessionPolicy | None = None) -> None:
        self.policy = policy or SessionPolicy()
        self._tickets: dict[str, _Ticket] = {}

    def issue_ticket(self, username: str, client: str, target: str, browser: str) -> str:
        """A one-time ticket for /auth/complete that only the browser with this mark (sign_in_browser) redeems."""
        now = time.monotonic()
        self._tickets = {k: t for k, t in self._tickets.items() if t.expires > now}
        ticket = secrets.token_urlsafe(32)
        self._tickets[ticket] = _Ticket(
            username=username, client=client, target=target, browser=browser, expires=now + TICKET_SECONDS
        )
        return ticket

    def redeem_ticket(self, ticket: str, browser: str) -> tuple[str, str, str] | None:
        """(username, client, target) for a valid unused ticket redeemed by the browser it was issued to.

        A ticket works once: a try from another browser uses it up too (a stolen ticket is no use to its owner)."""
        found = self._tickets.pop(ticket, None)
        if found is None or found.expires < time.monotonic():
            return None
        if not found.browser or not hmac.compare_digest(found.browser, browser):
            return None
        return found.username, found.client, found.target

    async def start(self, username: str, client: str) -> str:
        """Create a session and return the new random id for the cookie."""
        sid = secrets.token_urlsafe(32)
        now = utc_now()
        await LoginSession.create(
            sid_hash=_digest(sid), username=username, client=client[:64], created_at=now, last_seen_at=now
        )
        return sid

    async def check(self, sid: str | None, *, touch: bool = True) -> SignedIn | None:
        """The signed-in user for a cookie value, or None (unknown, ended, idle or too old: ended now).

        `touch` counts this as activity for the idle timeout; a periodic recheck of an open page must not."""
        if not sid or len(sid) > 128:
            return None
        session = await LoginSession.get_or_none(sid_hash=_digest(sid), ended_at=None)
        if session is None:
            return None
        now = utc_now()
        if now - session.created_at > self.policy.absolute:
            await self._end(session, 'absolute timeout')
            return None
        if now - session.last_seen_at > self.policy.idle:
            await self._end(session, 'idle timeout')
            return None
        if touch and (now - session.last_seen_at).total_seconds() > 60:  # don't write on every request
            session.last_seen_at = now
            await session.save(update_fields=['last_seen_at'])
        return SignedIn(username=session.username, session_id=session.id)

    async def end(self, sid: str | None, reason: str = 'signed out') -> str | None:
        """End the session of this cookie; returns its user name if there was one."""
        if not sid or len(sid) > 128:
            return None
        session = await LoginSession.get_or_none(sid_hash=_digest(sid), ended_at=None)
        if session is None:
            return None
        await self._end(session, reason)
        return session.username

    async def ended_how(self, sid: str | None) -> tuple[str, str]:
        """(user name, why it ended) of the session of this cookie; empty strings when there is none."""
        if not sid or len(sid) > 128:
            return '', ''
        session = await LoginSession.get_or_none(sid_hash=_digest(sid))
        return (session.username, session.end_reason or 'ended') if session is not None else ('', '')

    async def end_all_of(self, username: str, reason: str) -> int:
        return await LoginSession.filter(username=username, ended_at=None).update(ended_at=utc_now(), end_reason=reason)

    @staticmethod
    async def _end(session: LoginSession, reason: str) -> None:
        session.ended_at, session.end_reason = utc_now(), reason
        await session.save(update_fields=['ended_at', 'end_reason'])
