"""Rollback to last known good on the real engine and the rig's registry: an update whose healthcheck fails is
proposed a rollback, approving it runs the previous digest pinned by the console's override, no update is proposed
while pinned, and releasing the pin proposes the update again."""

from __future__ import annotations

import asyncio
import stat
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from app.system import changing_operations
from ops.alerts.planned import PlannedWork
from ops.clock import utc_now
from ops.maintenance import known_good
from ops.maintenance.known_good import engine_time
from ops.maintenance.pins import active_pins, stale_pins
from ops.maintenance.records import KnownGood
from ops.maintenance.rollback_watch import RollbackWatch
from ops.masking import HIDDEN
from ops.store.models import Action
from tests.helpers.docker_ops import (
    APP_REPOSITORY,
    AppTag,
    docker_client,
    health_of,
    project_containers,
    unique,
    write_stack,
)
from tests.helpers.gitops import Loop, commit, gitops_loop, init_repo
from tests.helpers.rig import require_engine
from tests.helpers.waiting import wait_for, wait_for_async


@pytest.fixture
def stack_name() -> str:
    require_engine()
    return unique()


UPTIME = timedelta(seconds=3)


@pytest.fixture(autouse=True)
def short_uptime(monkeypatch: pytest.MonkeyPatch) -> None:
    """A container counts as having run well after 3 s up here (30 s in the console), so the tests stay short."""
    monkeypatch.setattr(known_good, 'MIN_UPTIME', UPTIME)


def _up_long_enough(stack: str) -> None:
    def long_enough() -> bool:
        started = engine_time(_running(stack)['State']['StartedAt'])  # type: ignore[index]
        return started is not None and utc_now() - started >= UPTIME

    wait_for(long_enough, timeout=30, what=f'{stack} app up {UPTIME.seconds} s')


# One service from the registry whose healthcheck passes only on the image pushed as version v1.
CHECKED = """services:
  app:
    image: {image}
    pull_policy: missing
    init: true
    stop_grace_period: 1s
    healthcheck:
      test: ["CMD", "grep", "-q", "v1", "/app/VERSION"]
      interval: 1s
      timeout: 2s
      retries: 2
"""
# One service that starts only on the image pushed as version v1; on any other it exits at once, and again.
CRASHING = """services:
  app:
    image: {image}
    pull_policy: missing
    init: true
    restart: always
    stop_grace_period: 1s
    command: ["sh", "-c", "grep -q v1 /app/VERSION && exec httpd -f -p 8080 -h /app/www"]
"""


@pytest.fixture
def stack_text() -> str:
    return CHECKED


@pytest.fixture
async def watched(tmp_path: Path, stack_name: str, app_tag: AppTag, stack_text: str) -> AsyncIterator[Loop]:
    """The GitOps loop of a stack on app v1 (healthy), with the rollback watch running (a 2-minute window)."""
    await app_tag.push('v1')
    repo = tmp_path / 'repo'
    init_repo(repo)
    (repo / 'compose.yml').write_text(stack_text.format(image=app_tag.image))
    commit(repo, 'app v1 from the registry')
    async with gitops_loop(tmp_path, stack_name) as loop:
        watch = RollbackWatch(
            loop.observer, loop.queue, loop.adapters, within=120, planned=PlannedWork(changing_operations())
        )
        task = asyncio.create_task(watch.run())
        try:
            yield loop
        finally:
            watch.stop()
            await task


def _running(stack: str) -> dict[str, object]:
    container = project_containers(stack)['app']['id']
    return docker_client().api.inspect_container(container)


