"""Run the real console as a subprocess (`homelab serve`) for HTTP and browser tests."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.helpers.waiting import wait_for

REPO = Path(__file__).resolve().parents[2]
HOMELAB = [sys.executable, '-m', 'app.cli']


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return int(sock.getsockname()[1])


@dataclass
class Console:
    url: str
    data_dir: Path
    env: dict[str, str]
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors='replace')


def console_env(data_dir: Path, **extra: str) -> dict[str, str]:
    # PYTEST_* would make NiceGUI believe it runs inside pytest; HOMELAB_* must come from the test only.
    env = {k: v for k, v in os.environ.items() if not k.startswith(('HOMELAB_', 'PYTEST_', 'NICEGUI_'))}
    env.update({'HOMELAB_DATA_DIR': str(data_dir), 'PYTHONUNBUFFERED': '1'}, **extra)
    return env


def create_user(env: dict[str, str], username: str, password: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*HOMELAB, 'user', 'create', username, '--password-stdin'],
        input=password + '\n',
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@contextlib.contextmanager
def running_console(data_dir: Path, *, command: Sequence[str] = HOMELAB, **extra_env: str) -> Iterator[Console]:
    """Start `homelab serve` (`command` names the program) on a free port and wait until /healthz answers; stop it
    afterwards."""
    port = free_port()
    host = extra_env.pop('HOMELAB_HOST', '127.0.0.1')
    env = console_env(data_dir, HOMELAB_PORT=str(port), HOMELAB_HOST=host, **extra_env)
    data_dir.mkdir(parents=True, exist_ok=True)
    log_path = data_dir / 'console.log'
    with log_path.open('wb') as log:
        process = subprocess.Popen([*command, 'serve'], env=env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
    console = Console(f'http://{host}:{port}', data_dir, env, process, log_path)
    try:
        wait_for(lambda: process.poll() is not None or _healthy(console.url), timeout=60, what='the console to start')
        assert process.poll() is None, f'the console exited:\n{console.log()}'
        yield console
    finally:
        stop_process(process, grace=15)


def stop_process(process: subprocess.Popen[bytes], *, grace: float, sig: int = signal.SIGTERM) -> None:
    """Ask a peer or console process to stop (`sig`), and kill it if it has not gone within `grace` seconds."""
    process.send_signal(sig)
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


def _healthy(url: str) -> bool:
    try:
        return httpx.get(f'{url}/healthz', timeout=2).status_code == 200
    except httpx.HTTPError:
        return False
