"""UI-test fixtures: the real app in NiceGUI's user simulation, signed in or not."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

import pytest
from nicegui.nicegui import _shutdown as nicegui_shutdown
from nicegui.testing import User
from nicegui.testing.user_simulation import user_simulation

from tests.helpers.signed_in import sign_in_as_admin

MAIN = Path(__file__).resolve().parents[2] / 'app' / 'main.py'


@pytest.fixture
def console(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Callable[..., AbstractAsyncContextManager[User]]:
    """Start the real app/main.py in NiceGUI's user simulation, with its own data dir and engine address."""
    monkeypatch.setenv('HOMELAB_DATA_DIR', str(tmp_path / 'data'))
    # NiceGUI's simulated browser sends `Host: test`; the console answers only to names it expects.
    monkeypatch.setenv('HOMELAB_ALLOWED_HOSTS', '["test"]')

    @asynccontextmanager
    async def start(*, docker_host: str | None = None) -> AsyncIterator[User]:
        if docker_host is not None:
            monkeypatch.setenv('DOCKER_HOST', docker_host)
        async with user_simulation(main_file=MAIN) as user:
            try:
                yield user
            except BaseException:
                # NiceGUI's lifespan skips its shutdown when the test body raises: the app would stay "started"
                # (every later UI test in this process failing to start) and the System open. Shut it down here.
                await nicegui_shutdown()
                raise

    return start


@pytest.fixture
def signed_in_console(
    console: Callable[..., AbstractAsyncContextManager[User]],
) -> Callable[..., AbstractAsyncContextManager[User]]:
    """Like `console`, with the admin user created and signed in: the user starts on the Overview."""

    @asynccontextmanager
    async def start(*, docker_host: str | None = None) -> AsyncIterator[User]:
        async with console(docker_host=docker_host) as user:
            await sign_in_as_admin(user)
            yield user

    return start


@pytest.fixture
def dead_engine(tmp_path: Path) -> str:
    return f'unix://{tmp_path}/no-engine.sock'


@pytest.fixture
async def nothing() -> AsyncIterator[None]:
    yield