async def test_a_failing_update_is_rolled_back_pinned_and_proposed_again_once_released(
    watched: Loop, stack_name: str, app_tag: AppTag
) -> None:
    loop = watched
    await loop.up()
    wait_for(lambda: health_of(f'{stack_name}-app-1') == 'healthy', timeout=60, what='app v1 healthy')
    _up_long_enough(stack_name)
    await loop.in_line()
    v1 = f'{APP_REPOSITORY}@{app_tag.digests[0]}'

    # The registry moves on to v2, whose healthcheck fails; the update is proposed and approved as any other.
    v2 = f'{APP_REPOSITORY}@{await app_tag.push("v2")}'
    await loop.supervisor.evaluate(refresh_images=True)
    update = await loop.pending('image', 'app')
    updated = await loop.approve_and_finish(update)
    assert updated.state == 'done', updated.error
    replaced = await KnownGood.get(stack=stack_name, service='app')
    assert replaced.digest == v1 and replaced.healthy and replaced.run_id == updated.run_id

    # The new container turns unhealthy within the window: a rollback to v1's digest is proposed, with its plan.
    rollback = await loop.pending('rollback', 'app', timeout=60)
    assert rollback.title == f'Roll back app to {v1[: v1.index("@") + 8 + 12]}'
    assert rollback.params == {'stack': stack_name, 'service': 'app', 'known_good': replaced.id}
    assert f'image: "{v1}"' in rollback.plan['override']
    assert {'setting': 'image', 'running': v2, 'wanted': v1} in rollback.plan['diff']

    done = await loop.approve_and_finish(rollback)
    assert done.state == 'done', done.error
    running = _running(stack_name)
    assert running['Config']['Image'] == v1  # type: ignore[index]
    assert v1 in docker_client().api.inspect_image(running['Image'])['RepoDigests']
    wait_for(lambda: health_of(f'{stack_name}-app-1') == 'healthy', timeout=60, what='app back on v1, healthy')
    override = loop.adapters.data_dir / 'overrides' / f'{stack_name}.yml'
    assert v1 in override.read_text() and stat.S_IMODE(override.stat().st_mode) == 0o600
    assert [(pin.service, pin.digest, pin.pinned_by) for pin in await active_pins(stack_name)] == [
        ('app', v1, 'tester')
    ]

    # While pinned, the files (with the override) are what runs: no drift, and no update proposed however often the
    # registry is asked.
    await loop.supervisor.evaluate(refresh_images=True)
    await loop.in_line()
    await loop.supervisor.evaluate(refresh_images=True)
    assert not await Action.filter(stack=stack_name, state='pending').exists()

    # Releasing the pin lets the files decide again: the update to v2 is proposed once more.
    handle = await loop.manager.submit(
        'stack_pin_release', {'stack': stack_name, 'service': 'app'}, actor='tester', origin='test'
    )
    outcome = await handle.outcome()
    assert outcome.succeeded, outcome.error
    assert not override.exists() and await active_pins(stack_name) == []

    async def proposed_again() -> Action | None:
        return await Action.filter(
            stack=stack_name, state='pending', service='app', kind__in=('config', 'image')
        ).first()

    again = await wait_for_async(proposed_again, timeout=60, what='the update proposed again')
    assert again.operation == 'stack_service_up'


async def test_bringing_stacks_up_records_what_it_replaced_and_only_that(tmp_path: Path, stack_name: str) -> None:
    repo = tmp_path / 'repo'
    init_repo(repo)
    write_stack(repo, {'app': {'environment': {'LEVEL': '1', 'API_TOKEN': 'hunter2'}}, 'side': {}})
    commit(repo, 'two services')
    async with gitops_loop(tmp_path, stack_name) as loop:
        await loop.up()
        _up_long_enough(stack_name)
        before = project_containers(stack_name)['app']
        write_stack(repo, {'app': {'environment': {'LEVEL': '2', 'API_TOKEN': 'hunter2'}}, 'side': {}, 'extra': {}})
        commit(repo, 'app: level 2, and a new service')
        handle = await loop.manager.submit('docker_up_all', {'stack': stack_name}, actor='tester', origin='test')
        outcome = await handle.outcome()
        assert outcome.succeeded, outcome.error
        rows = await KnownGood.filter(stack=stack_name)
        assert [(row.service, row.config_hash, row.run_id) for row in rows] == [('app', before['hash'], handle.run_id)]
        settings = rows[0].settings
        assert settings['environment']['LEVEL'] == '1' and settings['environment']['API_TOKEN'] == HIDDEN
        assert 'hunter2' not in str(settings)
        assert rows[0].digest == rows[0].image_id == before['image_id']  # an imported image: its local id
        assert rows[0].healthy


