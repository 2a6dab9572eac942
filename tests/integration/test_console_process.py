"""The real `homelab serve` process: starts without an engine, serves health and login, gates everything else."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.helpers.console import running_console


def test_console_starts_and_serves_health_and_login_with_a_dead_engine(tmp_path: Path) -> None:
    with running_console(tmp_path / 'data', DOCKER_HOST=f'unix://{tmp_path}/dead.sock') as console:
        health = httpx.get(f'{console.url}/healthz', timeout=5)
        assert health.status_code == 200
        assert health.json() == {'status': 'ok'}
        login = httpx.get(f'{console.url}/login', timeout=10)
        assert login.status_code == 200
        assert 'Sign in' in login.text
        for path in ('/', '/logs', '/host', '/no-such-page'):
            response = httpx.get(f'{console.url}{path}', timeout=5, follow_redirects=False)
            assert response.status_code == 303, path
            assert response.headers['location'].startswith('/login?redirect_to=')
        assert httpx.get(f'{console.url}/summary', timeout=5).status_code == 401
        assert console.process.poll() is None
    # the data directory layout of DESIGN.md was created at start, with the migrated database
    data = tmp_path / 'data'
    assert {p.name for p in data.iterdir()} >= {'homelab.sqlite3', 'events', 'world', 'state', 'requests', 'logs'}


def test_responses_carry_security_headers_and_foreign_websockets_are_refused(tmp_path: Path) -> None:
    with running_console(tmp_path / 'data', DOCKER_HOST=f'unix://{tmp_path}/dead.sock') as console:
        login = httpx.get(f'{console.url}/login', timeout=10)
        assert login.headers['x-content-type-options'] == 'nosniff'
        assert login.headers['referrer-policy'] == 'no-referrer'
        csp = login.headers['content-security-policy']
        for directive in ("frame-ancestors 'none'", "object-src 'none'", "base-uri 'none'"):
            assert directive in csp
        assert login.headers['cache-control'] == 'no-store'
        handshake = f'{console.url}/_nicegui_ws/socket.io/?EIO=4&transport=polling'
        foreign = httpx.get(handshake, headers={'Origin': 'https://evil.example'}, timeout=5)
        assert foreign.status_code == 400
        same = httpx.get(handshake, headers={'Origin': console.url}, timeout=5)
        assert same.status_code == 200


def test_summary_needs_a_session_or_a_bearer_token_and_revoking_stops_it(tmp_path: Path) -> None:
    import subprocess

    from tests.helpers.console import HOMELAB, REPO

    with running_console(tmp_path / 'data', DOCKER_HOST=f'unix://{tmp_path}/dead.sock') as console:
        assert httpx.get(f'{console.url}/summary', timeout=5).status_code == 401
        created = subprocess.run(
            [*HOMELAB, 'token', 'create', 'grafana'],
            env=console.env,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        token = created.stdout.strip()
        assert token.startswith('hlp_')
        headers = {'Authorization': f'Bearer {token}'}
        summary = httpx.get(f'{console.url}/summary', headers=headers, timeout=5)
        assert summary.status_code == 200
        body = summary.json()
        assert body['engine']['reachable'] is False and 'socket' in body['engine']['error']
        assert set(body) >= {'containers', 'stacks', 'drift', 'pending_actions', 'host', 'last_runs'}
        # never from a URL, and a wrong token is no token
        assert httpx.get(f'{console.url}/summary?token={token}', timeout=5).status_code == 401
        assert (
            httpx.get(f'{console.url}/summary', headers={'Authorization': 'Bearer hlp_wrong'}, timeout=5).status_code
            == 401
        )
        subprocess.run(
            [*HOMELAB, 'token', 'revoke', 'grafana'],
            env=console.env,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        assert httpx.get(f'{console.url}/summary', headers=headers, timeout=5).status_code == 401


def test_an_allowlist_of_host_headers_refuses_other_hosts(tmp_path: Path) -> None:
    with running_console(
        tmp_path / 'data', DOCKER_HOST=f'unix://{tmp_path}/dead.sock', HOMELAB_ALLOWED_HOSTS='["homelab.lan"]'
    ) as console:
        assert httpx.get(f'{console.url}/login', headers={'Host': 'homelab.lan'}, timeout=5).status_code == 200
        assert httpx.get(f'{console.url}/login', headers={'Host': 'evil.example'}, timeout=5).status_code == 400
        assert httpx.get(f'{console.url}/healthz', timeout=5).status_code == 200  # 127.0.0.1 stays allowed
