"""What the sign-in page writes to the audit trail: every sign-in, and anonymous attempts within a bound.

A sign-in is always written (and nobody signs in when it cannot be). A failed attempt is one event, a refused one
is counted per address and window (throttled_audit.py); both of them together stay within the console's budget
of anonymous events (audit_budget.py), so someone who cannot sign in cannot fill the database from any number of
addresses, and the counts still add up to every attempt.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from nicegui import app

from app.auth.audit_budget import AnonymousBudget
from app.auth.throttled_audit import WINDOW, Append, ThrottledAudit
from ops.store.audit import AuditUnavailable
from ops.store.audit_kinds import AuditKind

log = logging.getLogger(__name__)


def sign_in_audit(append: Append) -> SignInAudit:
    """A SignInAudit whose open counts are written every WINDOW seconds and when the console stops."""
    audit = SignInAudit(append)
    app.timer(WINDOW, audit.flush, immediate=False)
    app.on_shutdown(audit.flush_all)
    return audit


class SignInAudit:
    """`succeeded`, `failed` and `refused` sign-in attempts as audit events."""

    def __init__(self, append: Append, now: Callable[[], float] | None = None) -> None:
        self._append = append
        self.budget = AnonymousBudget(append, now)
        self.refusals = ThrottledAudit(self.budget.append, now)

    async def succeeded(self, username: str, client: str) -> bool:
        """False when the trail cannot be written: then nobody signs in (nothing goes unrecorded)."""
        try:
            await self._append(
                AuditKind.LOGIN_SUCCEEDED,
                actor=f'ui:{username[:64]}',
                origin='ui',
                detail={'username': username[:64], 'client': client},
            )
        except AuditUnavailable:
            return False
        return True

    async def failed(self, username: str, client: str) -> None:
        """A secret was checked and was wrong."""
        detail = {'username': username[:64], 'client': client}
        try:
            await self.budget.append(AuditKind.LOGIN_FAILED, actor=f'anonymous@{client}', origin='ui', detail=detail)
        except AuditUnavailable as error:  # the attempt is over either way (and nobody can sign in meanwhile)
            log.error('a failed sign-in for %r from %s is not audited: %s', username[:64], client, error)

    async def refused(self, username: str, client: str) -> None:
        """An attempt was refused before any secret was checked (throttled, or no check was free)."""
        await self.refusals.note(client, username)

    async def flush(self, *, everything: bool = False) -> None:
        await self.refusals.flush(everything=everything)
        await self.budget.flush(everything=everything)

    async def flush_all(self) -> None:
        await self.flush(everything=True)
