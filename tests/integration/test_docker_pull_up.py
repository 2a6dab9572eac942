"""docker_pull, docker_pull_all and docker_up_all against the real engine, the rig registry and throwaway stacks.

Nothing here touches the homelab-dev stack: each test makes its own Compose project (`hl-test-<random>`) in a
temporary repository directory and its own tag in the rig registry, and removes them afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from ops.adapters import Adapters
from ops.docker.engine import EngineError
from ops.run_context import RunContext
from tests.helpers.docker_ops import (
    APP_REPOSITORY,
    AppTag,
    close_adapters,
    docker_client,
    make_adapters,
    project_containers,
    require_registry,
    run_op,
    unique,
    write_stack,
)
from tests.helpers.rig import require_engine


@dataclass
class Stack:
    """A throwaway Compose project in its own repository directory, configured as the only stack."""

    name: str
    repo: Path
    adapters: Adapters


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[Stack]:
    require_engine()
    name = unique()
    repo = tmp_path / 'repo'
    repo.mkdir()
    adapters = make_adapters(tmp_path / 'data', env='prod', repo_dir=repo, stacks={name: ['compose.yml']})
    try:
        yield Stack(name, repo, adapters)
    finally:
        with contextlib.suppress(Exception):
            await adapters.compose.down(name, ['compose.yml'], repo)
        await close_adapters(adapters)


async def test_up_all_recreates_only_the_service_whose_definition_changed(stack: Stack) -> None:
    write_stack(stack.repo, {'keep': {}, 'change': {'environment': {'LEVEL': '1'}}})
    first = await run_op(stack.adapters, 'docker_up_all', stack=stack.name)
    assert first['stacks'][stack.name]['changed'] == ['change', 'keep']
    before = project_containers(stack.name)
    assert set(before) == {'change', 'keep'}

    write_stack(stack.repo, {'keep': {}, 'change': {'environment': {'LEVEL': '2'}}})
    ctx = RunContext(run_id=2, adapters=stack.adapters)
    second = await run_op(stack.adapters, 'docker_up_all', ctx, stack=stack.name)
    after = project_containers(stack.name)
    assert second['stacks'][stack.name]['changed'] == ['change']
    assert after['keep']['id'] == before['keep']['id']
    assert after['change']['id'] != before['change']['id']
    # Per-service progress, finished for both; and the running containers now match the files.
    progress = ctx.progress_items
    assert progress[f'{stack.name}/change'].status == 'Started' and progress[f'{stack.name}/change'].fraction == 1
    assert progress[f'{stack.name}/keep'].status == 'Running'
    assert any('Recreated' in line for line in ctx.lines)
    compose = stack.adapters.compose
    assert compose is not None
    hashes = await compose.config_hashes(stack.name, ['compose.yml'], stack.repo)
    assert hashes == {service: info['hash'] for service, info in after.items()}


async def test_up_all_fails_with_the_compose_output_when_compose_fails(stack: Stack) -> None:
    write_stack(stack.repo, {'broken': {'image': 'hl-test-no-such-image.invalid/x:1'}})
    with pytest.raises(Exception, match=f'compose up of {stack.name} exited with 1') as failure:
        await run_op(stack.adapters, 'docker_up_all', stack=stack.name)
    assert 'broken' in str(failure.value)


async def test_pull_reports_layers_and_whether_the_image_changed(app_tag: AppTag, tmp_path: Path) -> None:
    require_engine()
    adapters = make_adapters(tmp_path, env='prod')
    client = docker_client()
    name = unique()
    try:
        await app_tag.push('v1')
        await asyncio.to_thread(adapters.engine.pull, app_tag.image)
        client.containers.create(app_tag.image, name=name, labels={'homelab.test': 'true'})
        newest = await app_tag.push('v2')  # the registry moves on; the engine still has v1

        ctx = RunContext(run_id=1, adapters=adapters)
        result = await run_op(adapters, 'docker_pull', ctx, container=name)
        assert result['changed'] and result['container_outdated']
        assert result['digest'] == f'{APP_REPOSITORY}@{newest}'
        assert result['digest_before'] != result['digest']
        layers = ctx.progress_items
        statuses = {item.status for item in layers.values()}
        assert 'Already exists' in statuses  # the busybox base layer
        assert 'Pull complete' in statuses  # the new app layer
        assert all(item.fraction == 1 for item in layers.values())
        assert any(line.startswith('Status: Downloaded newer image') for line in ctx.lines)

        again = await run_op(adapters, 'docker_pull', container=name)
        assert not again['changed'] and again['container_outdated']
    finally:
        client.api.remove_container(name, force=True)
        client.close()
        await close_adapters(adapters)


async def test_pull_all_then_up_all_updates_the_stack_to_the_new_image(app_tag: AppTag, stack: Stack) -> None:
    image = app_tag.image
    await app_tag.push('v1')
    write_stack(stack.repo, {'app': {'image': image}, 'base': {}})
    await run_op(stack.adapters, 'docker_up_all', stack=stack.name)
    running = project_containers(stack.name)

    await app_tag.push('v2')
    ctx = RunContext(run_id=1, adapters=stack.adapters)
    pulled = await run_op(stack.adapters, 'docker_pull_all', ctx, stack=stack.name)
    assert pulled['changed'] == [image]
    assert any(key.startswith(f'{image} ') for key in ctx.progress_items)
    assert not (await run_op(stack.adapters, 'docker_pull', stack=stack.name, service='app'))['changed']

    updated = await run_op(stack.adapters, 'docker_up_all', stack=stack.name)
    assert updated['stacks'][stack.name]['changed'] == ['app']
    now = project_containers(stack.name)
    assert now['app']['image_id'] != running['app']['image_id']
    assert now['base']['id'] == running['base']['id']


async def test_a_pull_of_a_tag_the_registry_does_not_have_fails_with_the_registry_reason(tmp_path: Path) -> None:
    require_engine()
    require_registry()
    engine = make_adapters(tmp_path).engine
    with pytest.raises(EngineError, match=r'not found|unknown'):
        await asyncio.to_thread(engine.pull, f'{APP_REPOSITORY}:{unique()}')
    assert await asyncio.to_thread(engine.version)  # the engine connection is still fine
