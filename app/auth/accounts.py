"""Account administration from the host (`homelab user|token`): each change commits with its audit event, or not
at all (one SQLite transaction). The event names who (`cli:<OS user>`) and which account or token, never a
secret: no password or its hash, no TOTP secret, URI or recovery code, no token."""

from __future__ import annotations

from dataclasses import dataclass

from app.auth.second_factor import Enrolment, enrol, is_enrolled, remove
from app.auth.tokens import create_token, revoke_token
from app.auth.users import UserError, add_user, disable_user, password_hash_of, store_password
from ops.store.audit import AuditLog
from ops.store.audit_kinds import AuditKind
from ops.store.models import User

ORIGIN = 'cli'


@dataclass(frozen=True, kw_only=True, slots=True)
class Administrator:
    """Who changes accounts, and the audit trail every change goes on (AuditUnavailable: nothing changed)."""

    actor: str
    audit: AuditLog

    async def create_user(self, username: str, password: str) -> None:
        password_hash = await password_hash_of(password)  # the slow part, before the transaction
        async with self.audit.recording(
            AuditKind.USER_CREATED, actor=self.actor, origin=ORIGIN, detail={'user': username}
        ):
            await add_user(username, password_hash)

    async def set_password(self, username: str, password: str) -> None:
        password_hash = await password_hash_of(password)
        detail = {'user': username}
        async with self.audit.recording(
            AuditKind.PASSWORD_CHANGED, actor=self.actor, origin=ORIGIN, detail=detail
        ) as done:
            done['sessions_ended'] = await store_password(username, password_hash)

    async def disable(self, username: str) -> None:
        detail = {'user': username}
        async with self.audit.recording(
            AuditKind.USER_DISABLED, actor=self.actor, origin=ORIGIN, detail=detail
        ) as done:
            done['sessions_ended'] = await disable_user(username)

    async def enrol_totp(self, username: str) -> Enrolment:
        """Turn TOTP on (or start it over); the secret and recovery codes are for the caller to show once."""
        async with self.audit.recording(
            AuditKind.TOTP_ENROLLED, actor=self.actor, origin=ORIGIN, detail={'user': username}
        ) as done:
            await _existing(username)
            done['replaced'] = await is_enrolled(username)
            enrolment = await enrol(username)
        return enrolment

    async def remove_totp(self, username: str) -> None:
        async with self.audit.recording(
            AuditKind.TOTP_REMOVED, actor=self.actor, origin=ORIGIN, detail={'user': username}
        ):
            await _existing(username)
            if not await remove(username):
                raise UserError(f'{username!r} has no two-factor sign-in')

    async def create_token(self, name: str) -> str:
        """A new API token; the caller shows it once (only its digest is stored)."""
        async with self.audit.recording(
            AuditKind.TOKEN_CREATED, actor=self.actor, origin=ORIGIN, detail={'token': name}
        ):
            token = await create_token(name)
        return token

    async def revoke_token(self, name: str) -> None:
        async with self.audit.recording(
            AuditKind.TOKEN_REVOKED, actor=self.actor, origin=ORIGIN, detail={'token': name}
        ):
            await revoke_token(name)


async def _existing(username: str) -> None:
    if not await User.exists(username=username):
        raise UserError(f'no user {username!r}')
