"""The login page as visitors at different addresses see it: fill it in, read its answer, wait out the throttle."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from nicegui import core, ui
from nicegui.testing import User

SIGNED_IN = 'signed in'


class Clock:
    """The throttle's clock: the attacker can wait out a 15-minute back-off in no time."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@asynccontextmanager
async def visitor(address: str) -> AsyncIterator[User]:
    """A browser at `address` with its own connection to the running console."""
    transport = httpx.ASGITransport(core.app, client=(address, 50_000))
    async with httpx.AsyncClient(transport=transport, base_url='http://test') as http:
        yield User(http)


async def fill_in(page: User, username: str, password: str) -> None:
    await page.open('/login')
    page.find('User name').type(username)
    page.find('Password').type(password)


def error_text(page: User) -> str:
    assert page.client is not None
    for element in page.client.layout.descendants():
        if isinstance(element, ui.label) and element.props.get('data-testid') == 'login-error' and element.visible:
            return element.text
    return ''


def seconds(answer: str) -> float:
    """The wait a refusal announces ('Try again in N s'), 0 when it was not a refusal."""
    match = re.search(r'Try again in (\d+) s', answer)
    return float(match.group(1)) if match else 0.0
