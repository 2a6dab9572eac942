"""The world check and the engine act on the same container: a container NAMED with another container's full id
cannot make a checked operation act on that other one (real engine, the CLI and the GitOps loop).

The engine resolves an exact full id before names; the console resolves every reference once, in its check, to
the full id, and acts on that id only.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker.errors
import pytest

from ops.docker.labels import PROJECT_LABEL, SERVICE_LABEL
from ops.store.models import Run
from tests.helpers.console import HOMELAB, REPO, console_env
from tests.helpers.docker_ops import BASE_IMAGE, docker_client, project_containers, unique, write_stack
from tests.helpers.gitops import commit, gitops_loop, init_repo
from tests.helpers.rig import DEV_PROJECT, require_dev_stack, require_engine


def homelab(env: dict[str, str], *args: str) -> Any:
    done = subprocess.run([*HOMELAB, *args], env=env, cwd=REPO, capture_output=True, text=True, timeout=180)
    assert done.stdout, done.stderr
    return json.loads(done.stdout)


def started(container: str) -> tuple[str, int, bool]:
    data = docker_client().api.inspect_container(container)
    return data['State']['StartedAt'], data['RestartCount'], data['State']['Running']


@contextlib.contextmanager
def sleepers(*specs: tuple[str, dict[str, str]]) -> Iterator[list[str]]:
    """Running throwaway containers (name, labels) in order; yields their full ids; force-removed afterwards."""
    client = docker_client()
    ids: list[str] = []
    try:
        for name, labels in specs:
            container = client.containers.run(
                BASE_IMAGE,
                ['sleep', '600'],
                name=name,
                detach=True,
                init=True,
                stop_signal='SIGKILL',
                labels={'homelab.test': 'true', **labels},
            )
            ids.append(container.id)
        yield ids
    finally:
        for container_id in ids:
            with contextlib.suppress(docker.errors.NotFound):
                client.api.remove_container(container_id, force=True)
        client.close()


def test_a_dev_restart_by_a_name_that_is_another_containers_id_never_restarts_that_one(tmp_path: Path) -> None:
    require_dev_stack()
    victim_name = unique()
    with sleepers((victim_name, {})) as (victim,):
        # In scope (the homelab-dev project), and named with the full id of the victim outside the scope.
        in_scope = {PROJECT_LABEL: DEV_PROJECT, SERVICE_LABEL: unique()}
        with sleepers((victim, in_scope)) as (decoy,):
            victim_before, decoy_before = started(victim), started(decoy)
            env = console_env(tmp_path / 'data', HOMELAB_ENV='dev')

            outcome = homelab(env, 'ops', 'run', 'docker_restart', f'container={victim}', '--json', '--yes')
            assert started(victim) == victim_before
            assert started(decoy) == decoy_before
            # The reference is the victim's full id, as it is to the engine: out of scope, refused.
            assert outcome['state'] == 'rejected', outcome
            assert 'HOMELAB_ENV=dev' in outcome['error']

            # The in-scope one by a short id: restarted, and the run says what was asked and what was acted on.
            outcome = homelab(env, 'ops', 'run', 'docker_restart', f'container={decoy[:12]}', '--json', '--yes')
            assert outcome['state'] == 'succeeded', outcome
            assert outcome['result']['container_id'] == decoy
            assert started(decoy)[0] != decoy_before[0]
            assert started(victim) == victim_before
            runs = homelab(env, 'runs', 'list', '--json')['runs']
            assert runs[0]['params'] == {'container': decoy[:12]}
            events = homelab(env, 'audit', 'list', '--json', '--run', str(outcome['run_id']))['events']
            finished = next(e for e in events if e['kind'] == 'finished')
            assert finished['detail']['acted_on'] == {'container': decoy}


@pytest.fixture
def stack_name() -> str:
    require_engine()
    return unique()


async def test_an_approved_orphan_removal_removes_the_orphan_never_the_container_its_name_points_at(
    tmp_path: Path, stack_name: str
) -> None:
    repo = tmp_path / 'repo'
    init_repo(repo)
    write_stack(repo, {'app': {}})
    commit(repo, 'one service')
    with sleepers((unique(), {})) as (victim,):
        async with gitops_loop(tmp_path, stack_name) as loop:
            await loop.up()
            await loop.in_line()
            victim_before = started(victim)

            # An orphan of the stack whose NAME is the full id of a container outside it.
            orphan_labels = {PROJECT_LABEL: stack_name, SERVICE_LABEL: 'ghost'}
            with sleepers((victim, orphan_labels)) as (orphan,):
                action = await loop.pending('orphan', victim)
                assert action.operation == 'stack_orphan_remove'
                done = await loop.approve_and_finish(action)
                assert done.state == 'done', done.error

                assert started(victim) == victim_before  # untouched, still running
                assert set(project_containers(stack_name)) == {'app'}  # the orphan itself is gone
                with pytest.raises(docker.errors.NotFound):
                    docker_client().api.inspect_container(orphan)
                # The proposal itself named the orphan by its full id, so that is what was asked and acted on.
                assert (await Run.get(id=done.run_id)).params == {'stack': stack_name, 'container': orphan}
            await loop.in_line()
