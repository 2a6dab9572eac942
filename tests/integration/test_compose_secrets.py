"""A commit cannot make the console send its own secrets out, and a stack's secrets stay out of every record.

Real engine, real git repository, the whole GitOps loop (observer, supervisor, queue, manager), and a real HTTP
server on loopback posing as a registry that records every request the engine sends it.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from ops.masking import HIDDEN, HIDDEN_CHANGED
from ops.store.models import Action, AuditEvent, Run
from tests.helpers.docker_ops import AppTag, docker_client, project_containers, unique, write_stack
from tests.helpers.fake_registry import fake_registry
from tests.helpers.gitops import Loop, commit, gitops_loop, init_repo
from tests.helpers.rig import require_engine
from tests.helpers.waiting import wait_for_async


@pytest.fixture
def stack_name() -> str:
    require_engine()
    return unique()


async def test_a_commit_cannot_send_the_consoles_secret_to_the_registry_it_names(
    tmp_path: Path, stack_name: str, app_tag: AppTag, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = f'hl-console-secret-{uuid.uuid4().hex}'
    monkeypatch.setenv('HOMELAB_SOMETHING_SECRET', secret)  # in the console's own environment
    await app_tag.push('v1')
    repo = tmp_path / 'repo'
    init_repo(repo)
    # Both services run an image pulled from a registry, so the freshness check looks at what the files name.
    write_stack(repo, {'app': {'image': app_tag.image}, 'probe': {'image': app_tag.image}})
    commit(repo, 'two services from the registry')
    with fake_registry() as registry:
        async with gitops_loop(tmp_path, stack_name) as loop:
            await loop.up()
            await loop.in_line()

            # The attacker's commit: one image names the console's secret, the other a variable of the stack's .env.
            (repo / '.env').write_text('STACK_TAG=from-dotenv\n')
            write_stack(
                repo,
                {
                    'app': {'image': f'{registry.address}/leak:${{HOMELAB_SOMETHING_SECRET}}'},
                    'probe': {'image': f'{registry.address}/leak:${{STACK_TAG}}'},
                },
            )
            commit(repo, 'point the images at another registry')

            # The evaluation of the new files (with its freshness check) is over, and the recreates are proposed
            # with their plan previews (Compose's dry run).
            def evaluated() -> bool:
                report = loop.supervisor.reports.get(stack_name)
                probe = report.want.services.get('probe') if report is not None else None
                return probe is not None and (probe.image or '').startswith(registry.address)

            await wait_for_async(evaluated, timeout=60, what='the evaluation of the new files')
            await loop.pending('config', 'app')
            await loop.pending('config', 'probe')
            wants = loop.supervisor.reports[stack_name].want.services
            assert wants['probe'].image == f'{registry.address}/leak:from-dotenv'  # the stack's .env is read
            assert secret not in (wants['app'].image or '')  # the console's variable is not
            assert secret not in registry.seen()
            # Nothing was approved: the registry a commit names is not contacted at all yet.
            assert registry.seen() == ''


async def test_a_changed_secret_shows_as_changed_and_its_values_are_stored_nowhere(
    tmp_path: Path, stack_name: str
) -> None:
    old, new = f'hl-old-pass-{uuid.uuid4().hex}', f'hl-new-pass-{uuid.uuid4().hex}'
    repo = tmp_path / 'repo'
    init_repo(repo)
    write_stack(repo, {'app': {'environment': {'DB_PASSWORD': old, 'LEVEL': '1'}}})
    commit(repo, 'app with a password')
    async with gitops_loop(tmp_path, stack_name) as loop:
        await loop.up()
        await loop.in_line()

        write_stack(repo, {'app': {'environment': {'DB_PASSWORD': new, 'LEVEL': '2'}}})
        commit(repo, 'rotate the password')
        action = await loop.pending('config', 'app')
        diff = action.plan['diff']
        assert {'setting': 'environment DB_PASSWORD', 'running': HIDDEN, 'wanted': HIDDEN_CHANGED} in diff
        assert {'setting': 'environment LEVEL', 'running': '1', 'wanted': '2'} in diff
        done = await loop.approve_and_finish(action)
        assert done.state == 'done', done.error
        await loop.in_line()

        # The secret itself reached the container, and no record of the console holds either value.
        env = docker_client().api.inspect_container(project_containers(stack_name)['app']['id'])['Config']['Env']
        assert f'DB_PASSWORD={new}' in env
        records = [str(a.detail) for a in await AuditEvent.all()]
        records += [f'{r.params} {r.result} {r.output} {r.error}' for r in await Run.all()]
        for text in records:
            assert old not in text and new not in text
    for path in (tmp_path / 'data').rglob('*'):
        if path.is_file():
            content = path.read_bytes()
            assert old.encode() not in content and new.encode() not in content, path


async def test_a_commit_cannot_make_compose_read_a_file_outside_the_repository(tmp_path: Path, stack_name: str) -> None:
    """`.env` linked to a file outside the repository (in the prod image: `/proc/1/environ`, the console's own
    environment), or an env_file there: the stack is invalid, Compose never reads the file, nothing runs; a plain
    `.env` inside the repository still works."""
    secret = f'hl-outside-secret-{uuid.uuid4().hex}'
    outside = tmp_path / 'outside.env'
    outside.write_text(f'LEAK_TAG={secret}\n')
    repo = tmp_path / 'repo'
    init_repo(repo)
    write_stack(repo, {'app': {'environment': {'TAG': 'one'}}})
    commit(repo, 'one service')
    with fake_registry() as registry:
        async with gitops_loop(tmp_path, stack_name) as loop:
            await loop.up()
            await loop.in_line()
            runs_before = await Run.all().count()

            (repo / '.env').symlink_to(outside)
            write_stack(
                repo, {'app': {'image': f'{registry.address}/leak:${{LEAK_TAG}}', 'environment': {'TAG': 'two'}}}
            )
            commit(repo, 'the image tag from a .env that links out of the repository')
            refused = await invalid(loop, stack_name, '.env')
            assert 'outside the repository' in refused, refused

            (repo / '.env').unlink()
            write_stack(repo, {'app': {'environment': {'TAG': 'three'}}})
            with (repo / 'compose.yml').open('a') as text:
                text.write(f'    env_file: {outside}\n')
            commit(repo, 'an env_file outside the repository')
            refused = await invalid(loop, stack_name, 'env_file')
            assert 'outside the repository' in refused, refused

            # Nothing was proposed or run, and the secret reached no registry, plan, record or file of the console.
            assert not await Action.filter(stack=stack_name, state='pending').exists()
            assert await Run.all().count() == runs_before
            assert registry.seen() == ''
            records = [f'{a.detail}' for a in await AuditEvent.all()]
            records += [f'{a.plan} {a.detail}' for a in await Action.all()]
            records += [f'{r.params} {r.result} {r.output} {r.error}' for r in await Run.all()]
            assert not [text for text in records if secret in text]

            # A plain .env inside the repository is read as before.
            (repo / '.env').write_text('LEAK_TAG=from-the-repository\n')
            write_stack(repo, {'app': {'environment': {'TAG': '${LEAK_TAG}'}}})
            commit(repo, 'the tag from the stack .env')
            action = await loop.pending('config', 'app')
            assert {'setting': 'environment TAG', 'running': 'one', 'wanted': 'from-the-repository'} in action.plan[
                'diff'
            ]
            done = await loop.approve_and_finish(action)
            assert done.state == 'done', done.error
            env = docker_client().api.inspect_container(project_containers(stack_name)['app']['id'])['Config']['Env']
            assert 'TAG=from-the-repository' in env
    for path in (tmp_path / 'data').rglob('*'):
        if path.is_file():
            assert secret.encode() not in path.read_bytes(), path


async def invalid(loop: Loop, stack: str, naming: str) -> str:
    """Wait for the stack's files to be reported invalid for a reason naming `naming`; the reason."""

    def reported() -> str | None:
        report = loop.supervisor.reports.get(stack)
        if report is None or naming not in (report.want.error or ''):
            return None
        assert [d.kind for d in report.drifts] == ['invalid']
        return report.want.error

    return await wait_for_async(reported, timeout=60, what=f'the files of {stack} to be reported invalid')
