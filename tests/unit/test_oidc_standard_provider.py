"""OIDC sign-in against a standard provider (npm's certified oidc-provider, tests/peers/oidc) whose ID token
carries only `sub`, as Authelia 4.39+ does: e-mail and name come from userinfo, bound to the ID token's subject."""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
import pytest
from authlib.integrations.httpx_client import AsyncOAuth2Client
from fastapi import FastAPI

from app.auth.oidc import CALLBACK_PATH, START_PATH, OidcSettings, install_oidc
from app.auth.sessions import Sessions
from tests.helpers.oidc_peer import StandardProvider, running_standard_provider

CONSOLE = 'http://console.test'
CLIENT = '203.0.113.7'


@dataclass
class Audit:
    entries: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    async def append(self, kind: str, *, actor: str, origin: str, detail: dict[str, Any]) -> None:
        self.entries.append((kind, {'actor': actor, 'origin': origin, **detail}))

    def failures(self) -> list[dict[str, Any]]:
        return [d for k, d in self.entries if k == 'login_failed']

    def successes(self) -> list[dict[str, Any]]:
        return [d for k, d in self.entries if k == 'login_succeeded']


@pytest.fixture(scope='module')
def provider() -> Iterator[StandardProvider]:
    with running_standard_provider() as running:
        running.register(f'{CONSOLE}{CALLBACK_PATH}')
        yield running


async def at_the_provider(url: str) -> str:
    """A fresh browser at the provider (which signs in the approved user at once): the URL it sends us back to."""
    async with httpx.AsyncClient() as browser:
        for _ in range(10):
            response = await browser.get(url)
            assert response.status_code in (302, 303), response.text
            url = urljoin(url, response.headers['location'])
            if url.startswith(CONSOLE):
                return url
    raise AssertionError('the provider never sent the browser back to the console')


@dataclass
class Console:
    audit: Audit
    sessions: Sessions
    http: httpx.AsyncClient

    async def sign_in(self, provider: StandardProvider) -> httpx.Response:
        start = await self.http.get(START_PATH)
        assert start.status_code == 303, start.text
        assert start.headers['location'].startswith(f'{provider.issuer}/')
        callback = await at_the_provider(start.headers['location'])
        return await self.http.get(callback.removeprefix(CONSOLE))

    def signed_in_as(self, response: httpx.Response) -> str:
        """The user a good callback signs in: sent on to /auth/complete with a ticket, and audited as that user."""
        assert response.status_code == 303, response.text
        assert parse_qs(urlsplit(response.headers['location']).query)['ticket'][0]
        assert response.headers['location'].startswith('/auth/complete?ticket=')
        kind, detail = self.audit.entries[-1]
        assert kind == 'login_succeeded'
        return str(detail['username'])


@pytest.fixture
def allowed() -> str:
    """HOMELAB_OIDC_ALLOWED: the README's example (e-mails) unless a test parametrizes it."""
    return 'carol@example.org'


@pytest.fixture
async def console(provider: StandardProvider, allowed: str) -> AsyncIterator[Console]:
    settings = OidcSettings(
        issuer=provider.issuer,
        client_id=provider.client_id,
        client_secret=provider.client_secret,
        allowed=allowed,
        redirect_url=f'{CONSOLE}{CALLBACK_PATH}',
    )
    audit, sessions, app = Audit(), Sessions(), FastAPI()
    assert install_oidc(audit.append, settings=settings, target=app, sessions=lambda: sessions) is not None
    transport = httpx.ASGITransport(app=app, client=(CLIENT, 50000))
    async with httpx.AsyncClient(transport=transport, base_url=CONSOLE) as http:
        yield Console(audit, sessions, http)


def _payload(token: str) -> dict[str, Any]:
    part = token.split('.')[1]
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + '=' * (-len(part) % 4)))
    return decoded


