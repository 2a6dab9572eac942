"""The production image and compose.prod.yml on the rig's engine: build (cached), bring up, inspect, tear down."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.helpers.console import REPO, free_port
from tests.helpers.rig import IN_CI, missing, require_engine
from tests.helpers.waiting import wait_for

PROD_IMAGE = 'homelab-control-plane:local'
RIG_BASE_IMAGE = 'homelab-rig/python-base:bookworm'
APP_UID = 1000


def run(
    argv: list[str], *, env: dict[str, str] | None = None, input: str | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv, env=env, input=input, cwd=REPO, capture_output=True, text=True, timeout=timeout, check=False
    )


def host_env(**extra: str) -> dict[str, str]:
    """The environment for scripts and the docker CLI: no HOMELAB_* of the caller leaks in."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(('HOMELAB_', 'PYTEST_', 'COMPOSE_'))}
    env.update(extra)
    return env


def rig_build_env(**extra: str) -> dict[str, str]:
    """What the rig passes to prod-image.sh / bootstrap.sh: the local base image and the host's wheelhouse."""
    return host_env(HOMELAB_BASE_IMAGE=RIG_BASE_IMAGE, HOMELAB_WHEELHOUSE='1', **extra)


def ensure_base_image() -> None:
    require_engine()
    no_base = run(['docker', 'image', 'inspect', RIG_BASE_IMAGE]).returncode != 0
    if no_base and os.geteuid() != 0 and not IN_CI:
        missing('the rig base image needs root to build (debootstrap); run `make prod-image` as root')
    done = run(['bash', 'scripts/rig/base-image.sh'], env=host_env(), timeout=900)
    if done.returncode != 0:
        pytest.fail(f'scripts/rig/base-image.sh failed:\n{done.stderr[-3000:]}', pytrace=False)


def build_prod_image(image: str = PROD_IMAGE, **extra_env: str) -> None:
    """scripts/prod-image.sh on the rig's base image; the layers are cached, so a repeat takes seconds."""
    ensure_base_image()
    done = run(['bash', 'scripts/prod-image.sh'], env=rig_build_env(HOMELAB_IMAGE=image, **extra_env), timeout=900)
    if done.returncode != 0:
        pytest.fail(f'the production image did not build:\n{done.stderr[-3000:]}', pytrace=False)


def docker_gid() -> str:
    return str(Path('/var/run/docker.sock').stat().st_gid)


def inspect(container: str) -> dict[str, Any]:
    done = run(['docker', 'inspect', container])
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)[0]
    assert isinstance(data, dict)
    return data


def health(container: str) -> str:
    done = run(['docker', 'inspect', '-f', '{{if .State.Health}}{{.State.Health.Status}}{{end}}', container])
    return done.stdout.strip() if done.returncode == 0 else 'gone'


def wait_healthy(container: str, timeout: float = 120) -> None:
    def settled() -> str:
        state = health(container)
        return state if state in {'healthy', 'unhealthy', 'gone'} else ''

    state = wait_for(settled, timeout=timeout, interval=0.5, what=f'{container} to become healthy')
    if state != 'healthy':
        logs = run(['docker', 'logs', '--tail', '40', container])
        pytest.fail(f'{container} is {state}:\n{logs.stdout}{logs.stderr}', pytrace=False)


@dataclass
class ProdStack:
    """One compose.prod.yml project with its own data directory, secret, env file and port."""

    project: str
    root: Path
    port: int
    image: str = PROD_IMAGE

    @property
    def data(self) -> Path:
        return self.root / 'data'

    @property
    def env_file(self) -> Path:
        return self.root / 'compose.env'

    @property
    def url(self) -> str:
        return f'http://127.0.0.1:{self.port}'

    def compose(self, *args: str, timeout: float = 180, input: str | None = None) -> subprocess.CompletedProcess[str]:
        argv = ['docker', 'compose', '--env-file', str(self.env_file), '-f', str(REPO / 'compose.prod.yml')]
        return run([*argv, '-p', self.project, *args], env=host_env(), timeout=timeout, input=input)

    def container(self) -> str:
        done = self.compose('ps', '-q', 'homelab')
        assert done.returncode == 0 and done.stdout.strip(), done.stderr
        return done.stdout.strip()

    def homelab(self, *args: str, input: str | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """`homelab ...` inside the running container, as its own user."""
        interactive = ['-i'] if input is not None else []
        return run(['docker', 'exec', *interactive, self.container(), 'homelab', *args], input=input, timeout=timeout)

    def up(self, *args: str) -> str:
        done = self.compose('up', '-d', *args)
        assert done.returncode == 0, done.stderr
        container = self.container()
        wait_healthy(container)
        return container

    def get(self, path: str, token: str | None = None) -> httpx.Response:
        headers = {'Authorization': f'Bearer {token}'} if token else {}
        return httpx.get(f'{self.url}{path}', headers=headers, timeout=10, follow_redirects=False)


@contextlib.contextmanager
def prod_stack(tmp_path: Path) -> Iterator[ProdStack]:
    """Prepare what bootstrap.sh would (data dir owned by uid 1000, secret, env file) and remove it all after."""
    stack = ProdStack(project=f'hl-prod-{uuid.uuid4().hex[:8]}', root=tmp_path / 'prod', port=free_port())
    stack.root.mkdir(parents=True)
    stack.data.mkdir(mode=0o750)
    os.chown(stack.data, APP_UID, APP_UID)
    secret = stack.root / 'storage_secret'
    secret.write_text(secrets.token_urlsafe(48) + '\n')
    os.chown(secret, APP_UID, APP_UID)
    secret.chmod(0o400)
    (stack.root / 'homelab.env').write_text('HOMELAB_SESSION_IDLE_HOURS=1\n')
    stack.env_file.write_text(
        '\n'.join(
            [
                f'HOMELAB_IMAGE={stack.image}',
                f'HOMELAB_DOCKER_GID={docker_gid()}',
                'HOMELAB_PUBLISH_ADDRESS=127.0.0.1',
                f'HOMELAB_PUBLISH_PORT={stack.port}',
                f'HOMELAB_DATA_PATH={stack.data}',
                f'HOMELAB_REPO_PATH={REPO}',
                f'HOMELAB_ENV_FILE={stack.root / "homelab.env"}',
                f'HOMELAB_SECRET_FILE={secret}',
                '',
            ]
        )
    )
    try:
        yield stack
    finally:
        stack.compose('down', '--remove-orphans', '--timeout', '10')
        shutil.rmtree(stack.root, ignore_errors=True)
