"""A console's OIDC sign-in routes on their own, with a browser that talks to them and the real loopback provider."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from fastapi import FastAPI

from app.auth.oidc import CALLBACK_PATH, START_PATH, OidcSettings, OidcSignIn, install_oidc
from app.auth.sessions import Sessions
from app.auth.sign_in_browser import BROWSER_COOKIE
from tests.helpers.oidc_provider import OidcProvider

CONSOLE = 'http://console.test'
BROWSER = {BROWSER_COOKIE: 'the-browser-that-started'}  # what /login or the gate gives a browser
MARK = hashlib.sha256(BROWSER[BROWSER_COOKIE].encode()).hexdigest()


@dataclass
class Audit:
    """The audit trail the sign-in routes write to, kept in memory."""

    entries: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    async def append(self, kind: str, *, actor: str, origin: str, detail: dict[str, Any]) -> None:
        self.entries.append((kind, {'actor': actor, 'origin': origin, **detail}))

    def failures(self) -> list[str]:
        return [d['reason'] for k, d in self.entries if k == 'login_failed']


@dataclass
class Rig:
    """The provider, the sign-in routes, a browser that talks to them, and what they recorded."""

    provider: OidcProvider
    console: httpx.AsyncClient
    audit: Audit
    sessions: Sessions
    sign_in_routes: OidcSignIn | None = None
    app: FastAPI | None = None

    def browser_at(self, address: str) -> httpx.AsyncClient:
        """Another browser, at another client address, talking to the same console."""
        transport = httpx.ASGITransport(app=self.app, client=(address, 50000))
        return httpx.AsyncClient(transport=transport, base_url=CONSOLE)

    async def start(self) -> tuple[str, dict[str, list[str]]]:
        """GET /auth/oidc/start; the provider's authorize URL and its query."""
        response = await self.console.get(START_PATH)
        assert response.status_code == 303, response.text
        location = response.headers['location']
        assert location.startswith(f'{self.provider.issuer}/authorize?')
        return location, parse_qs(urlsplit(location).query)

    async def authorize(self, url: str) -> str:
        """The browser at the provider (which approves at once): the callback path it sends us back to."""
        async with httpx.AsyncClient() as browser:
            response = await browser.get(url)
        assert response.status_code == 302, response.text
        location = response.headers['location']
        assert location.startswith(f'{CONSOLE}{CALLBACK_PATH}?')
        return location.removeprefix(CONSOLE)

    async def sign_in(self) -> httpx.Response:
        url, _ = await self.start()
        return await self.console.get(await self.authorize(url))


@asynccontextmanager
async def oidc_rig(provider: OidcProvider) -> AsyncIterator[Rig]:
    """Sign-in routes that allow alice-sub and carol@example.org, reached by a browser at 203.0.113.7."""
    settings = OidcSettings(
        issuer=provider.issuer,
        client_id='homelab',
        client_secret='test-secret',
        allowed='alice-sub, carol@example.org',
        redirect_url=f'{CONSOLE}{CALLBACK_PATH}',
    )
    audit, sessions, app = Audit(), Sessions(), FastAPI()
    routes = install_oidc(audit.append, settings=settings, target=app, sessions=lambda: sessions)
    assert routes is not None
    transport = httpx.ASGITransport(app=app, client=('203.0.113.7', 50000))
    async with httpx.AsyncClient(transport=transport, base_url=CONSOLE, cookies=BROWSER) as console:
        yield Rig(provider, console, audit, sessions, routes, app)