async def test_the_provider_puts_only_sub_in_the_id_token_and_the_rest_in_userinfo(provider: StandardProvider) -> None:
    """The premise of the tests below: this peer behaves like a strict OpenID Connect Core 5.4 provider."""
    provider.approve({'sub': 'carol-sub', 'email': 'carol@example.org', 'email_verified': True})
    async with httpx.AsyncClient() as http:
        discovery = (await http.get(f'{provider.issuer}/.well-known/openid-configuration')).json()
    verifier = secrets.token_urlsafe(48)
    async with AsyncOAuth2Client(
        provider.client_id,
        provider.client_secret,
        scope='openid email profile',
        redirect_uri=f'{CONSOLE}{CALLBACK_PATH}',
        code_challenge_method='S256',
    ) as oauth:
        url, _ = oauth.create_authorization_url(discovery['authorization_endpoint'], nonce='n', code_verifier=verifier)
        code = parse_qs(urlsplit(await at_the_provider(url)).query)['code'][0]
        token = await oauth.fetch_token(discovery['token_endpoint'], code=code, code_verifier=verifier)
        info = (await oauth.get(discovery['userinfo_endpoint'])).json()
    assert 'email' not in _payload(token['id_token']) and _payload(token['id_token'])['sub'] == 'carol-sub'
    assert info == {'sub': 'carol-sub', 'email': 'carol@example.org', 'email_verified': True}


async def test_an_allowed_email_signs_in_when_only_userinfo_carries_it(
    provider: StandardProvider, console: Console
) -> None:
    provider.approve(
        {'sub': 'carol-sub', 'email': 'carol@example.org', 'email_verified': True, 'preferred_username': 'carol'}
    )
    response = await console.sign_in(provider)
    assert console.signed_in_as(response) == 'oidc:carol'
    assert console.audit.failures() == []
    (success,) = console.audit.successes()
    assert success['username'] == 'oidc:carol' and success['subject'] == 'carol-sub'


@pytest.mark.parametrize('allowed', ['alice-sub'])
async def test_an_allowed_subject_gets_its_name_from_userinfo(provider: StandardProvider, console: Console) -> None:
    provider.approve({'sub': 'alice-sub', 'preferred_username': 'alice'})
    assert console.signed_in_as(await console.sign_in(provider)) == 'oidc:alice'


async def test_userinfo_naming_another_subject_is_refused_and_audited(
    provider: StandardProvider, console: Console
) -> None:
    # The ID token says x-sub; userinfo claims to be about carol, whose verified e-mail is allowed.
    provider.approve({'sub': 'x-sub', 'email': 'carol@example.org', 'email_verified': True}, userinfo_sub='carol-sub')
    response = await console.sign_in(provider)
    assert response.status_code == 403
    assert 'userinfo' in response.text
    (failure,) = console.audit.failures()
    assert failure['reason'] == 'the userinfo subject does not match the ID token'
    assert failure['subject'] == 'x-sub' and failure['method'] == 'oidc'
    assert console.audit.successes() == []


@pytest.mark.parametrize('allowed', ['alice-sub'])
async def test_a_userinfo_mismatch_is_refused_even_for_an_allowed_subject(
    provider: StandardProvider, console: Console
) -> None:
    provider.approve({'sub': 'alice-sub', 'preferred_username': 'root'}, userinfo_sub='mallory-sub')
    response = await console.sign_in(provider)
    assert response.status_code == 403
    assert [f['reason'] for f in console.audit.failures()] == ['the userinfo subject does not match the ID token']
    assert console.audit.successes() == []


@pytest.mark.parametrize('allowed', ['alice-sub, carol@example.org'])
async def test_an_email_without_email_verified_does_not_count_but_an_allowed_subject_does(
    provider: StandardProvider, console: Console
) -> None:
    provider.approve({'sub': 'dave-sub', 'email': 'carol@example.org', 'preferred_username': 'dave'})
    refused = await console.sign_in(provider)
    assert refused.status_code == 403 and 'not allowed' in refused.text
    assert [(f['reason'], f['subject']) for f in console.audit.failures()] == [
        ('this account is not allowed here', 'dave-sub')
    ]
    provider.approve({'sub': 'alice-sub', 'email': 'carol@example.org', 'preferred_username': 'alice'})
    assert console.signed_in_as(await console.sign_in(provider)) == 'oidc:alice'


async def test_an_email_marked_unverified_in_userinfo_does_not_count(
    provider: StandardProvider, console: Console
) -> None:
    provider.approve({'sub': 'erin-sub', 'email': 'carol@example.org', 'email_verified': False})
    assert (await console.sign_in(provider)).status_code == 403
    assert [f['reason'] for f in console.audit.failures()] == ['this account is not allowed here']