@pytest.mark.parametrize('stack_text', [CRASHING])
async def test_an_update_that_crash_loops_is_proposed_a_rollback(watched: Loop, stack_name: str, app_tag: AppTag):
    loop = watched
    await loop.up()
    _up_long_enough(stack_name)
    await loop.in_line()
    v1 = f'{APP_REPOSITORY}@{app_tag.digests[0]}'
    await app_tag.push('v2')
    await loop.supervisor.evaluate(refresh_images=True)
    update = await loop.pending('image', 'app')
    await loop.queue.approve(update.id, actor='tester', origin='test')
    rollback = await loop.pending('rollback', 'app', timeout=90)
    assert 'crash loop' in rollback.detail and v1[: v1.index('@') + 8 + 12] in rollback.title
    assert (await loop.approve_and_finish(rollback)).state == 'done'
    wait_for(lambda: _running(stack_name)['State']['Running'], timeout=30, what='app back on v1')  # type: ignore[index]
    assert _running(stack_name)['Config']['Image'] == v1  # type: ignore[index]


async def test_a_rollback_to_a_local_image_id_runs_and_is_never_pulled(tmp_path: Path, stack_name: str) -> None:
    repo = tmp_path / 'repo'
    init_repo(repo)
    write_stack(repo, {'app': {'environment': {'LEVEL': '1'}}})  # an image imported here: no registry has it
    commit(repo, 'app level 1')
    async with gitops_loop(tmp_path, stack_name) as loop:
        await loop.up()
        _up_long_enough(stack_name)
        image_id = project_containers(stack_name)['app']['image_id']
        write_stack(repo, {'app': {'environment': {'LEVEL': '2'}}})
        commit(repo, 'app level 2')
        handle = await loop.manager.submit('docker_up_all', {'stack': stack_name}, actor='tester', origin='test')
        assert (await handle.outcome()).succeeded
        state = await KnownGood.get(stack=stack_name, service='app')
        assert state.digest == image_id and state.healthy

        async def run(operation: str, **params: object) -> dict[str, object]:
            handle = await loop.manager.submit(operation, {'stack': stack_name, 'service': 'app', **params},
                                               actor='tester', origin='test')  # fmt: skip
            outcome = await handle.outcome()
            assert outcome.succeeded, outcome.error
            return outcome.result or {}

        await run('stack_rollback', known_good=state.id)
        running = _running(stack_name)
        assert running['Config']['Image'] == image_id and running['Image'] == image_id  # type: ignore[index]
        # Bringing the pinned service up "with a pull" must not send the engine to a registry for `sha256:…`.
        result = await run('stack_service_up', pull=True)
        assert 'pull' not in result
        assert _running(stack_name)['Image'] == image_id  # type: ignore[index]


async def test_a_pinned_service_removed_from_the_files_is_not_brought_back(tmp_path: Path, stack_name: str) -> None:
    repo = tmp_path / 'repo'
    init_repo(repo)
    write_stack(repo, {'app': {'environment': {'LEVEL': '1'}}, 'side': {}})
    commit(repo, 'app and side')
    async with gitops_loop(tmp_path, stack_name) as loop:
        await loop.up()
        _up_long_enough(stack_name)
        write_stack(repo, {'app': {'environment': {'LEVEL': '2'}}, 'side': {}})
        commit(repo, 'app level 2')

        async def run(operation: str, **params: object) -> None:
            handle = await loop.manager.submit(
                operation, {'stack': stack_name, **params}, actor='tester', origin='test'
            )
            outcome = await handle.outcome()
            assert outcome.succeeded, outcome.error

        await run('docker_up_all')
        state = await KnownGood.get(stack=stack_name, service='app')
        await run('stack_rollback', service='app', known_good=state.id)
        assert [pin.service for pin in await active_pins(stack_name)] == ['app']

        # The owner removes `app` from the repository; bringing the stack up must not make a bare `app` again.
        write_stack(repo, {'side': {}})
        commit(repo, 'app is gone')
        await run('docker_up_all')
        assert sorted(project_containers(stack_name)) == ['side']
        assert await stale_pins(loop.adapters, await active_pins(stack_name)) == {(stack_name, 'app')}
        await run('stack_pin_release', service='app')
        assert await active_pins(stack_name) == []
