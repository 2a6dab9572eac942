"""The UI test harness itself: a UI test that fails leaves the next one able to start the console (NiceGUI's
lifespan skips its shutdown when the body raises, and every later start then failed with "already been started")."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

import pytest
from nicegui.testing import User


async def test_a_failed_ui_test_leaves_the_next_one_able_to_start(
    console: Callable[..., AbstractAsyncContextManager[User]],
) -> None:
    with pytest.raises(RuntimeError, match='a failing test'):
        async with console() as user:
            await user.open('/login')
            raise RuntimeError('a failing test')
    async with console() as user:
        await user.open('/login')
        await user.should_see('Sign in')
