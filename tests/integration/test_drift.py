"""The GitOps loop on the real engine with a real git repository: every drift kind is detected, proposed,
approved, executed and then gone; rollback by commit and revert; invalid files; double approval."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from ops.store.models import Action, Run
from ops.world.actions import ActionError
from tests.helpers.docker_ops import APP_REPOSITORY, AppTag, docker_client, project_containers, unique, write_stack
from tests.helpers.gitops import commit, git, gitops_loop, init_repo
from tests.helpers.rig import require_engine
from tests.helpers.waiting import wait_for_async


@pytest.fixture
def stack_name() -> str:
    require_engine()
    return unique()


def _container(stack: str, service: str) -> str:
    return f'{stack}-{service}-1'


async def test_stopped_missing_and_config_drift_are_proposed_approved_and_gone(tmp_path: Path, stack_name: str) -> None:
    repo = tmp_path / 'repo'
    init_repo(repo)
    write_stack(repo, {'app': {'environment': {'LEVEL': '1'}}, 'side': {}})
    commit(repo, 'two services')
    async with gitops_loop(tmp_path, stack_name) as loop:
        await loop.up()
        await loop.in_line()
        client = docker_client()

        # Stopped by hand: proposed as a start, with Compose's dry run as the plan.
        client.api.stop(_container(stack_name, 'app'), timeout=1)
        action = await loop.pending('stopped', 'app')
        assert action.operation == 'stack_service_up' and action.params == {'stack': stack_name, 'service': 'app'}
        assert any('app' in line for line in action.plan['dry_run']), action.plan
        done = await loop.approve_and_finish(action)
        assert done.state == 'done', done.error
        assert client.api.inspect_container(_container(stack_name, 'app'))['State']['Running']
        run = await Run.get(id=done.run_id)
        assert run.actor == 'tester' and run.state == 'succeeded' and run.origin == 'action'
        await loop.in_line()

        # Removed by hand: proposed as a create.
        client.api.remove_container(_container(stack_name, 'side'), force=True)
        action = await loop.pending('missing', 'side')
        assert (await loop.approve_and_finish(action)).state == 'done'
        assert 'side' in project_containers(stack_name)
        await loop.in_line()

        # A commit changes app's environment: proposed as a recreate, with the config diff.
        before = project_containers(stack_name)['app']
        write_stack(repo, {'app': {'environment': {'LEVEL': '2'}}, 'side': {}})
        commit(repo, 'app: level 2')
        action = await loop.pending('config', 'app')
        assert {'setting': 'environment LEVEL', 'running': '1', 'wanted': '2'} in action.plan['diff']
        assert (await loop.approve_and_finish(action)).state == 'done'
        after = project_containers(stack_name)['app']
        assert after['id'] != before['id']
        env = client.api.inspect_container(after['id'])['Config']['Env']
        assert 'LEVEL=2' in env
        await loop.in_line()

        # A commit drops `side`: its container is an orphan, proposed for removal.
        write_stack(repo, {'app': {'environment': {'LEVEL': '2'}}})
        commit(repo, 'drop side')
        action = await loop.pending('orphan', _container(stack_name, 'side'))
        assert action.operation == 'stack_orphan_remove'
        assert (await loop.approve_and_finish(action)).state == 'done'
        assert set(project_containers(stack_name)) == {'app'}
        await loop.in_line()


async def test_rollback_by_commit_and_revert(tmp_path: Path, stack_name: str) -> None:
    repo = tmp_path / 'repo'
    init_repo(repo)
    write_stack(repo, {'app': {'environment': {'RELEASE': 'one'}}})
    commit(repo, 'release one')
    async with gitops_loop(tmp_path, stack_name) as loop:
        await loop.up()
        await loop.in_line()
        first_hash = project_containers(stack_name)['app']['hash']

        write_stack(repo, {'app': {'environment': {'RELEASE': 'two'}}})
        commit(repo, 'release two')
        action = await loop.pending('config', 'app')
        assert (await loop.approve_and_finish(action)).state == 'done'
        await loop.in_line()
        assert project_containers(stack_name)['app']['hash'] != first_hash

        git(repo, 'revert', '--no-edit', 'HEAD')
        back = await loop.pending('config', 'app')
        assert {'setting': 'environment RELEASE', 'running': 'two', 'wanted': 'one'} in back.plan['diff']
        assert (await loop.approve_and_finish(back)).state == 'done'
        await loop.in_line()
        # The service runs the first release's config again.
        assert project_containers(stack_name)['app']['hash'] == first_hash


async def test_invalid_files_are_reported_and_nothing_runs(tmp_path: Path, stack_name: str) -> None:
    repo = tmp_path / 'repo'
    init_repo(repo)
    write_stack(repo, {'app': {}})
    commit(repo, 'one service')
    async with gitops_loop(tmp_path, stack_name) as loop:
        await loop.up()
        await loop.in_line()
        docker_client().api.stop(_container(stack_name, 'app'), timeout=1)
        stale = await loop.pending('stopped', 'app')
        runs_before = await Run.all().count()

        (repo / 'compose.yml').write_text('services:\n  app:\n    image: [not, a, string\n')
        commit(repo, 'broken yaml')

        async def reported() -> bool:
            return any(d.kind == 'invalid' for d in loop.supervisor.drifts)

        await wait_for_async(reported, timeout=30, what='the invalid files to be reported')
        report = loop.supervisor.reports[stack_name]
        assert not report.want.valid and report.want.error
        assert [d.kind for d in report.drifts] == ['invalid']
        # The pending start was superseded, nothing new is proposed, and nothing ran.
        assert (await Action.get(id=stale.id)).state == 'superseded'
        assert not await Action.filter(state='pending').exists()
        assert await Run.all().count() == runs_before
        # An approval of the old action is refused with a reason (it is no longer pending).
        with pytest.raises(ActionError, match='superseded'):
            await loop.queue.approve(stale.id, actor='tester', origin='test')
        assert not docker_client().api.inspect_container(_container(stack_name, 'app'))['State']['Running']


async def test_two_approvals_of_one_action_run_it_once(tmp_path: Path, stack_name: str) -> None:
    repo = tmp_path / 'repo'
    init_repo(repo)
    write_stack(repo, {'app': {}})
    commit(repo, 'one service')
    async with gitops_loop(tmp_path, stack_name) as loop:
        await loop.up()
        await loop.in_line()
        docker_client().api.stop(_container(stack_name, 'app'), timeout=1)
        action = await loop.pending('stopped', 'app')

        results = await asyncio.gather(
            loop.queue.approve(action.id, actor='alice', origin='test'),
            loop.queue.approve(action.id, actor='bob', origin='test'),
            return_exceptions=True,
        )
        refused = [r for r in results if isinstance(r, ActionError)]
        assert len(refused) == 1, results
        finished = await loop.queue.wait(action.id)
        assert finished.state == 'done'
        assert await Run.filter(operation='stack_service_up').count() == 1


async def test_auto_approve_policy_runs_chosen_kinds_without_an_operator(tmp_path: Path, stack_name: str) -> None:
    repo = tmp_path / 'repo'
    init_repo(repo)
    write_stack(repo, {'app': {}})
    commit(repo, 'one service')
    async with gitops_loop(tmp_path, stack_name, auto_approve=['stopped']) as loop:
        await loop.up()
        await loop.in_line()
        docker_client().api.stop(_container(stack_name, 'app'), timeout=1)

        async def auto_done() -> Action | None:
            return await Action.filter(stack=stack_name, kind='stopped', state='done').first()

        action = await wait_for_async(auto_done, timeout=60, what='the auto-approved start to finish')
        assert action.decided_by == 'supervisor (auto-approve policy)' and action.auto
        assert docker_client().api.inspect_container(_container(stack_name, 'app'))['State']['Running']


async def test_image_update_is_proposed_pulled_and_gone(tmp_path: Path, stack_name: str, app_tag: AppTag) -> None:
    await app_tag.push('v1')
    repo = tmp_path / 'repo'
    init_repo(repo)
    write_stack(repo, {'app': {'image': app_tag.image}})
    commit(repo, 'app from the registry')
    async with gitops_loop(tmp_path, stack_name) as loop:
        await loop.up()
        await loop.in_line()
        newest = await app_tag.push('v2')  # the registry moves on; the container still runs v1

        await loop.supervisor.evaluate(refresh_images=True)  # what the image-check timer does
        action = await loop.pending('image', 'app')
        assert action.params == {'stack': stack_name, 'service': 'app', 'pull': True}
        assert newest[:19] in action.detail
        done = await loop.approve_and_finish(action)
        assert done.state == 'done', done.error
        run = await Run.get(id=done.run_id)
        assert run.result is not None and run.result['pull']['changed'] and run.result['changed'] == ['app']
        running = docker_client().api.inspect_container(project_containers(stack_name)['app']['id'])
        digests = docker_client().api.inspect_image(running['Image'])['RepoDigests']
        assert f'{APP_REPOSITORY}@{newest}' in digests
        await loop.supervisor.evaluate(refresh_images=True)
        await loop.in_line()
