"""Through docs/deploy.md's nginx config, for real: TLS on a port other than 443, a trusted proxy, a name in
HOMELAB_ALLOWED_HOSTS. Chromium signs in, the Overview stays live over its websocket, and every cookie is Secure."""

from __future__ import annotations

import dataclasses
import os
import ssl
import uuid
from collections.abc import Iterator
from pathlib import Path

import docker
import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from tests.helpers.browser_pages import FLAKY, PASSWORD, PageNotShown, load_page, sign_in
from tests.helpers.chromium import start_chromium
from tests.helpers.console import Console, create_user, running_console
from tests.helpers.rig import require_dev_stack
from tests.helpers.tls_proxy import DOC_NAME, TlsProxy, tls_nginx

# What docs/deploy.md tells an nginx user to put in homelab.env (nginx on the same machine, natively).
PROXIED = {'HOMELAB_TRUSTED_PROXIES': '["127.0.0.1"]', 'HOMELAB_ALLOWED_HOSTS': f'["{DOC_NAME}"]'}
STANDALONE_IMAGE = 'homelab-dev/busybox:latest'
CONNECTED = 'return !!(window.socket && window.socket.connected && window.did_handshake)'
TRANSPORT = 'return window.socket.io.engine.transport.name'
LOST = 'return document.getElementById("popup").getAttribute("aria-hidden")'


@pytest.fixture
def browser_via_name(tmp_path: Path) -> Iterator[WebDriver]:
    """Chromium that resolves the documented name to loopback and accepts the proxy's self-signed certificate."""
    driver = start_chromium(tmp_path, f'--host-resolver-rules=MAP {DOC_NAME} 127.0.0.1', insecure_certs=True)
    try:
        yield driver
    finally:
        driver.quit()


def test_sign_in_live_overview_and_secure_cookies_through_the_documented_nginx(
    browser_via_name: WebDriver, tmp_path: Path, artifacts: Path
) -> None:
    require_dev_stack()
    browser = browser_via_name
    with (
        running_console(tmp_path / 'data', **PROXIED) as console,
        tls_nginx(console_port(console), tmp_path / 'nginx') as proxy,
    ):
        assert create_user(console.env, 'admin', PASSWORD).returncode == 0
        wait = WebDriverWait(browser, 60, ignored_exceptions=FLAKY)
        # The first page through a fresh TLS proxy on a busy machine can take a while (sign_in waits only 20 s).
        try:
            load_page(browser, f'{proxy.url}/login', 'input[autocomplete=username]')
        except PageNotShown as err:  # say what the browser shows instead, for whoever reads the failure
            browser.save_screenshot(str(artifacts / 'proxy-login-timeout.png'))
            (artifacts / 'proxy-login-timeout.html').write_text(browser.page_source)
            raise AssertionError(
                f'no sign-in form at {browser.current_url!r} (title {browser.title!r}); browser console:\n'
                f'{err.said[-2000:]}\nnginx errors:\n'
                f'{proxy.log()[-2000:]}\naccess:\n{proxy.access_log()[-2000:]}\nconsole:\n{console.log()[-2000:]}'
            ) from None
        sign_in(browser, dataclasses.replace(console, url=proxy.url))
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, '[data-stack=homelab-dev]'))
        assert browser.current_url.startswith(proxy.url)

        # Live: the socket is up over a websocket (not polling), and a container started now appears without a
        # reload (the marker set before it survives).
        wait.until(lambda d: d.execute_script(CONNECTED))
        assert browser.execute_script(TRANSPORT) == 'websocket'
        browser.execute_script('window.__same_page = true')
        name = f'hl-proxy-{uuid.uuid4().hex[:8]}'
        with standalone_container(name):
            wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, f'[data-container="{name}"]'))
            browser.save_screenshot(str(artifacts / 'overview-through-nginx.png'))
        assert browser.execute_script('return window.__same_page === true')
        assert browser.execute_script(LOST) == 'true', 'the page shows "Connection lost"'

        cookies = {cookie['name']: cookie for cookie in browser.get_cookies()}
        assert {'homelab_session', 'session'} <= set(cookies), cookies
        assert all(cookie['secure'] for cookie in cookies.values()), cookies
        assert cookies['homelab_session']['httpOnly'] and cookies['session']['httpOnly']
        assert not any(f'[{level}]' in proxy.log() for level in ('error', 'crit', 'alert', 'emerg')), proxy.log()
        # The documented access log records the websocket's path, never the page id in its query string.
        assert '/_nicegui_ws/socket.io/' in proxy.access_log()
        assert 'client_id' not in proxy.access_log() and '?' not in proxy.access_log()


def test_behind_the_same_nginx_an_untrusted_proxy_is_not_believed(tmp_path: Path) -> None:
    names_only = {'HOMELAB_ALLOWED_HOSTS': f'["{DOC_NAME}"]'}
    with (
        running_console(tmp_path / 'data', DOCKER_HOST=f'unix://{tmp_path}/dead.sock', **names_only) as console,
        tls_nginx(console_port(console), tmp_path / 'nginx') as proxy,
    ):
        login = get_through(proxy, '/login')
        assert login.status_code == 200
        session = [c for c in login.headers.get_list('set-cookie') if c.startswith('session=')]
        assert session and 'secure' not in session[0].lower()
        assert get_through(proxy, '/login', host='evil.example').status_code == 400


def console_port(console: Console) -> int:
    return int(console.url.rsplit(':', 1)[1])


def get_through(proxy: TlsProxy, path: str, host: str = DOC_NAME) -> httpx.Response:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    headers = {'Host': f'{host}:{proxy.port}'}
    return httpx.get(f'https://127.0.0.1:{proxy.port}{path}', headers=headers, verify=context, timeout=10)


class standalone_container:
    """A throwaway container outside any stack on the rig's engine, removed on exit."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.client = docker.DockerClient(base_url=os.environ.get('DOCKER_HOST') or 'unix:///var/run/docker.sock')

    def __enter__(self) -> None:
        self.client.containers.run(STANDALONE_IMAGE, ['sleep', '300'], name=self.name, detach=True)

    def __exit__(self, *exc: object) -> None:
        try:
            self.client.containers.get(self.name).remove(force=True)
        finally:
            self.client.close()
