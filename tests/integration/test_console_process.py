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
