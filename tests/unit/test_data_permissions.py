"""The data directory is the owner's alone: 0700, with the database (and its -wal/-shm) and secrets 0600."""

from __future__ import annotations

import os
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.settings import Settings, storage_secret
from tests.helpers.console import HOMELAB, REPO, console_env, create_user


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    """The umask most hosts have (022): files come out 0644 unless the console says otherwise."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def assert_private(data: Path) -> None:
    assert mode(data) == 0o700, oct(mode(data))
    assert mode(data / 'secrets') == 0o700
    database = data / 'homelab.sqlite3'
    assert database.exists()
    for path in (database, data / 'homelab.sqlite3-wal', data / 'homelab.sqlite3-shm'):
        if path.exists():
            assert mode(path) == 0o600, f'{path.name} is {oct(mode(path))}'


def test_user_create_on_a_fresh_data_dir_leaves_it_private(tmp_path: Path) -> None:
    data = tmp_path / 'data'
    created = create_user(console_env(data), 'admin', 'a long enough password')
    assert created.returncode == 0, created.stderr
    assert_private(data)


def test_existing_loose_modes_are_tightened_at_start(tmp_path: Path) -> None:
    data = tmp_path / 'data'
    assert create_user(console_env(data), 'admin', 'a long enough password').returncode == 0
    # What a checkout made before this fix looks like: a 0755 folder and 0644 files.
    data.chmod(0o755)
    for path in data.glob('homelab.sqlite3*'):
        path.chmod(0o644)
    (data / 'secrets').chmod(0o755)
    (data / 'secrets' / 'storage_secret').write_text('x' * 48 + '\n')
    (data / 'secrets' / 'storage_secret').chmod(0o644)

    listed = subprocess.run(
        [*HOMELAB, 'runs', 'list'],
        env=console_env(data),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert listed.returncode == 0, listed.stderr
    assert_private(data)
    assert mode(data / 'secrets' / 'storage_secret') == 0o600


def test_a_generated_storage_secret_is_0600(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv('HOMELAB_STORAGE_SECRET', raising=False)
    settings = Settings(data_dir=tmp_path / 'data')
    assert storage_secret(settings)
    secret = tmp_path / 'data' / 'secrets' / 'storage_secret'
    assert mode(secret) == 0o600 and mode(secret.parent) == 0o700


async def test_the_open_database_and_its_wal_and_shm_are_0600(tmp_path: Path) -> None:
    from ops.store.db import close_store, open_store
    from ops.store.models import User

    database = tmp_path / 'data' / 'homelab.sqlite3'
    await open_store(database)
    try:
        await User.create(username='alice', password_hash='x')
        wal, shm = database.with_name('homelab.sqlite3-wal'), database.with_name('homelab.sqlite3-shm')
        assert wal.exists() and shm.exists()
        assert (mode(database), mode(wal), mode(shm)) == (0o600, 0o600, 0o600)
    finally:
        await close_store()
