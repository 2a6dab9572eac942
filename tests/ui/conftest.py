from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path

import pytest
from nicegui.testing import User
from nicegui.testing.user_simulation import user_simulation

MAIN = Path(__file__).resolve().parents[2] / 'app' / 'main.py'
PASSWORD = 'correct horse battery staple'


@pytest.fixture
def console(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Callable[..., AbstractAsyncContextManager[User]]:
    """Start the real app/main.py in NiceGUI's user simulation, with its own data dir and engine address."""
    monkeypatch.setenv('HOMELAB_DATA_DIR', str(tmp_path / 'data'))
    # NiceGUI's simulated browser sends `Host: test`; the console answers only to names it expects.
    monkeypatch.setenv('HOMELAB_ALLOWED_HOSTS', '["test"]')

    def start(*, docker_host: str | None = None) -> AbstractAsyncContextManager[User]:
        if docker_host is not None:
            monkeypatch.setenv('DOCKER_HOST', docker_host)
        return user_simulation(main_file=MAIN)

    return start


async def sign_in(user: User, username: str = 'admin', password: str = PASSWORD) -> None:
    await user.open('/login')
    user.find('User name').type(username)
    user.find('Password').type(password)
    user.find('Sign in').click()


async def sign_out(user: User) -> None:
    """What the menu's Sign out sends: a same-origin form POST carrying the session cookie."""
    base = str(user.http_client.base_url).rstrip('/')
    response = await user.http_client.post('/logout', headers={'Origin': base}, follow_redirects=False)
    assert response.status_code == 303 and response.headers['location'] == '/login', response.text
    # The open page of that session is sent to /login at once; wait for it so it cannot race what comes next.
    await user.should_see('Sign in', retries=50)


@pytest.fixture
def dead_engine(tmp_path: Path) -> str:
    return f'unix://{tmp_path}/no-engine.sock'


@pytest.fixture
async def nothing() -> AsyncIterator[None]:
    yield
