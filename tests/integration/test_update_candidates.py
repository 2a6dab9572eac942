"""Issue 16's update candidates on the real engine and the rig's registry: tags 1.0.0, 1.1.0, 1.2.0-rc1 and 2.0.0
of an image of our own are pushed; a service on 1.0.0 gets 1.1.0 and 2.0.0 (not the rc) with their changelog links
and the diff; the diff, applied and committed in the watched repository, becomes the drift loop's proposal, which,
approved, runs 2.0.0."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.system import adapters_for
from ops.config import HomelabConfig, StackConfig, UpdatesConfig
from ops.docker.engine import Engine
from ops.maintenance.candidates import CandidateReport, UpdateCandidates
from tests.helpers.candidate_images import SOURCE, pushed_versions
from tests.helpers.docker_ops import close_adapters, docker_client, engine_url, project_containers, unique, write_stack
from tests.helpers.gitops import commit, git, gitops_loop, init_repo
from tests.helpers.loopback_servers import closed_port
from tests.helpers.rig import require_engine
from tests.helpers.token_registry import token_registry

TAGS = ('1.0.0', '1.1.0', '1.2.0-rc1', '2.0.0')


@pytest.fixture
def pushed() -> Iterator[str]:
    with pushed_versions(TAGS, keep='1.0.0') as repository:
        yield repository


async def test_candidates_of_a_pinned_service_and_the_committed_diff_runs(tmp_path: Path, pushed: str) -> None:
    stack = unique()
    repo = tmp_path / 'repo'
    init_repo(repo)
    write_stack(repo, {'app': {'image': f'{pushed}:1.0.0'}, 'side': {'image': 'homelab-dev/busybox:latest'}})
    commit(repo, 'app on 1.0.0')
    async with gitops_loop(tmp_path, stack) as loop:
        await loop.up()
        await loop.in_line()
        candidates = UpdateCandidates(loop.adapters)
        heard: list[CandidateReport] = []
        candidates.changed.subscribe(heard.append)

        report = await candidates.refresh('schedule:nightly')
        assert heard == [report] and report.actor == 'schedule:nightly'
        rows = {row.service: row for row in report.services if row.stack == stack}
        app = rows['app']
        assert app.error == '' and app.current == '1.0.0'
        assert [c.tag for c in app.candidates] == ['2.0.0', '1.1.0']  # newest first, not the rc
        newest = app.candidates[0]
        assert newest.links == (('source', SOURCE),) and newest.version == '2.0.0'
        assert rows['side'].note == 'latest is not a version tag' and rows['side'].candidates == ()
        change = newest.change
        assert change.problem == '' and change.path == 'compose.yml'
        assert f'-    image: {pushed}:1.0.0\n' in change.diff and f'+    image: {pushed}:2.0.0\n' in change.diff
        assert git(repo, 'status', '--porcelain') == ''  # the repository was only read

        # The owner applies the diff and commits: the drift loop proposes the recreate, approved it runs 2.0.0.
        (tmp_path / 'app.patch').write_text(change.diff)
        git(repo, 'apply', str(tmp_path / 'app.patch'))
        commit(repo, 'app: 2.0.0')
        action = await loop.pending('config', 'app')
        done = await loop.approve_and_finish(action)
        assert done.state == 'done', done.error
        running = project_containers(stack)['app']
        inspected = await asyncio.to_thread(docker_client().api.inspect_container, running['id'])
        assert inspected['Config']['Image'] == f'{pushed}:2.0.0'
        assert inspected['Config']['Labels']['org.opencontainers.image.version'] == '2.0.0'
        await loop.in_line()

        # On 2.0.0 nothing newer is left; cached answers are used when not forced.
        again = await candidates.refresh('ui:admin', force=False)
        app_again = next(r for r in again.services if r.stack == stack and r.service == 'app')
        assert app_again.current == '2.0.0' and app_again.candidates == ()


async def test_answers_are_cached_until_checked_now_and_one_registry_failing_spares_the_rest(tmp_path: Path) -> None:
    require_engine()
    with token_registry(['1.0.0', '1.0.1', '1.1.0', '2.0.0-beta', '2.0.0']) as registry:
        repo = tmp_path / 'repo'
        repo.mkdir()
        (repo / 'compose.yml').write_text(
            'services:\n'
            f'  app:\n    image: {registry.host}/team/app:1.0.0\n'
            f'  gone:\n    image: 127.0.0.1:{closed_port()}/team/gone:1.0.0\n'
        )
        config = HomelabConfig(
            stacks={'tools': StackConfig(files=['compose.yml'], updates=UpdatesConfig(exclude=['1.0.*']))}
        )
        adapters = adapters_for(Engine(engine_url()), config, data_dir=tmp_path / 'data', repo_dir=repo)
        try:
            candidates = UpdateCandidates(adapters)
            assert candidates.ttl == 1800  # drift.image_check's default, like image freshness

            def tag_lists() -> int:
                return sum(1 for path, _ in registry.seen if path.endswith('/tags/list'))

            first = await candidates.refresh('ui:admin', force=False)
            rows = {row.service: row for row in first.services}
            assert [c.tag for c in rows['app'].candidates] == ['2.0.0', '1.1.0']  # 1.0.1 excluded by the stack
            assert rows['gone'].error.startswith('could not ask 127.0.0.1:') and rows['gone'].candidates == ()
            asked = tag_lists()
            await candidates.refresh('schedule:nightly', force=False)
            assert tag_lists() == asked  # cached
            await candidates.refresh('ui:admin')  # Check now
            assert tag_lists() > asked
        finally:
            await close_adapters(adapters)


async def test_a_registry_trickling_its_answer_ends_at_the_service_deadline_and_spares_the_rest(
    tmp_path: Path,
) -> None:
    require_engine()
    with token_registry(['1.0.0', '1.1.0']) as registry:
        registry.trickle_every = 0.5  # each read well within httpx's timeout, the whole answer about 20 s
        repo = tmp_path / 'repo'
        repo.mkdir()
        (repo / 'compose.yml').write_text(
            'services:\n'
            f'  app:\n    image: {registry.host}/team/app:1.0.0\n'
            f'  slow:\n    image: {registry.host}/team/slow:1.0.0\n'
        )
        config = HomelabConfig(stacks={'tools': StackConfig(files=['compose.yml'])})
        adapters = adapters_for(Engine(engine_url()), config, data_dir=tmp_path / 'data', repo_dir=repo)
        try:
            candidates = UpdateCandidates(adapters, service_deadline=1.0)
            report = await candidates.refresh('ui:admin')
            rows = {row.service: row for row in report.services}
            assert rows['slow'].error == f'could not ask {registry.host}: no answers within 1 s'
            assert [c.tag for c in rows['app'].candidates] == ['1.1.0']
            assert not candidates.checking

            # The whole check has its deadline too: what it leaves is said, not waited for.
            candidates = UpdateCandidates(adapters, refresh_deadline=1.0)
            report = await candidates.refresh('ui:admin')
            rows = {row.service: row for row in report.services}
            assert rows['slow'].error == f'could not ask {registry.host}: the check ran past its 1 s'
        finally:
            await close_adapters(adapters)
