"""The console and a browser for the benchmarks that need them: `homelab serve` (or any NiceGUI script) in a
subprocess on a free port, a bench user, and a headless Chromium signed in to it (Selenium with Debian's
chromedriver, as the browser tests do). Everything started here is stopped by its context manager.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from bench.common import REPO, spawn, stop_process

USER = 'bench'
PASSWORD = 'bench: a long throwaway passphrase'
HOMELAB = str(Path(sys.executable).parent / 'homelab')


def clean_env(extra: dict[str, str]) -> dict[str, str]:
    """This environment without HOMELAB_/PYTEST_/NICEGUI_ variables, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(('HOMELAB_', 'PYTEST_', 'NICEGUI_'))}
    return {**env, **extra}


@contextlib.contextmanager
def server(command: list[str], cwd: Path, port: int, env: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    """A server process that answers HTTP on `port`; stopped (with its children) afterwards."""
    log = (cwd / 'server.log').open('wb')
    proc = spawn(command, cwd=cwd, env=clean_env(env), stdout=log, stderr=subprocess.STDOUT)
    try:
        if not answers(port, proc, timeout=90):
            tail = (cwd / 'server.log').read_text(errors='replace')[-600:]
            raise RuntimeError(f'{command[-1]} did not answer on port {port}: {tail}')
        yield proc
    finally:
        stop_process(proc)
        log.close()


def console_env(data_dir: Path, port: int) -> dict[str, str]:
    """HOMELAB_* for a throwaway console (dev mode, loopback, its own data dir)."""
    return {
        'HOMELAB_DATA_DIR': str(data_dir),
        'HOMELAB_PORT': str(port),
        'HOMELAB_HOST': '127.0.0.1',
        'HOMELAB_ENV': 'dev',
        'HOMELAB_REPO_DIR': str(REPO),
    }


def create_user(homelab: str, env: dict[str, str], base: Path) -> bool:
    created = subprocess.run(
        [homelab, 'user', 'create', USER, '--password-stdin'],
        input=PASSWORD + '\n',
        env=clean_env(env),
        cwd=base,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return created.returncode == 0


def sign_in(driver: Any, url: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(f'{url}/')
    user = (By.CSS_SELECTOR, 'input[autocomplete=username]')
    WebDriverWait(driver, 30).until(ec.presence_of_element_located(user)).send_keys(USER)
    driver.find_element(By.CSS_SELECTOR, 'input[autocomplete=current-password]').send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, '[data-testid=sign-in]').click()


@contextlib.contextmanager
def chromium(profile: Path, *, network_log: bool = False) -> Iterator[Any]:
    """A headless Chromium driven by Debian's chromedriver (None when either is missing); quit afterwards.

    `network_log`: keep the DevTools performance log, whose Network.webSocketFrame* entries show the bytes
    on the websocket (driver.get_log('performance')).
    """
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        yield None
        return
    binary, chromedriver = shutil.which('chromium'), shutil.which('chromedriver')
    if binary is None or chromedriver is None:
        yield None
        return
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    if network_log:
        options.set_capability('goog:loggingPrefs', {'performance': 'ALL'})
    for flag in (
        '--headless=new',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--disable-dev-shm-usage',
        '--window-size=1400,900',
        f'--user-data-dir={profile}',
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(chromedriver), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def answers(port: int, proc: subprocess.Popen[bytes], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            httpx.get(f'http://127.0.0.1:{port}/', timeout=2)
            return True
        except httpx.HTTPError:
            time.sleep(0.25)
    return False


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def signed_in_console(tmp: Path, *, network_log: bool = False) -> Iterator[tuple[Any, str] | None]:
    """A throwaway `homelab serve` (its own data dir under `tmp`, a free port, the bench user) and a headless
    Chromium that has just submitted the sign-in form: yields (driver, url), or None when no browser is installed.
    Both are stopped when the block ends."""
    with chromium(tmp / 'chromium', network_log=network_log) as driver:
        if driver is None:
            yield None
            return
        port = free_port()
        env = console_env(tmp / 'data', port)
        with server([HOMELAB, 'serve'], tmp, port, env):
            if not create_user(HOMELAB, env, tmp):
                raise RuntimeError('`homelab user create` failed')
            url = f'http://127.0.0.1:{port}'
            sign_in(driver, url)
            yield driver, url
