"""Password hashing with argon2id (argon2-cffi's RFC 9106 low-memory profile: m=64 MiB, t=3)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()

# Verified against when the user does not exist, so a miss costs the same time as a wrong password.
_DUMMY_HASH = _hasher.hash('not a real password, only here to spend the same time')

MIN_LENGTH = 12
MAX_LENGTH = 1024


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when the password matches; with no hash, spend the same time and say no."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def password_problem(password: str) -> str | None:
    """Why a new password is not acceptable, or None."""
    if len(password) < MIN_LENGTH:
        return f'a password needs at least {MIN_LENGTH} characters'
    if len(password) > MAX_LENGTH:
        return f'a password may have at most {MAX_LENGTH} characters'
    return None
