"""Docker leftovers for housekeeping tests, each labelled `hl.prune.test=<run>` so a prune can be kept to them."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass, field

import docker
import docker.errors

from tests.helpers.docker_ops import BASE_IMAGE, docker_client, unique

LABEL = 'hl.prune.test'


@dataclass
class Leftovers:
    """What one test made: image ids, container ids, network ids and volume names (all removed afterwards)."""

    run: str
    images: dict[str, str] = field(default_factory=dict)  # role -> image id
    containers: dict[str, str] = field(default_factory=dict)  # role -> container id
    networks: dict[str, str] = field(default_factory=dict)  # role -> network id
    volumes: dict[str, str] = field(default_factory=dict)  # role -> volume name

    @property
    def label(self) -> str:
        return f'{LABEL}={self.run}'


def image_archive(run: str, *, created: str, tag: str | None, labels: dict[str, str]) -> tuple[bytes, str]:
    """A `docker save` archive of a one-layer image made `created` (so an image can be years old), and its id."""
    layer = io.BytesIO()
    with tarfile.open(fileobj=layer, mode='w') as tar:
        content = f'{run} {created} {tag}\n'.encode()
        info = tarfile.TarInfo('leftover.txt')
        info.size = len(content)
        tar.addfile(info, io.BytesIO(content))
    layer_bytes = layer.getvalue()
    config = json.dumps(
        {
            'architecture': 'amd64',
            'os': 'linux',
            'created': created,
            'config': {'Labels': {**labels, LABEL: run}, 'Cmd': ['/leftover.txt']},
            'rootfs': {'type': 'layers', 'diff_ids': ['sha256:' + hashlib.sha256(layer_bytes).hexdigest()]},
            'history': [{'created': created}],
        }
    ).encode()
    config_name = hashlib.sha256(config).hexdigest()
    manifest = json.dumps([{'Config': f'{config_name}.json', 'RepoTags': [tag] if tag else None,
                            'Layers': ['layer/layer.tar']}]).encode()  # fmt: skip
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode='w') as tar:
        for name, data in (
            ('manifest.json', manifest),
            (f'{config_name}.json', config),
            ('layer/layer.tar', layer_bytes),
        ):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return archive.getvalue(), f'sha256:{config_name}'


@contextlib.contextmanager
def leftovers(extra_labels: dict[str, str] | None = None) -> Iterator[Leftovers]:
    """A dangling image, an unused image from 2020, a stopped container outside any stack, an unused network, a free
    named volume and one a stopped container (`holder`, not labelled for the prune) mounts; each (but the holder)
    also carries `extra_labels`."""
    client = docker_client()
    made = Leftovers(run=unique('hl-prune'))
    try:
        for role, tag, created in (
            ('dangling', None, '2026-01-01T00:00:00Z'),
            ('old', f'{made.run}/old:1', '2020-01-01T00:00:00Z'),
        ):
            archive, image_id = image_archive(made.run, created=created, tag=tag, labels=extra_labels or {})
            client.api.load_image(archive)
            made.images[role] = image_id
        labels = {**(extra_labels or {}), LABEL: made.run}
        stopped = client.api.create_container(BASE_IMAGE, ['true'], name=f'{made.run}-stopped', labels=labels)
        made.containers['stopped'] = stopped['Id']
        client.api.start(stopped['Id'])
        client.api.wait(stopped['Id'], timeout=30)
        made.networks['unused'] = client.api.create_network(f'{made.run}-net', labels=labels)['Id']
        made.volumes['free'] = client.api.create_volume(f'{made.run}-free', labels=labels)['Name']
        made.volumes['held'] = client.api.create_volume(f'{made.run}-held', labels=labels)['Name']
        holder = client.api.create_container(
            BASE_IMAGE,
            ['true'],
            name=f'{made.run}-holder',
            labels={f'{LABEL}.holder': made.run},
            host_config=client.api.create_host_config(binds={made.volumes['held']: {'bind': '/data', 'mode': 'rw'}}),
        )
        made.containers['holder'] = holder['Id']
        yield made
    finally:
        _remove(client, made)
        client.close()


def _remove(client: docker.DockerClient, made: Leftovers) -> None:
    for container_id in made.containers.values():
        with contextlib.suppress(docker.errors.NotFound):
            client.api.remove_container(container_id, force=True)
    for network_id in made.networks.values():
        with contextlib.suppress(docker.errors.NotFound):
            client.api.remove_network(network_id)
    for name in made.volumes.values():
        with contextlib.suppress(docker.errors.NotFound):
            client.api.remove_volume(name, force=True)
    for image_id in made.images.values():
        with contextlib.suppress(docker.errors.NotFound):
            client.api.remove_image(image_id, force=True)
