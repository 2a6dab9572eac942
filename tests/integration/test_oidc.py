"""OIDC sign-in end to end: the real `homelab serve` process against real OpenID providers on loopback (authlib's,
claims in the ID token; npm's certified oidc-provider, claims only from userinfo as Authelia 4.39+ serves them)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import httpx

from app.auth.gate import OPEN_PATHS
from app.auth.oidc import OIDC_PATHS
from tests.helpers.console import running_console
from tests.helpers.oidc_peer import running_standard_provider
from tests.helpers.oidc_provider import running_provider


def test_the_gate_lets_the_oidc_routes_through() -> None:
    assert OIDC_PATHS <= OPEN_PATHS


def test_the_console_signs_in_an_allowed_oidc_user_and_refuses_others(tmp_path: Path) -> None:
    with running_provider() as provider:
        env = {
            'DOCKER_HOST': f'unix://{tmp_path}/dead.sock',
            'HOMELAB_OIDC_ISSUER': provider.issuer,
            'HOMELAB_OIDC_CLIENT_ID': provider.client.client_id,
            'HOMELAB_OIDC_CLIENT_SECRET': provider.client.client_secret,
            'HOMELAB_OIDC_ALLOWED': 'alice-sub',
        }
        with running_console(tmp_path / 'data', **env) as console, httpx.Client(timeout=15) as browser:
            assert browser.get(f'{console.url}/', follow_redirects=False).status_code == 303
            # start -> provider (approves at once) -> callback -> /auth/complete -> session cookie -> /
            page = browser.get(f'{console.url}/auth/oidc/start', follow_redirects=True)
            assert page.status_code == 200, page.text
            assert [str(r.url).split('?')[0] for r in page.history] == [
                f'{console.url}/auth/oidc/start',
                f'{provider.issuer}/authorize',
                f'{console.url}/auth/oidc/callback',
                f'{console.url}/auth/complete',
            ]
            assert str(page.url) == f'{console.url}/'
            assert browser.cookies.get('homelab_session')

            provider.user = {'sub': 'mallory-sub', 'email': 'mallory@example.org', 'preferred_username': 'mallory'}
            with httpx.Client(timeout=15) as stranger:
                refused = stranger.get(f'{console.url}/auth/oidc/start', follow_redirects=True)
                assert refused.status_code == 403
                assert 'not allowed' in refused.text
                assert stranger.cookies.get('homelab_session') is None
                forged = stranger.get(f'{console.url}/auth/oidc/callback?code=x&state=forged')
                assert forged.status_code == 403
    with sqlite3.connect(tmp_path / 'data' / 'homelab.sqlite3') as db:
        rows = db.execute("SELECT kind, detail FROM audit_events WHERE kind LIKE 'login_%' ORDER BY id").fetchall()
    trail = [(kind, json.loads(detail)) for kind, detail in rows]
    assert [kind for kind, _ in trail] == ['login_succeeded', 'login_failed', 'login_failed']
    assert trail[0][1]['username'] == 'oidc:alice' and trail[0][1]['method'] == 'oidc'
    assert [d['reason'] for _, d in trail[1:]] == ['this account is not allowed here', 'unknown or expired state']
    assert all(d['method'] == 'oidc' for _, d in trail)


def login_trail(data_dir: Path) -> list[tuple[str, dict[str, object]]]:
    with sqlite3.connect(data_dir / 'homelab.sqlite3') as db:
        rows = db.execute("SELECT kind, detail FROM audit_events WHERE kind LIKE 'login_%' ORDER BY id").fetchall()
    return [(kind, json.loads(detail)) for kind, detail in rows]


def test_a_standard_provider_signs_in_an_allowed_email_and_an_unstated_verification_does_not(tmp_path: Path) -> None:
    """The README's e-mail allowlist with a provider whose ID token carries only `sub` (OpenID Connect Core 5.4)."""
    with running_standard_provider() as provider:
        env = provider.console_settings('carol@example.org', dead_engine=tmp_path / 'dead.sock')
        with running_console(tmp_path / 'data', **env) as console:
            provider.register(f'{console.url}/auth/oidc/callback')
            provider.approve_carol()
            with httpx.Client(timeout=15) as browser:
                page = browser.get(f'{console.url}/auth/oidc/start', follow_redirects=True)
                assert page.status_code == 200, page.text
                assert str(page.url) == f'{console.url}/'
                assert browser.cookies.get('homelab_session', domain='127.0.0.1')
            # same e-mail, but the provider does not say it is verified
            provider.approve({'sub': 'dave-sub', 'email': 'carol@example.org', 'preferred_username': 'dave'})
            with httpx.Client(timeout=15) as stranger:
                refused = stranger.get(f'{console.url}/auth/oidc/start', follow_redirects=True)
                assert refused.status_code == 403
                assert 'not allowed' in refused.text
                assert stranger.cookies.get('homelab_session', domain='127.0.0.1') is None
    trail = login_trail(tmp_path / 'data')
    assert [kind for kind, _ in trail] == ['login_succeeded', 'login_failed']
    assert trail[0][1]['username'] == 'oidc:carol' and trail[0][1]['subject'] == 'carol-sub'
    assert trail[1][1]['reason'] == 'this account is not allowed here' and trail[1][1]['subject'] == 'dave-sub'
