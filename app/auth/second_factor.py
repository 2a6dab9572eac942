"""Optional TOTP two-factor sign-in (RFC 6238), with one-time recovery codes shown once at enrolment."""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass

import pyotp

from ops.clock import utc_now
from ops.store.access import RecoveryCode, SecondFactor

ISSUER = 'Homelab Control Plane'
RECOVERY_CODES = 10
STEP = 30


@dataclass(frozen=True, kw_only=True, slots=True)
class Enrolment:
    """What the person must copy now: the secret (as a URI for an authenticator app) and the recovery codes."""

    secret: str
    uri: str
    recovery_codes: list[str]


def _digest(code: str) -> str:
    return hashlib.sha256(code.strip().lower().replace('-', '').encode()).hexdigest()


async def enrol(username: str) -> Enrolment:
    """Start (or restart) TOTP for a user; replaces any earlier secret and recovery codes."""
    secret = pyotp.random_base32()
    await SecondFactor.filter(username=username).delete()
    await RecoveryCode.filter(username=username).delete()
    await SecondFactor.create(username=username, secret=secret)
    codes = [f'{secrets.token_hex(4)}-{secrets.token_hex(4)}' for _ in range(RECOVERY_CODES)]
    for code in codes:
        await RecoveryCode.create(username=username, code_hash=_digest(code))
    uri = pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)
    return Enrolment(secret=secret, uri=uri, recovery_codes=codes)


async def remove(username: str) -> bool:
    removed = await SecondFactor.filter(username=username).delete()
    await RecoveryCode.filter(username=username).delete()
    return bool(removed)


async def is_enrolled(username: str) -> bool:
    return await SecondFactor.exists(username=username)


async def verify(username: str, code: str, *, now: float | None = None) -> str | None:
    """'totp' or 'recovery' when the code is good (and now used up), None otherwise."""
    factor = await SecondFactor.get_or_none(username=username)
    if factor is None:
        return None
    code = code.strip().replace(' ', '')
    if code.isdigit() and len(code) == 6:
        moment = time.time() if now is None else now
        totp = pyotp.TOTP(factor.secret)
        for offset in (0, -1, 1):  # one step of clock drift either way
            step = int(moment // STEP) + offset
            if step > factor.last_step and secrets.compare_digest(totp.at(step * STEP), code):
                # Only a later step may ever pass again: a code (or an older one) cannot be replayed.
                updated = await SecondFactor.filter(id=factor.id, last_step__lt=step).update(last_step=step)
                return 'totp' if updated else None
        return None
    used = await RecoveryCode.filter(username=username, code_hash=_digest(code), used_at=None).update(used_at=utc_now())
    return 'recovery' if used else None
