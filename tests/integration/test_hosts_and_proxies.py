"""The real `homelab serve`: a foreign Host (a DNS-rebinding page) gets nothing, not even a socket; forwarded
headers count only from a configured proxy; production without known host names does not start."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from tests.helpers.console import HOMELAB, REPO, console_env, free_port, running_console

POLLING = '/_nicegui_ws/socket.io/?EIO=4&transport=polling'
WEBSOCKET = '/_nicegui_ws/socket.io/?EIO=4&transport=websocket'


def upgrade_status(url: str, host: str) -> int:
    """The HTTP status a websocket upgrade to the console's socket gets, as a page served under `host` asks it."""
    parts = urlsplit(url)
    request = (
        f'GET {WEBSOCKET} HTTP/1.1\r\nHost: {host}\r\nOrigin: http://{host}\r\nUpgrade: websocket\r\n'
        'Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n'
    )
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(request.encode())
        status_line = sock.makefile('rb').readline().decode()
    return int(status_line.split()[1])


def test_a_rebinding_page_gets_400_on_every_path_and_no_socket(tmp_path: Path) -> None:
    with running_console(tmp_path / 'data', DOCKER_HOST=f'unix://{tmp_path}/dead.sock') as console:
        port = urlsplit(console.url).port
        evil = f'evil.example:{port}'
        # What a page on evil.example, its name re-pointed at 127.0.0.1, sends: its own Host and Origin.
        same_site = {'Host': evil, 'Origin': f'http://{evil}'}
        for path in ('/login', '/', '/healthz', POLLING):
            response = httpx.get(f'{console.url}{path}', headers=same_site, timeout=5, follow_redirects=False)
            assert response.status_code == 400, path
        assert upgrade_status(console.url, evil) == 400

        for name in (f'127.0.0.1:{port}', f'localhost:{port}', f'[::1]:{port}', 'localhost'):
            assert httpx.get(f'{console.url}/login', headers={'Host': name}, timeout=10).status_code == 200, name
        own = f'127.0.0.1:{port}'
        polling = httpx.get(f'{console.url}{POLLING}', headers={'Origin': f'http://{own}'}, timeout=5)
        assert polling.status_code == 200
        assert upgrade_status(console.url, own) == 101


def test_a_console_bound_to_a_lan_address_answers_to_that_address(tmp_path: Path) -> None:
    # 127.0.0.2 stands in for a LAN address: a specific address that is not one of the loopback names.
    with running_console(
        tmp_path / 'data', DOCKER_HOST=f'unix://{tmp_path}/dead.sock', HOMELAB_HOST='127.0.0.2'
    ) as console:
        port = urlsplit(console.url).port
        assert httpx.get(f'{console.url}/login', timeout=10).status_code == 200  # Host: 127.0.0.2:port
        evil = {'Host': f'evil.example:{port}'}
        assert httpx.get(f'{console.url}/login', headers=evil, timeout=5).status_code == 400


def _session_cookie(response: httpx.Response) -> str:
    cookies = [c for c in response.headers.get_list('set-cookie') if c.startswith('session=')]
    assert cookies, response.headers
    return cookies[0]


def _secure(cookie: str) -> bool:
    return 'secure' in [part.strip().lower() for part in cookie.split(';')[1:]]


def test_forwarded_headers_count_only_from_a_trusted_proxy(tmp_path: Path) -> None:
    forwarded = {'X-Forwarded-Proto': 'https', 'X-Forwarded-For': '203.0.113.9'}
    with running_console(tmp_path / 'plain', DOCKER_HOST=f'unix://{tmp_path}/dead.sock') as console:
        login = httpx.get(f'{console.url}/login', headers=forwarded, timeout=10)
        assert login.status_code == 200
        assert not _secure(_session_cookie(login))  # a local process saying "https" is not believed
    with running_console(
        tmp_path / 'proxied', DOCKER_HOST=f'unix://{tmp_path}/dead.sock', HOMELAB_TRUSTED_PROXIES='["127.0.0.1"]'
    ) as console:
        login = httpx.get(f'{console.url}/login', headers=forwarded, timeout=10)
        assert login.status_code == 200
        assert _secure(_session_cookie(login))  # NiceGUI's own cookie too, once the proxy is trusted
        plain = httpx.get(f'{console.url}/login', timeout=10)
        assert not _secure(_session_cookie(plain))


def test_production_without_known_host_names_does_not_start(tmp_path: Path) -> None:
    env = console_env(
        tmp_path / 'data',
        HOMELAB_ENV='prod',
        HOMELAB_STORAGE_SECRET='k3Jx9-QvTz_8LmWc2RbN7yHs4PdFa6Ge0UoIiE',
        HOMELAB_HOST='0.0.0.0',
        HOMELAB_ALLOW_ANY_ADDRESS='true',
        HOMELAB_PORT=str(free_port()),
        DOCKER_HOST=f'unix://{tmp_path}/dead.sock',
    )
    try:
        done = subprocess.run([*HOMELAB, 'serve'], env=env, cwd=REPO, capture_output=True, text=True, timeout=30)
    except subprocess.TimeoutExpired as running:
        raise AssertionError('the console started in production without knowing its host names') from running
    assert done.returncode != 0
    assert 'HOMELAB_ALLOWED_HOSTS' in done.stderr and 'HOMELAB_PUBLISH_ADDRESS' in done.stderr, done.stderr
    assert 'Traceback' not in done.stderr
