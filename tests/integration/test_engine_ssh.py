"""DOCKER_HOST=ssh://ALIAS through the system ssh client and ~/.ssh/config, against a real sshd on loopback.

The laptop story: the console on one machine, the homelab's engine behind SSH. Operations, streams, Compose and
the Overview work over it; a host that goes away is shown with ssh's own reason, and the console recovers.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker
import docker.errors
import httpx
import psutil
import pytest
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from app.settings import Settings
from app.system import build_adapters
from ops.config import HomelabConfig
from ops.docker.compose import ComposeError
from ops.docker.engine import Engine, EngineUnavailable
from tests.helpers.browser_pages import sign_in
from tests.helpers.chromium import browser as browser  # the Chromium fixture
from tests.helpers.console import HOMELAB, REPO, create_user, running_console
from tests.helpers.docker_ops import BASE_IMAGE, unique, write_stack
from tests.helpers.rig import require_engine
from tests.helpers.ssh_peer import SshPeer, ssh_peer
from tests.helpers.waiting import wait_for

SECRET = 'hl-test-secret-that-must-stay-home'


@pytest.fixture
def peer(tmp_path: Path) -> Iterator[SshPeer]:
    require_engine()
    with ssh_peer(tmp_path / 'ssh') as running:
        yield running


@pytest.fixture
def ticker() -> Iterator[str]:
    """A throwaway container outside any project that prints `tick N` five times a second; removed after."""
    name = unique('hl-test-ssh')
    client = docker.from_env()
    client.containers.run(
        BASE_IMAGE,
        ['sh', '-c', 'i=0; while :; do i=$((i+1)); echo "tick $i"; sleep 0.2; done'],
        name=name,
        detach=True,
        init=True,
        labels={'homelab.test': 'true'},
    )
    try:
        yield name
    finally:
        with contextlib.suppress(docker.errors.NotFound):
            client.api.remove_container(name, force=True)
        client.close()


def started_at(name: str) -> str:
    client = docker.from_env()
    try:
        return str(client.api.inspect_container(name)['State']['StartedAt'])
    finally:
        client.close()


def homelab(home: Path, data_dir: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """The CLI as a person on the laptop runs it: HOME is a temp dir (ssh still reads the passwd home's config)."""
    home.mkdir(parents=True, exist_ok=True)
    clean = {k: v for k, v in os.environ.items() if not k.startswith(('HOMELAB_', 'PYTEST_', 'DOCKER_', 'SSH_'))}
    clean.update({'HOME': str(home), 'HOMELAB_DATA_DIR': str(data_dir)}, **env)
    return subprocess.run(
        [*HOMELAB, *args], env=clean, cwd=REPO, capture_output=True, text=True, timeout=120, check=False
    )


def ssh_processes(alias: str) -> list[psutil.Process]:
    """The ssh clients to `alias` on this machine (the engine's connections), whoever started them."""
    found = psutil.process_iter(['name', 'cmdline'])
    return [p for p in found if p.info['name'] == 'ssh' and alias in (p.info['cmdline'] or [])]


def test_cli_status_and_restart_work_over_an_ssh_alias(peer: SshPeer, ticker: str, tmp_path: Path) -> None:
    data, home = tmp_path / 'data', tmp_path / 'home'
    status = homelab(home, data, 'ops', 'run', 'docker_status', '--json', DOCKER_HOST=peer.docker_host)
    assert status.returncode == 0, status.stdout + status.stderr
    names = {c['name'] for c in json.loads(status.stdout)['result']['containers']}
    assert ticker in names

    before = started_at(ticker)
    restart = homelab(
        home, data, 'ops', 'run', 'docker_restart', f'container={ticker}', '--yes', '--json',
        DOCKER_HOST=peer.docker_host, HOMELAB_ENV='prod',
    )  # fmt: skip
    assert restart.returncode == 0, restart.stdout + restart.stderr
    assert json.loads(restart.stdout)['result']['state'] == 'running'
    assert started_at(ticker) != before  # the engine behind SSH really restarted it

    peer.stop()  # the homelab host goes away: the run fails with ssh's own reason
    down = homelab(home, data, 'ops', 'run', 'docker_status', '--json', DOCKER_HOST=peer.docker_host)
    assert down.returncode != 0
    error = json.loads(down.stdout)['error']
    assert error.startswith(f'ssh {peer.alias}: ') and 'Connection refused' in error, error
    peer.start()
    again = homelab(home, data, 'ops', 'run', 'docker_status', DOCKER_HOST=peer.docker_host)
    assert again.returncode == 0, again.stdout + again.stderr


def test_an_agent_key_works_and_the_consoles_secrets_never_reach_ssh(peer: SshPeer, tmp_path: Path) -> None:
    # The key of this alias is only in the ssh-agent: SSH_AUTH_SOCK must reach ssh.
    data, home = tmp_path / 'data', tmp_path / 'home'
    status = homelab(
        home, data, 'ops', 'run', 'docker_status', '--json',
        DOCKER_HOST=f'ssh://{peer.agent_alias}', SSH_AUTH_SOCK=str(peer.agent_socket),
        HOMELAB_OIDC_CLIENT_SECRET=SECRET,
    )  # fmt: skip
    assert status.returncode == 0, status.stdout + status.stderr
    # What ssh (and a ProxyCommand of the user's config) sees: no HOMELAB_* variable, no secret value.
    status = homelab(
        home, data, 'ops', 'run', 'docker_status', '--json',
        DOCKER_HOST=f'ssh://{peer.proxy_alias}', HOMELAB_OIDC_CLIENT_SECRET=SECRET,
    )  # fmt: skip
    assert status.returncode == 0, status.stdout + status.stderr
    seen = peer.proxy_env.read_text()
    assert 'HOMELAB_' not in seen and SECRET not in seen
    assert f'HOME={home}' in seen.splitlines()


def test_the_event_stream_and_a_followed_log_work_over_ssh(peer: SshPeer, ticker: str) -> None:
    engine = Engine(peer.docker_host, timeout=15)
    try:
        assert engine.version()
        events: list[dict[str, Any]] = []
        stream = engine.events(since=time.time())
        reader = threading.Thread(target=lambda: events.extend(stream), daemon=True)
        reader.start()
        engine.restart(ticker, timeout=1)
        wait_for(
            lambda: any(e.get('Action') == 'start' and e.get('Actor', {}).get('Attributes', {}).get('name') == ticker
                        for e in list(events)),
            timeout=30, what='the start event of the restarted container over ssh',
        )  # fmt: skip
        stream.close()
        reader.join(timeout=10)
        assert not reader.is_alive(), 'closing the event stream did not end it'

        logs = engine.logs(ticker, tail=1, follow=True)
        lines: list[str] = []

        def follow() -> None:
            with contextlib.suppress(EngineUnavailable):
                lines.extend(line.text for line in logs)

        follower = threading.Thread(target=follow, daemon=True)
        follower.start()
        # Live: new lines keep arriving (five a second), each as it is printed, not when a buffer fills.
        wait_for(lambda: len(lines) >= 3, timeout=20, what='followed log lines over ssh')
        first = len(lines)
        wait_for(lambda: len(lines) >= first + 3, timeout=20, what='more followed log lines over ssh')
        logs.close()
        follower.join(timeout=10)
        assert not follower.is_alive(), 'closing the followed log did not end it'
        assert all(line.startswith('tick ') for line in lines)

        # Ordinary calls reuse connections: no ssh process per request.
        for _ in range(20):
            engine.list_containers()
        assert len(ssh_processes(peer.alias)) <= 3
    finally:
        engine.reset()
    wait_for(lambda: not ssh_processes(peer.alias), timeout=10, what='the ssh connections to end after reset()')


async def test_compose_gets_the_same_ssh_engine(peer: SshPeer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv('DOCKER_HOST', peer.docker_host)
    adapters = build_adapters(Settings(data_dir=tmp_path / 'data', repo_dir=tmp_path), HomelabConfig())
    try:
        assert adapters.engine.version()
        assert adapters.compose is not None
        write_stack(tmp_path, {'app': {}})
        project = unique('hl-test-ssh')
        lines = await adapters.compose.plan(project, ['compose.yml'], tmp_path)
        assert any('app' in line for line in lines), lines
        # It is really the engine behind SSH that Compose asks: with the host gone, Compose says so.
        peer.stop()
        with pytest.raises(ComposeError, match='Connection refused'):
            await adapters.compose.plan(project, ['compose.yml'], tmp_path)
    finally:
        adapters.engine.reset()


def banner(driver: WebDriver) -> str:
    found = driver.find_elements(By.CSS_SELECTOR, '[data-testid=engine-unreachable]')
    return found[0].find_element(By.XPATH, '../..').text if found and found[0].is_displayed() else ''


@pytest.mark.browser
def test_overview_and_summary_over_ssh_show_an_unreachable_host_and_recover(
    peer: SshPeer,
    ticker: str,
    tmp_path: Path,
    browser: WebDriver,
) -> None:
    home = tmp_path / 'home'
    home.mkdir()
    with running_console(tmp_path / 'data', DOCKER_HOST=peer.docker_host, HOME=str(home)) as console:
        assert create_user(console.env, 'admin', 'correct horse battery staple').returncode == 0
        token = subprocess.run(
            [*HOMELAB, 'token', 'create', 'ssh-test'], env=console.env, cwd=REPO,
            capture_output=True, text=True, timeout=60, check=True,
        ).stdout.strip()  # fmt: skip

        def summary() -> dict[str, Any]:
            response = httpx.get(f'{console.url}/summary', headers={'Authorization': f'Bearer {token}'}, timeout=10)
            response.raise_for_status()
            return dict(response.json())

        sign_in(browser, console)
        wait = WebDriverWait(browser, 60, ignored_exceptions=(NoSuchElementException, StaleElementReferenceException))
        wait.until(lambda driver: driver.find_elements(By.CSS_SELECTOR, f'[data-container="{ticker}"]'))
        up = wait_for(lambda: (s := summary())['engine']['reachable'] and s, timeout=30, what='a reachable engine')
        assert up['containers']['total'] >= 1

        peer.stop()  # the homelab host goes away
        wait.until(lambda driver: 'Connection refused' in banner(driver))
        down = wait_for(
            lambda: (s := summary())['engine']['reachable'] is False and 'Connection refused' in s['engine']['error']
            and s, timeout=60, what="the summary to show ssh's reason",
        )  # fmt: skip
        assert down['engine']['error'].startswith(f'ssh {peer.alias}: ')

        peer.start()  # and comes back: the observer reconnects by itself
        wait.until(lambda driver: banner(driver) == '')
        wait.until(lambda driver: driver.find_elements(By.CSS_SELECTOR, f'[data-container="{ticker}"]'))
        wait_for(lambda: summary()['engine']['reachable'], timeout=60, what='the summary to show the engine back')
    wait_for(lambda: not ssh_processes(peer.alias), timeout=10, what='no ssh left behind by the stopped console')


@pytest.mark.parametrize(
    ('url', 'why'),
    [('ssh://-oProxyCommand=touch%20x', 'host'), ('ssh://host/some/path', 'path'), ('ssh://host:notaport', 'port')],
)
def test_a_wrong_ssh_url_is_refused_with_a_reason(url: str, why: str) -> None:
    with pytest.raises(EngineUnavailable, match=why):
        Engine(url, timeout=5).version()
