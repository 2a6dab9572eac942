"""Housekeeping on the real engine: the preview lists exactly what a prune removes; volumes survive; volume_remove."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import docker.errors
import pytest

from ops.adapters import Adapters
from ops.catalog import catalog
from ops.docker.engine import ImageInUse
from ops.errors import Refused
from ops.maintenance.prune_keep import stack_needs
from ops.maintenance.records import KnownGood, RollbackPin
from ops.manager import Manager
from ops.runs import RunState
from ops.store.db import close_store, open_store
from ops.store.models import AuditEvent
from ops.store.owners import OwnerLock
from tests.helpers.docker_ops import BASE_IMAGE, close_adapters, docker_client, make_adapters, run_op
from tests.helpers.leftovers import LABEL, Leftovers, leftovers
from tests.helpers.rig import require_engine


@pytest.fixture
async def prod(tmp_path: Path) -> AsyncIterator[Adapters]:
    """Adapters as in production (no dev scope): every test here keeps its prune to its own label."""
    require_engine()
    adapters = make_adapters(tmp_path, env='prod')
    yield adapters
    await close_adapters(adapters)


@pytest.fixture
async def manager(tmp_path: Path, prod: Adapters) -> AsyncIterator[Manager]:
    """The real manager and catalog with a store: every run is audited."""
    await open_store(tmp_path / 'homelab.sqlite3')
    owner = OwnerLock(tmp_path / 'owners')
    mgr = Manager(prod, owner=owner, registry=catalog())
    try:
        yield mgr
    finally:
        await mgr.shutdown()
        owner.release()
        await close_store()


async def prune_run(manager: Manager, **arguments: object) -> dict[str, Any]:
    outcome = await manager.run('docker_prune', arguments, actor='ui:owner', origin='ui')
    assert outcome.state is RunState.SUCCEEDED, outcome.error
    events = await AuditEvent.filter(run_id=outcome.run_id).order_by('id').values_list('kind', 'actor', 'operation')
    assert events == [('requested', 'ui:owner', 'docker_prune'), ('finished', 'ui:owner', 'docker_prune')]
    assert outcome.result is not None
    return outcome.result


async def test_the_preview_lists_exactly_what_the_prune_removes_and_volumes_survive(manager: Manager) -> None:
    with leftovers() as made:
        preview = await prune_run(manager, label=made.label)
        assert preview['dry_run'] is True
        planned = {(item['kind'], item['id']) for item in preview['plan']['items']}
        assert planned == {
            ('dangling_image', made.images['dangling']),
            ('unused_image', made.images['old']),
            ('stopped_container', made.containers['stopped']),
            ('unused_network', made.networks['unused']),
        }
        sizes = {item['kind']: item['size'] for item in preview['plan']['items']}
        assert sizes['unused_image'] > 0 and sizes['dangling_image'] > 0
        assert preview['plan']['total_bytes'] == sum(item['size'] for item in preview['plan']['items'])
        still_there(made)  # a dry run removes nothing

        pruned = await prune_run(manager, dry_run=False, label=made.label)
        assert {(item['kind'], item['id']) for item in pruned['plan']['items']} == planned
        assert {(item['kind'], item['id']) for item in pruned['removed']} == planned
        assert pruned['skipped'] == []
        assert pruned['freed_bytes'] == preview['plan']['total_bytes']
        client = docker_client()
        for image_id in made.images.values():
            with pytest.raises(docker.errors.NotFound):
                client.api.inspect_image(image_id)
        with pytest.raises(docker.errors.NotFound):
            client.api.inspect_container(made.containers['stopped'])
        with pytest.raises(docker.errors.NotFound):
            client.api.inspect_network(made.networks['unused'])
        # Volumes are never pruned, whether used or not; the container holding one is not this run's either.
        assert client.api.inspect_volume(made.volumes['free'])['Name'] == made.volumes['free']
        assert client.api.inspect_volume(made.volumes['held'])['Name'] == made.volumes['held']
        assert client.api.inspect_container(made.containers['holder'])['Id'] == made.containers['holder']


async def test_an_approved_prune_removes_only_what_its_preview_showed(manager: Manager) -> None:
    with leftovers() as made:
        preview = await prune_run(manager, label=made.label)
        shown = [item['id'] for item in preview['plan']['items']]
        assert len(shown) == 4
        # After the preview, the owner stops a hand-run container to debug it: it qualifies now, but nobody saw it.
        client = docker_client()
        since = client.api.create_container(BASE_IMAGE, ['true'], name=f'{made.run}-debug', labels={LABEL: made.run})
        made.containers['since'] = since['Id']
        client.api.start(since['Id'])
        client.api.wait(since['Id'], timeout=30)

        pruned = await prune_run(manager, dry_run=False, label=made.label, only=shown)
        assert sorted(item['id'] for item in pruned['removed']) == sorted(shown)
        assert [(item['id'], item['reason']) for item in pruned['skipped']] == [
            (since['Id'], 'not in the approved plan')
        ]
        assert pruned['approved_not_planned'] == []
        assert client.api.inspect_container(since['Id'])['State']['Status'] == 'exited'  # still there
        with pytest.raises(docker.errors.NotFound):
            client.api.inspect_container(made.containers['stopped'])
        for image_id in made.images.values():
            with pytest.raises(docker.errors.NotFound):
                client.api.inspect_image(image_id)
        # The audit holds the approved list: what was asked for is on record with the run.
        requested = await AuditEvent.filter(operation='docker_prune', kind='requested').order_by('-id').first()
        assert requested is not None and requested.detail['params']['only'] == shown, requested.detail


async def test_volume_remove_removes_one_free_volume_and_refuses_one_in_use(prod: Adapters) -> None:
    with leftovers() as made:
        with pytest.raises(Refused, match=r'in use by .*-holder'):
            await run_op(prod, 'volume_remove', volume=made.volumes['held'])
        with pytest.raises(Refused, match='no volume named'):
            await run_op(prod, 'volume_remove', volume=f'{made.run}-missing')
        result = await run_op(prod, 'volume_remove', volume=made.volumes['free'])
        assert result['removed'] is True and result['volume'] == made.volumes['free']
        client = docker_client()
        with pytest.raises(docker.errors.NotFound):
            client.api.inspect_volume(made.volumes['free'])
        assert client.api.inspect_volume(made.volumes['held'])['Name'] == made.volumes['held']


async def test_dev_scope_keeps_a_prune_and_a_volume_removal_to_the_dev_project(tmp_path: Path) -> None:
    require_engine()
    dev = make_adapters(tmp_path, env='dev')
    try:
        with leftovers() as made:
            preview = await run_op(dev, 'docker_prune', label=made.label)
            assert preview['plan']['items'] == []
            assert any('HOMELAB_ENV=dev' in note for note in preview['plan']['notes'])
            with pytest.raises(Refused, match='HOMELAB_ENV=dev'):
                await run_op(dev, 'volume_remove', volume=made.volumes['free'])
    finally:
        await close_adapters(dev)


def still_there(made: Leftovers) -> None:
    client = docker_client()
    for image_id in made.images.values():
        client.api.inspect_image(image_id)
    for container_id in made.containers.values():
        client.api.inspect_container(container_id)
    client.api.inspect_network(made.networks['unused'])


async def test_a_prune_keeps_the_images_a_rollback_needs(manager: Manager) -> None:
    with leftovers() as made:
        dangling, old = made.images['dangling'], made.images['old']
        await KnownGood.create(stack='media', service='app', container_name='media-app-1', image='media-app',
                               digest=dangling, image_id=dangling, config_hash='1')  # fmt: skip
        await RollbackPin.create(stack='media', service='api', image=f'{made.run}/old:2', digest=old,
                                 pinned_by='ui:owner')  # fmt: skip
        preview = await prune_run(manager, label=made.label)
        planned = {item['kind'] for item in preview['plan']['items']}
        assert planned == {'stopped_container', 'unused_network'}
        assert any('Kept 2 images' in note for note in preview['plan']['notes'])


async def test_an_image_is_deleted_never_forced_so_a_container_made_from_it_keeps_it(prod: Adapters) -> None:
    with leftovers() as made:
        client = docker_client()
        old = made.images['old']
        client.api.tag(old, f'{made.run}/second', 'latest')
        user = client.api.create_container(old, ['/leftover.txt'], name=f'{made.run}-user', labels={LABEL: made.run})
        made.containers['user'] = user['Id']
        tags = list(client.api.inspect_image(old)['RepoTags'])
        assert len(tags) == 2
        with pytest.raises(ImageInUse):
            prod.engine.delete_image(old, tags=tags, digests=[])
        assert client.api.inspect_image(old)['Id'] == old  # kept for the created (never started) container
        assert sorted(client.api.inspect_image(old)['RepoTags']) == sorted(tags)  # with every name it had
        client.api.remove_container(user['Id'])
        tags = list(client.api.inspect_image(old)['RepoTags'])
        prod.engine.delete_image(old, tags=tags, digests=[])
        with pytest.raises(docker.errors.NotFound):
            client.api.inspect_image(old)


async def test_what_a_stack_needs_is_read_with_every_profile_on(tmp_path: Path) -> None:
    repo = tmp_path / 'repo'
    repo.mkdir()
    (repo / 'Dockerfile').write_text('FROM scratch\n')
    (repo / 'compose.yml').write_text(
        'services:\n'
        '  app:\n    build: .\n'
        f'  web:\n    image: busybox:1.36@sha256:{"ab" * 32}\n    profiles: [edge]\n    networks: [proxy]\n'
        'networks:\n  proxy:\n    external: true\n'
    )
    require_engine()
    adapters = make_adapters(tmp_path / 'data', env='prod', repo_dir=repo, stacks={'edge': ['compose.yml']})
    try:
        needs = await stack_needs(adapters)
    finally:
        await close_adapters(adapters)
    assert needs.unreadable == []
    assert needs.builds == {'edge-app:latest'}
    assert f'busybox@sha256:{"ab" * 32}' in needs.images
    assert {'proxy', 'edge_default'} <= needs.networks
