"""OIDC sign-in against a real OpenID provider on loopback (authlib server components): no engine, no mocks."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi import FastAPI

from app.auth.oidc import (
    CALLBACK_PATH,
    MAX_PENDING,
    MAX_PENDING_PER_CLIENT,
    OIDC_PATHS,
    START_PATH,
    OidcSettings,
    install_oidc,
)
from app.auth.sessions import Sessions
from tests.helpers.oidc_provider import OidcProvider
from tests.helpers.oidc_rig import CONSOLE, MARK, Audit, Rig


async def test_an_allowed_subject_signs_in_with_pkce_state_and_nonce(rig: Rig) -> None:
    url, query = await rig.start()
    assert query['code_challenge_method'] == ['S256'] and query['code_challenge'][0]
    assert query['state'][0] and query['nonce'][0] and 'openid' in query['scope'][0].split()
    response = await rig.console.get(await rig.authorize(url))
    assert response.status_code == 303, response.text
    location = response.headers['location']
    assert location.startswith('/auth/complete?ticket=')
    ticket = parse_qs(urlsplit(location).query)['ticket'][0]
    assert rig.sessions.redeem_ticket(ticket, MARK) == ('oidc:alice', '203.0.113.7', '/')
    assert rig.audit.entries[-1][0] == 'login_succeeded'
    assert rig.audit.entries[-1][1]['username'] == 'oidc:alice'
    assert rig.audit.failures() == []


async def test_an_allowed_email_signs_in_too(rig: Rig) -> None:
    rig.provider.user = {'sub': 'carol-sub', 'email': 'carol@example.org'}
    response = await rig.sign_in()
    assert response.status_code == 303
    ticket = parse_qs(urlsplit(response.headers['location']).query)['ticket'][0]
    assert rig.sessions.redeem_ticket(ticket, MARK) == ('oidc:carol@example.org', '203.0.113.7', '/')


async def test_a_wrong_or_replayed_state_is_refused_and_audited(rig: Rig) -> None:
    url, query = await rig.start()
    callback = await rig.authorize(url)
    forged = callback.replace(f'state={query["state"][0]}', 'state=forged')
    assert forged != callback
    response = await rig.console.get(forged)
    assert response.status_code == 403
    assert 'state' in response.text
    # the real callback still works once, and a replay of it does not
    assert (await rig.console.get(callback)).status_code == 303
    replay = await rig.console.get(callback)
    assert replay.status_code == 403
    assert rig.sign_in_routes is not None
    await rig.sign_in_routes.flush_refusals()  # the second refusal of the window is written as a count
    assert rig.audit.failures() == ['unknown or expired state', 'unknown or expired state']
    assert sum(d['count'] for k, d in rig.audit.entries if k == 'login_failed') == 2
    assert all(d['method'] == 'oidc' for k, d in rig.audit.entries if k == 'login_failed')


async def test_forged_callbacks_cannot_fill_the_audit_trail(rig: Rig) -> None:
    await rig.start()
    for n in range(300):  # anyone can send these: no state of ours, or a junk code for a state they started
        forged = f'{CALLBACK_PATH}?state=forged-{n}&code=x'
        assert (await rig.console.get(forged)).status_code == 403
    written_meanwhile = [d for k, d in rig.audit.entries if k == 'login_failed']
    assert len(written_meanwhile) <= 2, written_meanwhile
    assert rig.sign_in_routes is not None
    await rig.sign_in_routes.flush_refusals()
    failures = [d for k, d in rig.audit.entries if k == 'login_failed']
    assert len(failures) <= 3
    assert sum(d['count'] for d in failures) == 300
    assert {d['reason'] for d in failures} == {'unknown or expired state'}
    assert all(d['actor'] == 'anonymous@203.0.113.7' for d in failures)


async def test_a_tampered_nonce_is_refused_and_audited(rig: Rig) -> None:
    rig.provider.nonce_override = 'not-the-nonce-we-sent'
    response = await rig.sign_in()
    assert response.status_code == 403
    assert 'nonce' in response.text
    assert rig.audit.failures() == ['the nonce does not match']
    assert not any(k == 'login_succeeded' for k, _ in rig.audit.entries)


async def test_a_subject_not_on_the_allowlist_is_refused_and_audited(rig: Rig) -> None:
    rig.provider.user = {'sub': 'mallory-sub', 'email': 'mallory@example.org', 'preferred_username': 'alice'}
    response = await rig.sign_in()
    assert response.status_code == 403
    assert 'not allowed' in response.text
    kind, detail = rig.audit.entries[-1]
    assert kind == 'login_failed'
    assert detail['reason'] == 'this account is not allowed here' and detail['subject'] == 'mallory-sub'


async def test_an_unverified_email_does_not_count(rig: Rig) -> None:
    rig.provider.user = {'sub': 'x-sub', 'email': 'carol@example.org', 'email_verified': False}
    assert (await rig.sign_in()).status_code == 403
    assert rig.audit.failures() == ['this account is not allowed here']


async def test_an_email_whose_verification_is_not_stated_does_not_count(rig: Rig) -> None:
    rig.provider.user = {'sub': 'x-sub', 'email': 'carol@example.org', 'email_verified': None}
    refused = await rig.sign_in()
    assert refused.status_code == 403 and 'not allowed' in refused.text
    assert rig.audit.failures() == ['this account is not allowed here']
    # an allowed subject does not need it
    rig.provider.user = {'sub': 'alice-sub', 'email': 'carol@example.org', 'email_verified': None}
    assert (await rig.sign_in()).status_code == 303


async def test_a_thousand_starts_from_one_address_leave_few_pending_and_others_still_sign_in(rig: Rig) -> None:
    assert rig.sign_in_routes is not None
    first, _ = await rig.start()
    for _ in range(998):
        assert (await rig.console.get(START_PATH)).status_code == 303
    last, _ = await rig.start()
    assert len(rig.sign_in_routes.pending) <= 10
    async with rig.browser_at('198.51.100.9') as other:
        start = await other.get(START_PATH)
        assert start.status_code == 303, start.text
        signed_in = await other.get(await rig.authorize(start.headers['location']))
    assert signed_in.status_code == 303 and signed_in.headers['location'].startswith('/auth/complete?ticket=')
    assert rig.audit.entries[-1][0] == 'login_succeeded' and rig.audit.entries[-1][1]['client'] == '198.51.100.9'
    # the flooding address's newest sign-in still completes; its oldest ones were dropped
    assert (await rig.console.get(await rig.authorize(last))).status_code == 303
    assert (await rig.console.get(await rig.authorize(first))).status_code == 403
    assert rig.audit.failures() == ['unknown or expired state']


async def test_ipv6_addresses_of_one_network_share_one_allowance(rig: Rig) -> None:
    assert rig.sign_in_routes is not None
    for host in range(1, 41):
        async with rig.browser_at(f'2001:db8:0:7::{host:x}') as browser:
            assert (await browser.get(START_PATH)).status_code == 303
    assert len(rig.sign_in_routes.pending) <= 10
    async with rig.browser_at('2001:db8:0:8::1') as neighbour:
        assert (await neighbour.get(START_PATH)).status_code == 303
    assert len(rig.sign_in_routes.pending) <= 11


async def test_two_hundred_addresses_starting_sign_ins_over_and_over_do_not_keep_the_owner_out(rig: Rig) -> None:
    assert rig.sign_in_routes is not None

    async def flood(rounds: int) -> None:
        for address in (f'2001:db8:{i:x}::1' for i in range(200)):
            async with rig.browser_at(address) as browser:
                for _ in range(rounds):
                    assert (await browser.get(START_PATH)).status_code == 303

    await flood(MAX_PENDING_PER_CLIENT)  # 2,000 starts: the table is full
    assert len(rig.sign_in_routes.pending) == MAX_PENDING
    url, _ = await rig.start()  # the owner's start is not refused
    await flood(MAX_PENDING_PER_CLIENT)  # while the owner is at the provider, 2,000 more
    assert len(rig.sign_in_routes.pending) == MAX_PENDING
    response = await rig.console.get(await rig.authorize(url))
    assert response.status_code == 303 and response.headers['location'].startswith('/auth/complete?ticket=')
    assert rig.audit.entries[-1][0] == 'login_succeeded' and rig.audit.failures() == []


async def test_forged_callbacks_from_three_hundred_addresses_write_a_bounded_number_of_events(rig: Rig) -> None:
    assert rig.sign_in_routes is not None
    for i in range(300):
        async with rig.browser_at(f'2001:db8:{i:x}::1') as browser:
            assert (await browser.get(f'{CALLBACK_PATH}?state=forged&code=x')).status_code == 403
    await rig.sign_in_routes.flush_refusals()
    failures = [detail for kind, detail in rig.audit.entries if kind in ('login_failed', 'login_throttled')]
    assert len(failures) <= 120 + 1  # the budget of anonymous sign-in events, and one that counts the rest
    assert sum(detail['count'] for detail in failures) == 300


async def test_a_wrong_client_secret_fails_the_token_exchange(provider: OidcProvider) -> None:
    settings = OidcSettings(
        issuer=provider.issuer,
        client_id='homelab',
        client_secret='wrong',
        allowed='alice-sub',
        redirect_url=f'{CONSOLE}{CALLBACK_PATH}',
    )
    audit, sessions, app = Audit(), Sessions(), FastAPI()
    install_oidc(audit.append, settings=settings, target=app, sessions=lambda: sessions)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=CONSOLE) as console:
        rig = Rig(provider, console, audit, sessions)
        response = await rig.sign_in()
    assert response.status_code == 403
    assert audit.failures() == ['the token exchange failed']


def test_nothing_is_installed_unless_configured() -> None:
    app = FastAPI()
    assert install_oidc(Audit().append, settings=OidcSettings(), target=app) is None
    assert {getattr(r, 'path', '') for r in app.routes}.isdisjoint(OIDC_PATHS)


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv('HOMELAB_OIDC_ISSUER', 'https://auth.example.org')
    monkeypatch.setenv('HOMELAB_OIDC_CLIENT_ID', 'homelab')
    monkeypatch.setenv('HOMELAB_OIDC_CLIENT_SECRET', 's3cret')
    monkeypatch.setenv('HOMELAB_OIDC_ALLOWED', 'abc, me@example.org,,')
    settings = OidcSettings()
    assert settings.configured
    assert settings.allowlist == {'abc', 'me@example.org'}
    assert settings.client_secret.get_secret_value() == 's3cret'
    assert settings.redirect_url is None
