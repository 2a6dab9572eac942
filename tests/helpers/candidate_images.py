"""Version tags of an image of our own pushed to the rig's registry, each its own image with OCI labels; removed
from the engine and the registry afterwards."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

import docker.errors
import httpx

from tests.helpers.docker_ops import BASE_IMAGE, docker_client, require_registry, unique

REGISTRY = '127.0.0.1:5000'
SOURCE = 'https://git.example.org/homelab/cand-app'
_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json'


@contextlib.contextmanager
def pushed_versions(tags: tuple[str, ...], *, keep: str, version: Callable[[str], str] = str) -> Iterator[str]:
    """`localhost:5000/hl-test/cand-<random>` with `tags` pushed; only `keep` stays in the engine (the others come
    from the registry when used). Each image says `version(tag)` in its version label and SOURCE as its source."""
    require_registry()
    repository = f'localhost:5000/hl-test/{unique("cand")}'
    path = repository.split('/', 1)[1]
    client = docker_client()
    helper = client.api.create_container(BASE_IMAGE, command=['true'], labels={'homelab.test': 'true'})
    digests: list[str] = []
    try:
        for tag in tags:
            labels = {
                'org.opencontainers.image.source': SOURCE,
                'org.opencontainers.image.url': 'javascript:alert(1)',  # never a link
                'org.opencontainers.image.version': version(tag),
            }
            client.api.commit(
                helper['Id'], repository=repository, tag=tag, conf={'Labels': labels, 'Cmd': ['sleep', '3600']}
            )
            for line in client.api.push(repository, tag=tag, stream=True, decode=True):
                assert 'error' not in line, line
            response = httpx.head(
                f'http://{REGISTRY}/v2/{path}/manifests/{tag}', headers={'Accept': _MANIFEST}, timeout=10
            )
            response.raise_for_status()
            digests.append(response.headers['Docker-Content-Digest'])
            if tag != keep:
                client.api.remove_image(f'{repository}:{tag}')
        yield repository
    finally:
        with contextlib.suppress(docker.errors.APIError):
            client.api.remove_container(helper['Id'], force=True)
        for tag in tags:
            with contextlib.suppress(docker.errors.APIError):
                client.api.remove_image(f'{repository}:{tag}', force=True)
        for digest in digests:
            httpx.delete(f'http://{REGISTRY}/v2/{path}/manifests/{digest}', timeout=10)
        client.close()
