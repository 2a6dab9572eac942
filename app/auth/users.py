"""Creating users, changing passwords and checking a login; users come only from the CLI."""

from __future__ import annotations

import asyncio
import re

from app.auth.passwords import hash_password, needs_rehash, password_problem, verify_password
from ops.clock import utc_now
from ops.store.models import User

USERNAME = re.compile(r'^[a-z_][a-z0-9_.-]{0,63}$')


class UserError(ValueError):
    """A user cannot be created or changed as asked."""


def _check_username(username: str) -> None:
    if not USERNAME.match(username):
        raise UserError('a user name is 1-64 characters: lowercase letters, digits, ".", "_" or "-"')


async def create_user(username: str, password: str) -> User:
    """A new user (the CLI goes through app.auth.accounts, which puts it on the audit trail)."""
    _check_username(username)
    return await add_user(username, await password_hash_of(password))


async def set_password(username: str, password: str) -> None:
    await store_password(username, await password_hash_of(password))


async def password_hash_of(password: str) -> str:
    """The argon2id hash of an acceptable password, computed beside the event loop; UserError when it is weak."""
    if problem := password_problem(password):
        raise UserError(problem)
    return await asyncio.to_thread(hash_password, password)


async def add_user(username: str, password_hash: str) -> User:
    _check_username(username)
    if await User.exists(username=username):
        raise UserError(f'user {username!r} already exists')
    return await User.create(username=username, password_hash=password_hash)


async def store_password(username: str, password_hash: str) -> int:
    """Replace the password; a changed password ends every session of the user. Returns how many ended."""
    from app.auth.sessions import Sessions

    if not await User.filter(username=username).update(password_hash=password_hash):
        raise UserError(f'no user {username!r}')
    return await Sessions().end_all_of(username, 'password changed')


async def authenticate(username: str, password: str) -> User | None:
    """The user when name and password match and the account is enabled; None otherwise (same cost)."""
    user = await User.get_or_none(username=username) if USERNAME.match(username) else None
    stored = user.password_hash if user is not None else None
    if not await asyncio.to_thread(verify_password, stored, password) or user is None or user.disabled:
        return None
    user.last_login_at = utc_now()
    fields = ['last_login_at']
    if needs_rehash(user.password_hash):
        user.password_hash = await asyncio.to_thread(hash_password, password)
        fields.append('password_hash')
    await user.save(update_fields=fields)
    return user


async def user_count() -> int:
    return await User.all().count()


async def disable_user(username: str) -> int:
    """No more sign-ins for this user, and every open session of theirs ends now. Returns how many ended."""
    from app.auth.sessions import Sessions

    if not await User.filter(username=username).update(disabled=True):
        raise UserError(f'no user {username!r}')
    return await Sessions().end_all_of(username, 'user disabled')
