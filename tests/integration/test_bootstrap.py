"""scripts/bootstrap.sh on the rig: a healthy control plane from nothing, then a second run upgrades it in place
(new image, container recreated) with a database copy taken first and nothing lost."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.helpers.console import REPO, free_port
from tests.helpers.prod_stack import APP_UID, ensure_base_image, health, inspect, rig_build_env, run
from tests.helpers.rig import missing, require_dev_stack

IMAGE = 'homelab-control-plane:test-bootstrap'
PASSWORD = 'correct horse battery staple 42'


@dataclass
class Install:
    root: Path
    project: str
    port: int

    @property
    def etc(self) -> Path:
        return self.root / 'etc'

    @property
    def data(self) -> Path:
        return self.root / 'data'

    def bootstrap(self, **env: str) -> subprocess.CompletedProcess[str]:
        environment = rig_build_env(HOMELAB_ETC_DIR=str(self.etc), **env)
        return run(['bash', 'scripts/bootstrap.sh'], env=environment, timeout=900)

    def compose(self, *args: str) -> subprocess.CompletedProcess[str]:
        argv = ['docker', 'compose', '--env-file', str(self.etc / 'compose.env'), '-f', str(REPO / 'compose.prod.yml')]
        return run([*argv, '-p', self.project, *args])

    def container(self) -> str:
        return self.compose('ps', '-q', 'homelab').stdout.strip()

    def homelab(self, *args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
        interactive = ['-i'] if input is not None else []
        return run(['docker', 'exec', *interactive, self.container(), 'homelab', *args], input=input)

    def summary(self, token: str) -> httpx.Response:
        return httpx.get(
            f'http://127.0.0.1:{self.port}/summary', headers={'Authorization': f'Bearer {token}'}, timeout=10
        )


@pytest.fixture
def install(tmp_path: Path) -> Iterator[Install]:
    require_dev_stack()
    ensure_base_image()
    setup = Install(root=tmp_path / 'install', project=f'hl-boot-{uuid.uuid4().hex[:8]}', port=free_port())
    setup.root.mkdir()
    try:
        yield setup
    finally:
        if (setup.etc / 'compose.env').exists():
            setup.compose('down', '--remove-orphans', '--timeout', '10')
        run(['docker', 'image', 'rm', IMAGE])
        shutil.rmtree(setup.root, ignore_errors=True)


def test_bootstrap_installs_then_a_second_run_upgrades_in_place(install: Install) -> None:
    first = install.bootstrap(
        HOMELAB_DATA_PATH=str(install.data),
        HOMELAB_PROJECT=install.project,
        HOMELAB_PUBLISH_PORT=str(install.port),
        HOMELAB_IMAGE=IMAGE,
        HOMELAB_IMAGE_VERSION='test-1',
    )
    assert first.returncode == 0, first.stderr[-3000:]
    assert 'homelab user create' in first.stdout  # how to make the first user
    container = install.container()
    assert health(container) == 'healthy'
    assert inspect(container)['Config']['Labels']['org.opencontainers.image.version'] == 'test-1'
    assert install.data.stat().st_uid == APP_UID
    secret = install.etc / 'storage_secret'
    assert secret.stat().st_uid == APP_UID and secret.stat().st_mode & 0o777 == 0o400
    saved = (install.etc / 'compose.env').read_text()
    assert f'HOMELAB_PUBLISH_PORT={install.port}\n' in saved and 'HOMELAB_PUBLISH_ADDRESS=127.0.0.1\n' in saved

    assert install.homelab('user', 'create', 'owner', '--password-stdin', input=PASSWORD + '\n').returncode == 0
    token = install.homelab('token', 'create', 'dashboard').stdout.strip()
    assert install.summary(token).status_code == 200
    assert install.homelab('ops', 'run', 'host_reboot_required', '--json').returncode == 0
    runs = json.loads(install.homelab('runs', 'list', '--json').stdout)['runs']
    secret_before = secret.read_bytes()

    # The upgrade: only what changed is given; the port, data path, project and image come from compose.env.
    second = install.bootstrap(HOMELAB_IMAGE_VERSION='test-2')

    assert second.returncode == 0, second.stderr[-3000:]
    assert 'backed up the database before the upgrade' in second.stderr
    assert list((install.data / 'backups').glob('homelab-*Z.sqlite3'))
    upgraded = install.container()
    assert upgraded != container and health(upgraded) == 'healthy'
    assert inspect(upgraded)['Config']['Labels']['org.opencontainers.image.version'] == 'test-2'
    assert secret.read_bytes() == secret_before
    assert install.summary(token).status_code == 200
    assert [r['id'] for r in json.loads(install.homelab('runs', 'list', '--json').stdout)['runs']] == [
        r['id'] for r in runs
    ]
    verified = install.homelab('audit', 'verify')
    assert verified.returncode == 0 and verified.stdout.startswith('OK'), verified.stdout


def test_bootstrap_refuses_to_publish_on_every_interface(install: Install) -> None:
    refused = install.bootstrap(
        HOMELAB_DATA_PATH=str(install.data), HOMELAB_PROJECT=install.project, HOMELAB_PUBLISH_ADDRESS='0.0.0.0'
    )
    assert refused.returncode != 0
    assert 'refusing to publish on every interface' in refused.stderr
    assert not install.data.exists() and not (install.etc / 'compose.env').exists()


@pytest.fixture(autouse=True)
def _root_only() -> None:
    if os.geteuid() != 0:
        missing('bootstrap.sh gives the data directory to uid 1000 and needs root (the rig runs as root)')
