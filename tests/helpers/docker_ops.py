"""Running docker_* operations in tests the way the manager does (schema, world check, handler), plus throwaways.

Every container, image and Compose project made here carries a random `hl-test-` name and is removed after.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import docker
import docker.errors
import httpx

from app.system import adapters_for
from ops.adapters import Adapters
from ops.catalog import catalog
from ops.config import HomelabConfig, StackConfig
from ops.docker.engine import Engine
from ops.run_context import RunContext
from tests.helpers.rig import missing
from tests.helpers.waiting import wait_for

REPO = Path(__file__).resolve().parents[2]
APP_REPOSITORY = 'localhost:5000/homelab-dev/app'
BASE_IMAGE = 'busybox:1.36'


def engine_url() -> str | None:
    return os.environ.get('DOCKER_HOST') or None


def make_adapters(
    data_dir: Path,
    *,
    env: Literal['dev', 'prod'] = 'dev',
    repo_dir: Path = REPO,
    stacks: dict[str, list[str]] | None = None,
) -> Adapters:
    engine = Engine(engine_url())
    config = HomelabConfig(stacks={name: StackConfig(files=files) for name, files in (stacks or {}).items()})
    return adapters_for(engine, config, data_dir=data_dir, repo_dir=repo_dir, env=env)


async def close_adapters(adapters: Adapters) -> None:
    await adapters.loghub.close()
    await asyncio.to_thread(adapters.engine.reset)


async def checked(adapters: Adapters, name: str, **arguments: Any) -> tuple[Any, Any]:
    """Validate and world-check like the manager does; returns (spec, params). Raises Refused / ValidationError."""
    spec = catalog().get(name)
    assert spec is not None, f'{name} is not in the catalog'
    params = spec.params(**arguments)
    if spec.check is not None:
        # Like the manager: the handler gets what the check resolved (a container's full id).
        params = await spec.check(params, adapters, spec.mutating) or params
    return spec, params


async def run_op(adapters: Adapters, name: str, ctx: RunContext | None = None, **arguments: Any) -> dict[str, Any]:
    """Check and run one operation's handler directly; the output lands in `ctx` (a new one if none given)."""
    spec, params = await checked(adapters, name, **arguments)
    result = await spec.handler(params, ctx or RunContext(run_id=1, adapters=adapters))
    assert isinstance(result, dict)
    return result


def unique(prefix: str = 'hl-test') -> str:
    return f'{prefix}-{uuid.uuid4().hex[:8]}'


def docker_client() -> docker.DockerClient:
    return docker.DockerClient(base_url=engine_url()) if engine_url() else docker.from_env()


def health_of(name: str) -> str | None:
    state = docker_client().api.inspect_container(name)['State']
    return (state.get('Health') or {}).get('Status')


@contextlib.contextmanager
def throwaway_web_container() -> Iterator[str]:
    """A running busybox web server with a 1 s healthcheck, outside any Compose project; removed afterwards."""
    name = unique()
    client = docker_client()
    client.containers.run(
        BASE_IMAGE,
        ['sh', '-c', 'echo ok > /tmp/index.html; exec httpd -f -p 8080 -h /tmp'],
        name=name,
        detach=True,
        init=True,
        labels={'homelab.test': 'true'},
        healthcheck={
            'test': ['CMD', 'wget', '-q', '-O-', 'http://127.0.0.1:8080/'],
            'interval': 1_000_000_000,
            'timeout': 2_000_000_000,
            'retries': 3,
        },
    )
    try:
        yield name
    finally:
        with contextlib.suppress(docker.errors.NotFound):
            client.api.remove_container(name, force=True)
        client.close()


def require_registry() -> None:
    try:
        ok = httpx.get('http://127.0.0.1:5000/v2/', timeout=3).status_code == 200
    except httpx.HTTPError:
        ok = False
    if not ok:
        missing('the rig registry does not answer on 127.0.0.1:5000')


def push_app_version(tag: str, version: str) -> None:
    """Push a new app image version to the rig registry (the local tag is left as it was: see the script)."""
    subprocess.run(
        ['bash', str(REPO / 'scripts' / 'rig' / 'build-images.sh'), 'app', tag, version],
        check=True,
        timeout=180,
        capture_output=True,
    )


def remove_images(*references: str) -> None:
    """Remove local images by tag or id, ignoring the ones already gone."""
    client = docker_client()
    for reference in references:
        with contextlib.suppress(docker.errors.APIError):  # gone already, or still used: leave it
            client.api.remove_image(reference, force=True)


def write_stack(repo: Path, services: dict[str, dict[str, Any]]) -> None:
    """A compose.yml of busybox-style services (init, quick stop) in the throwaway repo dir."""
    lines = ['services:']
    for name, spec in services.items():
        lines += [
            f'  {name}:',
            f'    image: {spec.get("image", BASE_IMAGE)}',
            '    pull_policy: missing',
            '    init: true',
            '    stop_grace_period: 1s',
            '    command: ["sleep", "3600"]',
        ]
        if env := spec.get('environment'):
            lines.append('    environment:')
            lines += [f'      {key}: "{value}"' for key, value in env.items()]
    (repo / 'compose.yml').write_text('\n'.join(lines) + '\n')


def project_containers(project: str) -> dict[str, dict[str, Any]]:
    """service -> {'id', 'hash', 'image'} of the project's containers, straight from the engine."""
    found = docker_client().api.containers(all=True, filters={'label': f'com.docker.compose.project={project}'})
    return {
        c['Labels']['com.docker.compose.service']: {
            'id': c['Id'],
            'hash': c['Labels'].get('com.docker.compose.config-hash'),
            'image_id': c['ImageID'],
        }
        for c in found
    }


def wait_healthy(name: str, timeout: float = 60) -> None:
    wait_for(lambda: health_of(name) == 'healthy', timeout=timeout, what=f'{name} healthy')


def delete_registry_manifests(*digests: str | None) -> None:
    """Delete pushed test manifests from the rig registry (it allows deletes), by `repo@sha256:...` or digest."""
    for digest in digests:
        if digest:
            name = digest.split('@')[-1]
            httpx.delete(f'http://127.0.0.1:5000/v2/homelab-dev/app/manifests/{name}', timeout=10)


def registry_digest(tag: str) -> str:
    response = httpx.head(
        f'http://127.0.0.1:5000/v2/homelab-dev/app/manifests/{tag}',
        headers={'Accept': 'application/vnd.docker.distribution.manifest.v2+json'},
        timeout=10,
    )
    response.raise_for_status()
    return response.headers['Docker-Content-Digest']


@dataclass
class AppTag:
    """A tag of the rig's app image of our own; every version pushed is remembered for the clean-up."""

    tag: str
    digests: list[str]

    @property
    def image(self) -> str:
        return f'{APP_REPOSITORY}:{self.tag}'

    async def push(self, version: str) -> str:
        await asyncio.to_thread(push_app_version, self.tag, f'{self.tag}-{version}')
        self.digests.append(registry_digest(self.tag))
        return self.digests[-1]

    def remove(self) -> None:
        """Its images leave the engine and its manifests the registry."""
        mine = {f'{APP_REPOSITORY}@{digest}' for digest in self.digests}
        ids = [image.id for image in docker_client().images.list() if mine & set(image.attrs.get('RepoDigests') or [])]
        remove_images(self.image, *ids)
        delete_registry_manifests(*self.digests)
