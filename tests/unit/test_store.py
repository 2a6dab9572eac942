from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from app.auth.users import UserError, authenticate, create_user, set_password
from ops.store.db import close_store, open_store, pragma
from ops.store.models import User

PASSWORD = 'correct horse battery staple'


async def test_store_uses_wal_and_full_sync_and_survives_reopening(tmp_path: Path) -> None:
    db = tmp_path / 'homelab.sqlite3'
    await open_store(db)
    try:
        assert await pragma('journal_mode') == 'wal'
        assert await pragma('synchronous') == 2  # FULL
        await User.create(username='alice', password_hash='x')
    finally:
        await close_store()
    await open_store(db)  # migrations already applied: a no-op, data kept
    try:
        assert await User.filter(username='alice').count() == 1
    finally:
        await close_store()
    with sqlite3.connect(db) as conn:
        assert conn.execute('PRAGMA integrity_check').fetchone() == ('ok',)
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert 'users' in tables
    assert any('migration' in name for name in tables), tables  # built-in migrations, not generate_schemas


async def test_passwords_are_argon2id_and_logins_check_them(tmp_path: Path) -> None:
    await open_store(tmp_path / 'h.sqlite3')
    try:
        user = await create_user('admin', PASSWORD)
        assert user.password_hash.startswith('$argon2id$')
        assert PASSWORD not in user.password_hash
        assert (await authenticate('admin', PASSWORD)) is not None
        assert await authenticate('admin', PASSWORD + 'x') is None
        assert await authenticate('nobody', PASSWORD) is None
        await set_password('admin', 'another long password')
        assert await authenticate('admin', PASSWORD) is None
        assert await authenticate('admin', 'another long password') is not None
    finally:
        await close_store()


@pytest.mark.parametrize(
    ('username', 'password', 'message'),
    [
        ('Admin;rm', PASSWORD, 'user name'),
        ('../etc', PASSWORD, 'user name'),
        ('admin', 'short', 'at least'),
    ],
)
async def test_bad_users_are_refused(tmp_path: Path, username: str, password: str, message: str) -> None:
    await open_store(tmp_path / 'h.sqlite3')
    try:
        with pytest.raises(UserError, match=message):
            await create_user(username, password)
        assert await User.all().count() == 0
    finally:
        await close_store()


async def test_a_user_name_cannot_be_taken_twice(tmp_path: Path) -> None:
    await open_store(tmp_path / 'h.sqlite3')
    try:
        await create_user('admin', PASSWORD)
        with pytest.raises(UserError, match='already exists'):
            await create_user('admin', PASSWORD)
    finally:
        await close_store()
